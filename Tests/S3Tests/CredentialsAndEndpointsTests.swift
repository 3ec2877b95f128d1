import AsyncHTTPClient
import Foundation
import Logging
@testable import S3
import Testing

@Suite("Credentials, chain and endpoints")
struct CredentialsAndEndpointsTests {
    let logger = Logger(label: "CredentialsAndEndpointsTests")

    @Test("description never shows the secret or token")
    func redaction() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "s3cr3t/KEY", sessionToken: "T0KEN")
        #expect(credentials.description.contains("AKIDEXAMPLE"))
        #expect(!credentials.description.contains("s3cr3t/KEY"))
        #expect(!credentials.description.contains("T0KEN"))
        #expect(!"\(credentials)".contains("s3cr3t"))
    }

    @Test("environment provider reads the standard variables")
    func environment() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ])
        let credentials = try await provider.credentials(logger: logger)
        #expect(credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
    }

    @Test("environment provider: missing or half-set variables are not found", arguments: [
        [:], ["AWS_ACCESS_KEY_ID": "AKID"], ["AWS_SECRET_ACCESS_KEY": "s"], ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "s"],
    ])
    func environmentMissing(_ environment: [String: String]) async throws {
        let error = try await #require(throws: S3Error.self) {
            _ = try await EnvironmentCredentialProvider(environment: environment).credentials(logger: logger)
        }
        #expect(error.code == .credentialsNotFound)
        #expect(!error.description.contains("\"s\""))
    }

    /// The default chain's environment for tests: no home directory files, no instance
    /// metadata service (it must never be looked for at 169.254.169.254 from a test).
    static let isolated = ["HOME": "/nonexistent-sluice-home", "AWS_EC2_METADATA_DISABLED": "true"]

    static func standard(_ configured: AWSCredentials?, _ environment: [String: String]) throws -> CredentialChain {
        try CredentialChain.standard(
            staticCredentials: configured, environment: isolated.merging(environment) { $1 }, region: "us-east-1",
            httpClient: HTTPClient.shared
        )
    }

    @Test("chain: static keys win over the environment")
    func chainOrder() async throws {
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]
        let configured = AWSCredentials(accessKeyID: "AKIDSTATIC", secretAccessKey: "static-secret")
        #expect(try await Self.standard(configured, environment).credentials(logger: logger) == configured)
        #expect(try await Self.standard(nil, environment).credentials(logger: logger).accessKeyID == "AKIDENV")
    }

    @Test("chain: nothing configured says what to set, and what each source lacked")
    func chainEmpty() async throws {
        let error = try await #require(throws: S3Error.self) {
            _ = try await Self.standard(nil, [:]).credentials(logger: logger)
        }
        #expect(error.code == .credentialsNotFound)
        #expect(error.message.contains("AWS_ACCESS_KEY_ID"))
        #expect(error.message.contains("AWS_WEB_IDENTITY_TOKEN_FILE"))
        #expect(error.message.contains("/nonexistent-sluice-home/.aws/credentials"))
        #expect(error.message.contains("AWS_EC2_METADATA_DISABLED"))
        #expect(!error.isRetryable)
    }

    struct EndpointCase: Sendable, CustomTestStringConvertible {
        var configured: String?
        var environment: [String: String]
        var region: String
        var s3: String
        var sts: String
        var testDescription: String { "\(configured ?? "-") \(environment.keys.sorted()) \(region)" }
    }

    static let endpointCases: [EndpointCase] = [
        .init(configured: nil, environment: [:], region: "eu-west-1", s3: "https://s3.eu-west-1.amazonaws.com", sts: "https://sts.eu-west-1.amazonaws.com"),
        .init(configured: nil, environment: [:], region: "cn-north-1", s3: "https://s3.cn-north-1.amazonaws.com.cn", sts: "https://sts.cn-north-1.amazonaws.com.cn"),
        .init(configured: nil, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"], region: "us-east-1", s3: "http://127.0.0.1:9000", sts: "http://127.0.0.1:9000"),
        .init(
            configured: nil,
            environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9001", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9002"],
            region: "us-east-1", s3: "http://127.0.0.1:9001", sts: "http://127.0.0.1:9002"
        ),
        .init(
            configured: "http://localhost:7000", environment: ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9001", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9002"],
            region: "us-east-1", s3: "http://localhost:7000", sts: "http://localhost:7000"
        ),
        .init(configured: "", environment: ["AWS_ENDPOINT_URL_S3": " "], region: "us-west-2", s3: "https://s3.us-west-2.amazonaws.com", sts: "https://sts.us-west-2.amazonaws.com"),
    ]

    @Test("endpoint precedence: configured > service variable > AWS_ENDPOINT_URL > AWS default", arguments: endpointCases)
    func endpoints(_ endpointCase: EndpointCase) throws {
        let s3 = try AWSEndpoints.s3(configured: endpointCase.configured, region: endpointCase.region, environment: endpointCase.environment)
        let sts = try AWSEndpoints.sts(configured: endpointCase.configured, region: endpointCase.region, environment: endpointCase.environment)
        #expect(s3.absoluteString == endpointCase.s3)
        #expect(sts.absoluteString == endpointCase.sts)
    }

    @Test("invalid endpoints name their source", arguments: [
        ("ftp://example.com", "s3_endpoint"), ("not a url", "s3_endpoint"), ("http://", "s3_endpoint"),
    ])
    func invalidEndpoint(_ value: String, _ source: String) throws {
        let error = try #require(throws: S3Error.self) { _ = try AWSEndpoints.s3(configured: value, region: "us-east-1", environment: [:]) }
        #expect(error.code == .invalidEndpoint)
        #expect(error.message.contains(source))
        let fromEnvironment = try #require(throws: S3Error.self) {
            _ = try AWSEndpoints.s3(configured: nil, region: "us-east-1", environment: ["AWS_ENDPOINT_URL_S3": value])
        }
        #expect(fromEnvironment.message.contains("AWS_ENDPOINT_URL_S3"))
    }

    @Test("addressing style", arguments: [
        ("https://s3.eu-west-1.amazonaws.com", "logs", false, "https://logs.s3.eu-west-1.amazonaws.com/a/b%20c.json"),
        ("https://s3.eu-west-1.amazonaws.com", "logs", true, "https://s3.eu-west-1.amazonaws.com/logs/a/b%20c.json"),
        ("https://s3.eu-west-1.amazonaws.com", "my.dotted.bucket", false, "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/a/b%20c.json"),
        ("http://127.0.0.1:8333", "logs", false, "http://127.0.0.1:8333/logs/a/b%20c.json"),
        ("http://localhost:8333/", "logs", false, "http://localhost:8333/logs/a/b%20c.json"),
        ("http://minio.internal:9000", "logs", false, "http://logs.minio.internal:9000/a/b%20c.json"),
        ("http://[::1]:9000", "logs", false, "http://[::1]:9000/logs/a/b%20c.json"),
    ])
    func addressing(_ endpoint: String, _ bucket: String, _ forcePathStyle: Bool, _ expected: String) {
        let addressing = S3Addressing(endpoint: URL(string: endpoint)!, bucket: bucket, forcePathStyle: forcePathStyle)
        #expect(addressing.url(forKey: "a/b c.json").absoluteString == expected)
    }

    @Test("X-Amz-Date formatting", arguments: [
        (0 as Int64, "19700101T000000Z"), (1_440_938_160, "20150830T123600Z"), (951_782_400, "20000229T000000Z"),
        (4_102_444_799, "20991231T235959Z"),
    ])
    func timestamp(_ seconds: Int64, _ expected: String) {
        #expect(SigV4Timestamp(secondsSince1970: seconds).dateTime == expected)
        #expect(SigV4Timestamp(secondsSince1970: seconds).date == String(expected.prefix(8)))
    }

    @Test("STS expiration parsing", arguments: [
        ("2015-08-30T12:36:00Z", 1_440_938_160.0), ("2015-08-30T12:36:00.250Z", 1_440_938_160.25),
        ("2026-11-27T00:25:24.919364Z", 1_795_739_124.919364), ("2015-08-30T14:36:00+02:00", 1_440_938_160.0),
    ])
    func iso8601(_ text: String, _ expected: Double) throws {
        let date = try #require(AWSTimestamp.parseISO8601(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 0.0001)
    }
}
