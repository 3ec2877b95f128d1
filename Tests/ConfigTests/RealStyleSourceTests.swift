import Foundation
import Testing

@testable import SluiceConfig

/// Real-style fixtures about listeners, the process, credentials and plugins Sluice refuses.
@Suite struct RealStyleSourceTests {
    struct DaemonSetCase: Sendable, CustomTestStringConvertible {
        var name: String
        var environment: [String: String]
        var bucket: String
        var path: String
        var node: String
        var flushThreads: Int
        var prometheusPort: Int
        var unset: [String]
        var testDescription: String { name }
    }

    static let daemonSetCases = [
        DaemonSetCase(
            name: "DaemonSet env", environment: RealStyle.environment, bucket: "k8s-node-logs-blue",
            path: "nodes/blue-ip-10-0-3-17/", node: "ip-10-0-3-17", flushThreads: 6, prometheusPort: 24231, unset: []),
        DaemonSetCase(
            name: "no NODE_NAME", environment: ["CLUSTER_NAME": "green", "FLUENT_PROMETHEUS_PORT": "24299"],
            bucket: "k8s-node-logs-default", path: "nodes/green-/", node: RealStyle.hostname, flushThreads: 2,
            prometheusPort: 24299, unset: ["NODE_NAME"]),
    ]

