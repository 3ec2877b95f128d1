import AsyncHTTPClient
import Foundation
import Logging
@testable import S3
import Testing
import TestSupport

/// IMDSv2 and the ECS container endpoint against `MetadataStandIn` (which enforces the IMDSv2
/// token, as no real service here does), plus moto's instance metadata paths for interop.
/// Nothing here ever connects to 169.254.169.254: every provider gets a loopback endpoint.
@Suite("Instance metadata (IMDSv2) and container credentials")
struct InstanceMetadataTests {
    let logger = Logger(label: "InstanceMetadataTests")

    static func provider(
        _ endpoint: URL,
        inChain: Bool = false,
        retries: Int = 0,
        environment: [String: String] = [:],
        clock: ManualClock = ManualClock()
    ) -> InstanceMetadataCredentialProvider {
        var configuration = InstanceMetadataCredentialProvider.Configuration(endpoint: endpoint)
        configuration.retries = retries
        configuration.missingServiceIsNotFound = inChain
        return InstanceMetadataCredentialProvider(configuration: configuration, environment: environment, now: { clock.now() })
    }

    @Test("fetches a token, sends it with both GETs, parses the credentials, caches them")
    func tokenAndCredentials() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        let provider = Self.provider(server.endpoint)
        let credentials = try await provider.credentials(logger: logger)
        #expect(credentials.accessKeyID == "ASIASTANDIN1")
        #expect(credentials.secretAccessKey == "standin-secret-1")
        #expect(credentials.sessionToken == "standin-session-1")
        #expect(abs(try #require(credentials.expiration).timeIntervalSinceNow - 6 * 3600) < 60)

