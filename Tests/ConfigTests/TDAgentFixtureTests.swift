import Foundation
import Testing

@testable import SluiceConfig

/// The published td-agent.conf must run unchanged: both the workplace's shared copy and ours.
@Suite struct TDAgentFixtureTests {
    static let paths = [Support.sharedTDAgent, Support.fixtures + "/td-agent.conf"]

    @Test(arguments: paths)
    func readsUnchangedWithTheExpectedValues(path: String) throws {
        let configuration = try SluiceConfiguration.load(
            path: path, environment: [:], hostname: "ip-172-31-92-150"
        )
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.system.logLevel == .info)

        let source = try #require(configuration.sources.first)
        #expect(configuration.sources.count == 1)
        #expect(source.port == 5140)
        #expect(source.bind == "0.0.0.0")
        #expect(source.tag == "system")
        #expect(source.transport == .udp)
        #expect(source.messageFormat == .auto)
        #expect(source.messageLengthLimit == 65536)
        #expect(source.location.line == 1)

        #expect(configuration.matches.count == 1)
        let match = configuration.matches[0]
        #expect(match.patterns.map(\.pattern) == ["system.**"])
        #expect(match.location.line == 7)
        #expect(configuration.route(tag: "system.daemon.info") == 0)
        #expect(configuration.route(tag: "system") == 0)
        #expect(configuration.route(tag: "systemd.daemon.info") == nil)

        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == "123456789012-security-data-us-east-1")
        #expect(s3.region == "us-east-1")
        #expect(s3.path == "syslog/")
        #expect(s3.storeAs == .gzip)
        #expect(s3.format.type == .json)
        #expect(s3.objectKeyFormat == "%{path}%{time_slice}_%{index}.%{file_extension}")
        #expect(s3.localDirectory == nil)
        #expect(s3.awsKeyId == nil)

        let role = try #require(s3.assumeRole)
        #expect(role.roleARN == "arn:aws:iam::123456789012:role/AcmeS3WriteSecurityData")
        #expect(role.roleSessionName == "ip-172-31-92-150")
        #expect(role.durationSeconds == 3600)
        #expect(role.location.line == 9)

        let buffer = s3.buffer
        #expect(buffer.chunkKeys == ["tag", "time"])
        #expect(buffer.type == .file)
        #expect(buffer.path == "/var/log/td-agent/buffer/s3")
        #expect(buffer.timekey == 3600)
        #expect(buffer.timekeyWait == .seconds(3600))
        #expect(buffer.timekeyUseUTC == true)
        #expect(buffer.chunkLimitSize == 256 * 1024 * 1024)
        #expect(buffer.totalLimitSize == 64 << 30)
        #expect(buffer.flushAtShutdown == false)
        #expect(buffer.location?.line == 21)
    }

    @Test func ourCopyIsTheSharedOne() throws {
        let shared = try String(contentsOfFile: Support.sharedTDAgent, encoding: .utf8)
        let ours = try String(contentsOfFile: Support.fixtures + "/td-agent.conf", encoding: .utf8)
        #expect(shared == ours)
    }

    @Test func everyElementAndParameterCarriesItsLine() throws {
        let path = Support.fixtures + "/td-agent.conf"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (root, log) = Support.read(text, file: "td-agent.conf")
        #expect(log.problems.isEmpty)
        let match = root.elements[1]
        #expect(match.location == ConfigLocation(file: "td-agent.conf", line: 7))
        #expect(match[parameter: "s3_bucket"]?.location.line == 14)
        #expect(match[parameter: "path"]?.location.line == 16)
        let buffer = try #require(match.elements.first { $0.name == "buffer" })
        #expect(buffer.argument == "tag,time")
        #expect(buffer[parameter: "timekey"]?.value == "3600")
        #expect(buffer[parameter: "timekey"]?.location.line == 24)
        #expect(buffer[parameter: "timekey_use_utc"]?.value == "true")
    }
}