    @Test(arguments: daemonSetCases)
    func kubernetesDaemonSetReadsItsEnvironment(_ run: DaemonSetCase) throws {
        let configuration = try RealStyle.load("k8s-daemonset-env.conf", environment: run.environment)
        #expect(configuration.warnings.filter { $0.code == .undefinedEnvironmentVariable }.map(\.word) == run.unset)
        #expect(configuration.warnings.filter { $0.code == .noEffect }.map(\.word) == ["workers", "format"])
        #expect(configuration.system.logLevel == .info)
        #expect(configuration.monitors.map(\.kind) == [.prometheus, .monitorAgent])
        #expect(configuration.monitors.map(\.address.description) == ["0.0.0.0:\(run.prometheusPort)", "127.0.0.1:24220"])

        let source = try #require(configuration.sources.first)
        #expect(configuration.sources.count == 1)
        #expect(source.port == 5140)
        #expect(source.id == "in_syslog_node")
        #expect(source.transport == .udp)

        #expect(configuration.outputNames(tag: "fluent.warn") == ["null"])
        #expect(configuration.outputNames(tag: "k8s.node.kern.err") == ["out_s3_node"])
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == run.bucket)
        #expect(s3.region == "eu-west-1")
        #expect(s3.path == run.path)
        #expect(s3.hexRandomLength == 6)
        #expect(s3.objectKeyFormat == "%{path}%Y/%m/%d/%H/%{time_slice}_%{hex_random}_%{index}.%{file_extension}")
        let inject = try #require(s3.inject)
        #expect(inject.hostnameKey == "node")
        #expect(inject.hostname == run.node)
        #expect(inject.timeKey == "time")
        #expect(inject.timeType == .string)
        #expect(inject.utcOffset == 0)
        #expect(s3.buffer.type == .file)
        #expect(s3.buffer.timekey == 3600)
        #expect(s3.buffer.timekeyWait == .seconds(300))
        #expect(s3.buffer.chunkLimitSize == 64 << 20)
        #expect(s3.buffer.flushThreadCount == run.flushThreads)
        #expect(s3.buffer.retryForever)
        #expect(s3.buffer.retryMaxInterval == .seconds(30))
        #expect(s3.buffer.overflowAction == .block)
    }

    @Test func daemonSetWithSyslogPortFetchedFromTheEnvironment() throws {
        var environment = RealStyle.environment
        environment["SYSLOG_PORT"] = "1514"
        let configuration = try RealStyle.load("k8s-daemonset-env.conf", environment: environment)
        #expect(configuration.sources.first?.port == 1514)
    }

    @Test func rsyslogAggregatorOverTLSAndRELP() throws {
        let configuration = try RealStyle.load("rsyslog-aggregator-tls.conf")
        #expect(configuration.sources.map(\.kind) == [.syslog, .relp])
        let syslog = configuration.sources[0]
        #expect(syslog.port == 6514)
        #expect(syslog.transport == .tls)
        #expect(syslog.messageLengthLimit == 256 << 10)
        #expect(syslog.messageFormat == .auto)
        #expect(syslog.sourceAddressKey == "sender_ip")
        #expect(syslog.sourceHostnameKey == "sender_name")
        #expect(syslog.clientSubjectKey == "tls_peer")
        let tls = try #require(syslog.tls)
        #expect(tls.certificatePath == "/etc/pki/sluice/server.crt")
        #expect(tls.privateKeyPassphrase == "s3cr3t-phrase")
        #expect(tls.caPath == "/etc/pki/sluice/ca.crt")
        #expect(tls.clientCertificateAuthentication)
        // `version TLSv1_2` pins both ends, as Fluentd's.
        #expect(tls.minimumVersion == .tls1_2)
        #expect(tls.maximumVersion == .tls1_2)
        #expect(tls.ciphers == "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384")

        let relp = configuration.sources[1]
        #expect(relp.port == 2514)
        #expect(relp.transport == .tls)
        #expect(relp.tls?.minimumVersion == .tls1_2)
        #expect(relp.tls?.maximumVersion == .tls1_3)
        #expect(relp.tls?.clientCertificateAuthentication == false)

        #expect(configuration.routes(tag: "tls.auth.info").map(\.output) == [0])
        #expect(configuration.routes(tag: "relp.local0.notice").map(\.output) == [0])
        #expect(configuration.routes(tag: "udp.local0.notice").isEmpty)
        #expect(configuration.firstS3?.buffer.chunkKeys == ["tag", "time"])
        #expect(configuration.firstS3?.path == "tls/")
    }

    @Test func inSyslogV012SourceOptions() throws {
        let configuration = try RealStyle.load("in-syslog-v012-source.conf")
        let gateway = try #require(configuration.sources.first)
        #expect(configuration.sources.count == 1)
        #expect(gateway.tag == "gw")
        #expect(gateway.bind == "::")
        // include_source_host true with source_host_key: Fluentd v1's source_address_key.
        #expect(gateway.sourceAddressKey == "client_addr")
        #expect(gateway.priorityKey == "pri")
        #expect(gateway.messageFormat == .rfc3164)
        #expect(gateway.parseNone == false)
        let mapped = try #require(configuration.warnings.first { $0.code == .compatibilityMapped })
        #expect(mapped.message.contains("include_source_host"))
        #expect(mapped.location.line == 2)
        #expect(configuration.routes(tag: "gw.user.info").map(\.output) == [0])
    }

    @Test func fluentPluginS3ComplianceParameters() throws {
        let configuration = try RealStyle.load("s3-plugin-extras.conf")
        let s3 = try #require(configuration.firstS3)
        #expect(configuration.matches.first?.id == "audit_archive")
        #expect(s3.bucket == "compliance-audit-archive-7781")
        #expect(s3.region == "us-gov-west-1")
        #expect(s3.indexFormat == "%03d")
        #expect(s3.storageClass == "STANDARD_IA")
        #expect(s3.acl == "bucket-owner-full-control")
        #expect(s3.serverSideEncryption == "aws:kms")
        #expect(s3.sseKMSKeyID?.hasSuffix("key/abcd1234-ab12-cd34-ef56-abcdef123456") == true)
        #expect(s3.checkAPIKeyOnStart == false)
        #expect(s3.checkBucket == false)
        #expect(Dictionary(uniqueKeysWithValues: s3.metadata.map { ($0.name, $0.value) }) == ["team": "secops", "retention": "7y"])
        #expect(s3.computeChecksums == true)
        #expect(s3.warnForDelay == .seconds(7200))
        #expect(configuration.warnings.map(\.word) == ["warn_for_delay"])
        #expect(s3.proxyURI?.absoluteString == "http://egress-proxy.internal:3128")
        #expect(s3.sslVerifyPeer)
        #expect(s3.sslCABundle == "/etc/pki/tls/certs/ca-bundle.crt")
        #expect(s3.tagging == "classification=restricted&owner=secops")
        #expect(s3.grants.map(\.name) == ["x-amz-grant-read"])
        #expect(s3.grants.first?.value.hasPrefix("id=79a59df9") == true)
        let role = try #require(s3.assumeRole)
        #expect(role.roleARN == "arn:aws-us-gov:iam::111122223333:role/SluiceAuditWriter")
        #expect(role.roleSessionName == "audit-writer")
        #expect(s3.buffer.timekey == 86400)
        #expect(s3.buffer.timekeyWait == .seconds(1800))
    }

    @Test func keysWinOverAnInstanceProfileSection() throws {
        let configuration = try RealStyle.load("credentials-precedence.conf")
        let s3 = try #require(configuration.firstS3)
        #expect(s3.awsKeyId == "AKIAEXAMPLEKEY000002")
        #expect(s3.instanceProfile == nil)
        #expect(s3.storageClass == "REDUCED_REDUNDANCY")
        let warning = try #require(configuration.warnings.first)
        #expect(warning.code == .noEffect)
        #expect(warning.word == "<instance_profile_credentials>")
        #expect(warning.location.line == 14)
    }

    @Test func outOfScopePluginsAreNamedOnceEachWithoutCascade() throws {
        let error = try #require(RealStyle.error("mixed-unsupported-plugins.conf"))
        #expect(error.problems.map(\.word) == ["tail", "forward", "elasticsearch"])
        #expect(error.problems.allSatisfy { $0.code == .unsupportedPlugin })
        #expect(error.problems[0].message.contains("imfile"))
        // What parsed still reads: the syslog source and the S3 output.
        let readable = try #require(error.readable)
        #expect(readable.sources.map(\.tag) == ["host"])
        #expect(readable.matches.compactMap { $0.s3?.bucket } == ["hostlogs-mixed-example"])
        #expect(readable.outputNames(tag: "host.daemon.info") == ["s3"])
        #expect(readable.routes(tag: "nginx.access").isEmpty)
    }

    @Test func workerSectionsAreRefusedOnce() throws {
        let error = try #require(RealStyle.error("worker-directive.conf"))
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.word == "worker")
        let readable = try #require(error.readable)
        #expect(readable.sources.isEmpty)
        #expect(readable.matches.count == 1)
    }
}
