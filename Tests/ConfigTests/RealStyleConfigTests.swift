import Foundation
import Testing

@testable import SluiceConfig

/// Every real-style fixture: whether it loads, and which warnings (or errors) it gives, by code.
/// The settings each one yields are checked in RealStyle*Tests.
@Suite struct RealStyleConfigTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        /// Warning codes when it loads, sorted; nil when it must fail.
        var warnings: [String]?
        /// When it fails: each problem's code and line, in order.
        var errors: [(code: String, line: Int)] = []

        var testDescription: String { file }
    }

    static let expectations: [Expectation] = [
        Expectation(file: "v012-td-agent2-s3.conf", warnings: ["compatibilityMapped"] + Array(repeating: "deprecatedParameter", count: 4)),
        Expectation(file: "chef-template-inject.conf", warnings: ["compatibilityMapped"]),
        Expectation(file: "k8s-daemonset-env.conf", warnings: ["noEffect", "noEffect"]),
        Expectation(file: "copy-s3-file-stdout.conf", warnings: []),
        Expectation(file: "filter-grep-transformer.conf", warnings: []),
        Expectation(file: "label-relabel.conf", warnings: []),
        Expectation(file: "rsyslog-aggregator-tls.conf", warnings: []),
        Expectation(file: "ansible-v012-file-output.conf", warnings: ["compatibilityMapped", "deprecatedParameter", "deprecatedParameter"]),
        Expectation(file: "grep-v012-numbered.conf", warnings: ["compatibilityMapped"]),
        Expectation(file: "s3-plugin-extras.conf", warnings: ["noEffect"]),
        Expectation(file: "credentials-precedence.conf", warnings: ["noEffect"]),
        Expectation(file: "in-syslog-v012-source.conf", warnings: ["compatibilityMapped", "deprecatedParameter"]),
        Expectation(file: "formatter-variety.conf", warnings: ["compatibilityMapped"]),
        Expectation(file: "sizes-and-repeats.conf", warnings: ["duplicateParameterReplaced", "duplicateParameterReplaced", "noEffectYet"]),
        Expectation(file: "helm-chart-slow-flush.conf", warnings: []),
        Expectation(file: "error-label-and-catchall.conf", warnings: ["unreachableMatch"]),
        Expectation(
            file: "mixed-unsupported-plugins.conf", warnings: nil,
            errors: [("unsupportedPlugin", 3), ("unsupportedPlugin", 13), ("unsupportedPlugin", 29)]),
        Expectation(file: "worker-directive.conf", warnings: nil, errors: [("unsupportedDirective", 6)]),
    ]

    @Test func everyFixtureHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: RealStyle.directory).filter { $0.hasSuffix(".conf") }
        #expect(Set(files) == Set(Self.expectations.map(\.file)))
        #expect(files.count >= 15)
    }

    @Test(arguments: expectations)
    func loadsWithTheExpectedProblems(_ expectation: Expectation) {
        do {
            let configuration = try RealStyle.load(expectation.file)
            #expect(expectation.warnings != nil, "\(expectation.file) was expected to fail")
            #expect(configuration.warningCodes.sorted() == expectation.warnings ?? [], "\(configuration.warnings)")
        } catch {
            #expect(expectation.warnings == nil, "\(error)")
            #expect(error.problems.map(\.code.description) == expectation.errors.map(\.code), "\(error)")
            #expect(error.problems.map(\.location.line) == expectation.errors.map(\.line))
            #expect(error.problems.allSatisfy { $0.location.file.hasSuffix(expectation.file) })
        }
    }

    // MARK: v0.12 and template styles

    @Test func v012TDAgent2MapsBufferAndTimeSliceParameters() throws {
        let configuration = try RealStyle.load("v012-td-agent2-s3.conf")
        let source = try #require(configuration.sources.first)
        #expect(source.tag == "legacy")
        #expect(source.port == 5140)

        let match = try #require(configuration.matches.first)
        #expect(configuration.matches.count == 1)
        #expect(match.id == "legacy_s3")
        let s3 = try #require(match.s3)
        #expect(s3.bucket == "corp-legacy-syslog")
        #expect(s3.region == "eu-central-1")
        #expect(s3.path == "hosts/legacy/")
        #expect(s3.awsKeyId == "AKIAEXAMPLEKEY000001")
        #expect(s3.timeSliceFormat == "%Y%m%d%H")
        #expect(s3.utc == true)
        #expect(s3.format.type == .json)
        #expect(s3.inject == nil)

        let buffer = s3.buffer
        #expect(buffer.type == .file)
        #expect(buffer.path == "/var/log/td-agent/buffer/s3-legacy")
        #expect(buffer.chunkKeys == ["time"])
        #expect(buffer.timekey == 3600)
        #expect(buffer.timekeyWait == .seconds(600))
        #expect(buffer.timekeyUseUTC)
        #expect(buffer.chunkLimitSize == 256 << 20)
        // buffer_queue_limit 128: Fluentd sets total_limit_size to chunk_limit_size × queue_limit_length.
        #expect(buffer.totalLimitSize == 128 * (256 << 20))
        #expect(buffer.flushInterval == .seconds(30))
        #expect(buffer.flushThreadCount == 4)
        #expect(buffer.retryWait == .seconds(5))
        #expect(buffer.retryMaxInterval == .seconds(300))
        #expect(buffer.retryMaxTimes == 17)

        #expect(configuration.outputNames(tag: "legacy.auth.info") == ["legacy_s3"])
        #expect(configuration.outputNames(tag: "legacyx.auth.info") == [])
        let mapped = try #require(configuration.warnings.first { $0.code == .compatibilityMapped })
        #expect(mapped.location.line == 10)
        #expect(mapped.message.contains("buffer_queue_limit"))
    }

    @Test func chefTemplateInjectsTimeAndTagAsCompatParametersSay() throws {
        let configuration = try RealStyle.load("chef-template-inject.conf")
        let source = try #require(configuration.sources.first)
        #expect(source.transport == .tcp)
        #expect(source.messageFormat == .rfc5424)
        #expect(source.bind == "127.0.0.1")
        #expect(source.port == 1514)

        let s3 = try #require(configuration.firstS3)
        #expect(s3.path == "logs/relay/%Y/%m/%d/")
        #expect(s3.format.type == .json)
        let inject = try #require(s3.inject)
        #expect(inject.timeKey == "@timestamp")
        #expect(inject.timeType == .string)
        #expect(inject.timeFormat == "%Y-%m-%dT%H:%M:%S.%LZ")
        #expect(inject.tagKey == "fluent_tag")
        #expect(inject.utcOffset == 0)

        #expect(s3.buffer.type == .file)
        #expect(s3.buffer.path == "/var/spool/td-agent/relay-s3")
        #expect(s3.buffer.timekey == 86400)
        #expect(s3.buffer.timekeyWait == .seconds(900))
        #expect(s3.buffer.timekeyUseUTC)
        #expect(s3.buffer.chunkLimitSize == 64 << 20)
        #expect(s3.buffer.overflowAction == .throw_exception)
        #expect(configuration.outputNames(tag: "relay.local3.warn") == ["s3_relay"])
    }

    @Test func ansibleV012FileOutputKeepsItsTimeSliceFormat() throws {
        let configuration = try RealStyle.load("ansible-v012-file-output.conf")
        let file = try #require(configuration.matches.first?.file)
        #expect(file.path == "/data/archive/syslog")
        #expect(file.timeSliceFormat == "%Y%m%d")
        #expect(file.append)
        #expect(file.compression == .gzip)
        #expect(file.format.type == .json)
        let inject = try #require(file.inject)
        #expect(inject.timeKey == "logged_at")
        #expect(inject.timeType == .string)
        #expect(inject.utcOffset == 0)
        #expect(file.buffer.type == .file)
        #expect(file.buffer.path == "/data/archive/.buffer/syslog")
        #expect(file.buffer.timekey == 86400)
        #expect(file.buffer.timekeyWait == .seconds(60))
        #expect(file.buffer.timekeyUseUTC)
        #expect(file.pathTemplate(timeSliceFormat: "%Y%m%d") == "/data/archive/syslog.%Y%m%d.log.gz")
    }

    @Test func sizesAndRepeatedParametersKeepTheLast() throws {
        let configuration = try RealStyle.load("sizes-and-repeats.conf")
        #expect(configuration.sources.first?.port == 10514)
        let s3 = try #require(configuration.firstS3)
        #expect(s3.region == "ca-central-1")
        #expect(s3.buffer.timekey == 1800)
        #expect(s3.buffer.chunkLimitSize == 768 << 20)
        #expect(s3.buffer.totalLimitSize == 1 << 30)
        #expect(s3.buffer.chunkLimitRecords == 100_000)
        #expect(s3.buffer.retryMaxTimes == 1000)
        #expect(s3.buffer.flushThreadCount == 4)
        let repeated = configuration.warnings.filter { $0.code == .duplicateParameterReplaced }
        #expect(repeated.map(\.word) == ["port", "s3_region"])
        #expect(repeated.map(\.location.line) == [4, 12])
    }

    @Test(arguments: [
        ([String: String](), "helm-chart-default-bucket", "us-east-1", "helm/"),
        (["S3_BUCKET": "helm-prod-logs", "AWS_REGION": "eu-west-3", "S3_PREFIX": "prod"], "helm-prod-logs", "eu-west-3", "prod/"),
        (["S3_PREFIX": ""], "helm-chart-default-bucket", "us-east-1", "/"),
    ])
    func helmChartReadsEnvironmentDefaults(environment: [String: String], bucket: String, region: String, path: String) throws {
        let configuration = try RealStyle.load("helm-chart-slow-flush.conf", environment: environment)
        #expect(configuration.warnings.isEmpty)
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == bucket)
        #expect(s3.region == region)
        // Ruby's `||` takes "" as a value: S3_PREFIX set to "" gives "/".
        #expect(s3.path == path)
        #expect(s3.buffer.timekey == 3600)
        #expect(s3.buffer.timekeyWait == .seconds(60))
        #expect(configuration.outputNames(tag: "helm.daemon.info") == ["helm_s3"])
    }
}