        let requests = server.requests
        #expect(requests.map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/sluice-instance-role",
        ])
        #expect(requests[0].ttlHeader == "21600")
        #expect(requests[0].token == nil)
        let token = try #require(requests[1].token)
        #expect(token.hasPrefix("standin-token-"))
        #expect(requests[2].token == token)

        #expect(try await provider.credentials(logger: logger) == credentials)
        #expect(server.issuedCount == 1)
    }

    @Test("the stand-in enforces the token: without it, 401")
    func standInEnforcesToken() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        var request = HTTPClientRequest(url: server.endpoint.absoluteString + "/latest/meta-data/iam/security-credentials/")
        request.method = .GET
        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(5)).status.code == 401)
        request.headers.add(name: "X-aws-ec2-metadata-token", value: "made-up")
        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(5)).status.code == 401)
        var put = HTTPClientRequest(url: server.endpoint.absoluteString + "/latest/api/token")
        put.method = .PUT
        #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(5)).status.code == 400)
    }

    @Test("refreshes five minutes before expiry, with a new token")
    func refresh() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        server.setExpiresIn(3600)
        let clock = ManualClock()
        let provider = Self.provider(server.endpoint, clock: clock)
        let first = try await provider.credentials(logger: logger)
        clock.advance(by: 3600 - 6 * 60)
        #expect(try await provider.credentials(logger: logger) == first)
        clock.advance(by: 2 * 60)
        let second = try await provider.credentials(logger: logger)
        #expect(second.accessKeyID == "ASIASTANDIN2")
        let puts = server.requests.filter { $0.method == "PUT" }
        #expect(puts.count == 2)

        // A failed refresh keeps the still-valid credentials.
        clock.advance(by: 2 * 60)
        server.failNext(100)
        #expect(try await provider.credentials(logger: logger) == second)
    }

    @Test("retries a 5xx")
    func retries() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        server.failNext(1)
        let credentials = try await Self.provider(server.endpoint, retries: 1).credentials(logger: logger)
        #expect(credentials.accessKeyID == "ASIASTANDIN1")
        server.failNext(2)
        let error = try await #require(throws: S3Error.self) {
            _ = try await Self.provider(server.endpoint, retries: 1).credentials(logger: logger)
        }
        #expect(error.code == .serverError)
    }

    @Test("an instance without a role is not found")
    func noRole() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        server.setRole(nil)
        let error = try await #require(throws: S3Error.self) { _ = try await Self.provider(server.endpoint).credentials(logger: logger) }
        #expect(error.code == .credentialsNotFound)
        #expect(error.message.contains("no IAM role"))
    }

    @Test("unanswered service: not found within about a second in the chain, a retryable error when named")
    func unanswered() async throws {
        let port = try UnansweredPort()
        let endpoint = URL(string: "http://127.0.0.1:\(port.port)")!
        let start = ContinuousClock.now
        let error = try await #require(throws: S3Error.self) {
            _ = try await Self.provider(endpoint, inChain: true).credentials(logger: logger)
        }
        let elapsed = ContinuousClock.now - start
        #expect(error.code == .credentialsNotFound)
        // It waited for the connect timeout (1 s; alone this takes 1.00 s), not for a refusal. No
        // upper bound: on a loaded machine the test's own resumption can wait seconds for a thread.
        #expect(elapsed >= .milliseconds(900), "took \(elapsed)")

        // Named explicitly (<instance_profile_credentials>), the same is a retryable error.
        let named = try await #require(throws: S3Error.self) { _ = try await Self.provider(endpoint).credentials(logger: logger) }
        #expect(named.code != .credentialsNotFound)
        #expect(named.isRetryable)

        // Nothing listening at all (connection refused) is not found in the chain too.
        let closed = URL(string: "http://127.0.0.1:\(try LoopbackPorts.free(1)[0])")!
        let refused = try await #require(throws: S3Error.self) { _ = try await Self.provider(closed, inChain: true).credentials(logger: logger) }
        #expect(refused.code == .credentialsNotFound)
    }

    @Test("default chain off EC2: the full error after about a second")
    func defaultChainOffEC2() async throws {
        let port = try UnansweredPort()
        let chain = try CredentialChain.standard(
            staticCredentials: nil,
            environment: ["HOME": "/nonexistent-sluice-home", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port.port)"],
            region: "us-east-1", httpClient: HTTPClient.shared
        )
        // Off EC2 the chain gives up on the metadata service after its 1 s connect timeout.
        let imds = try #require(chain.providers.compactMap { $0 as? InstanceMetadataCredentialProvider }.first)
        #expect(imds.configuration.openTimeout == .seconds(1))
        #expect(imds.configuration.missingServiceIsNotFound)
        let error = try await #require(throws: S3Error.self) { _ = try await chain.credentials(logger: logger) }
        #expect(error.code == .credentialsNotFound)
        #expect(error.message.contains("no AWS credentials found"))
        #expect(error.message.contains("InstanceMetadataCredentialProvider"))
        #expect(error.message.contains("127.0.0.1:\(port.port)"))
    }

    @Test("default chain on EC2: the stand-in's role credentials, then from cache")
    func defaultChainOnEC2() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        let chain = try CredentialChain.standard(
            staticCredentials: nil,
            environment: ["HOME": "/nonexistent-sluice-home", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString],
            region: "us-east-1", httpClient: HTTPClient.shared
        )
        #expect(try await chain.credentials(logger: logger).accessKeyID == "ASIASTANDIN1")
        #expect(try await chain.credentials(logger: logger).accessKeyID == "ASIASTANDIN1")
        #expect(server.requests.count == 3)
    }

    @Test("AWS_EC2_METADATA_DISABLED=true: no request at all")
    func disabled() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        let provider = Self.provider(server.endpoint, inChain: true, environment: ["AWS_EC2_METADATA_DISABLED": "TRUE"])
        let error = try await #require(throws: S3Error.self) { _ = try await provider.credentials(logger: logger) }
        #expect(error.code == .credentialsNotFound)
        #expect(error.message.contains("AWS_EC2_METADATA_DISABLED"))
        #expect(server.requests.isEmpty)
    }

    @Test("endpoint: ip_address/port, then AWS_EC2_METADATA_SERVICE_ENDPOINT, then 169.254.169.254")
    func endpoint() throws {
        typealias Configuration = InstanceMetadataCredentialProvider.Configuration
        let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1338/"]
        #expect(try Configuration.endpoint(ipAddress: nil, port: nil, environment: [:]).absoluteString == "http://169.254.169.254")
        #expect(try Configuration.endpoint(ipAddress: nil, port: nil, environment: environment).absoluteString == "http://127.0.0.1:1338/")
        #expect(try Configuration.endpoint(ipAddress: "127.0.0.2", port: nil, environment: environment).absoluteString == "http://127.0.0.2:80")
        #expect(try Configuration.endpoint(ipAddress: "fd00:ec2::254", port: 8080, environment: [:]).absoluteString == "http://[fd00:ec2::254]:8080")
        #expect(throws: S3Error.self) { try Configuration.endpoint(ipAddress: nil, port: nil, environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"]) }
    }

    @Test("moto's instance metadata paths (no token checks there) give its fixed credentials")
    func motoInterop() async throws {
        let server = try await S3TestServer.shared(.moto)
        guard ProcessInfo.processInfo.environment["SLUICE_TEST_S3_ENDPOINT"] == nil else { return }
        let credentials = try await Self.provider(server.endpoint).credentials(logger: logger)
        #expect(credentials == AWSCredentials(
            accessKeyID: "test-key", secretAccessKey: "test-secret-key", sessionToken: "test-session-token",
            expiration: credentials.expiration
        ))
        #expect(try #require(credentials.expiration) > Date().addingTimeInterval(20 * 3600))
    }

    // MARK: ECS container endpoint

    @Test("container credentials: FULL_URI with the authorization token, from the variable or its file")
    func container() async throws {
        let server = try await MetadataStandIn.start()
        defer { Task { await server.stop() } }
        let url = server.endpoint.absoluteString + "/ecs/credentials"
        let provider = ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": server.containerToken,
        ])
        #expect(try await provider.credentials(logger: logger).accessKeyID == "ASIASTANDIN1")

        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ecs-\(UUID().uuidString)").path
        try (server.containerToken + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let fromFile = ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-the-file-is-set",
        ])
        #expect(try await fromFile.credentials(logger: logger).accessKeyID == "ASIASTANDIN2")

        let wrong = ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"], retries: 0)
        let error = try await #require(throws: S3Error.self) { _ = try await wrong.credentials(logger: logger) }
        #expect(error.httpStatus == 401)
        #expect(!error.message.contains("wrong"))
    }

    @Test("container credentials: not configured, or a FULL_URI the SDKs refuse")
    func containerConfiguration() async throws {
        let none = try await #require(throws: S3Error.self) { _ = try await ContainerCredentialProvider(environment: [:]).credentials(logger: logger) }
        #expect(none.code == .credentialsNotFound)
        let plainHTTP = ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"])
        let refused = try await #require(throws: S3Error.self) { _ = try await plainHTTP.credentials(logger: logger) }
        #expect(refused.code == .invalidCredentialSource)
        #expect(!ContainerCredentialProvider.isConfigured(environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": " "]))
    }
}

