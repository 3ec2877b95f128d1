import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import S3
import Testing
import TestSupport

/// STS AssumeRoleWithWebIdentity against a moto_server of its own, with moto's request recorder
/// on, so the test sees what reached STS (moto accepts any token; it does not verify it).
@Suite("Web identity against moto on loopback", .serialized)
struct WebIdentityTests {
    let logger = Logger(label: "WebIdentityTests")
    static let roleARN = "arn:aws:iam::123456789012:role/sluice-web"

    /// The form fields of the AssumeRoleWithWebIdentity calls moto recorded, oldest first.
    static func recordedCalls(_ server: S3TestServer) throws -> [[String: String]] {
        let output = try server.boto3("""
            import urllib.request, urllib.parse
            text = urllib.request.urlopen(os.environ["SLUICE_BOTO_ENDPOINT"] + "/moto-api/recorder/download-recording").read().decode()
            calls = []
            for line in text.splitlines():
                entry = json.loads(line)
                body = entry.get("body") or ""
                if entry.get("body_encoded"):
                    body = base64.b64decode(body).decode()
                fields = dict(urllib.parse.parse_qsl(body))
                if fields.get("Action") == "AssumeRoleWithWebIdentity":
                    fields["_authorization"] = entry["headers"].get("Authorization", "")
                    calls.append(fields)
            print(json.dumps(calls))
            """)
        return try JSONDecoder().decode([[String: String]].self, from: Data(output.utf8))
    }

    static func startRecording(_ server: S3TestServer) throws {
        try server.boto3("""
            import urllib.request
            urllib.request.urlopen(urllib.request.Request(os.environ["SLUICE_BOTO_ENDPOINT"] + "/moto-api/recorder/start-recording", method="POST")).read()
            """)
    }

    @Test("sends the token file's content unsigned, caches, and re-reads the file at refresh")
    func tokenSentAndRefreshed() async throws {
        let server = try await offThePool { try S3TestServer.start(.moto) }
        do {
            try await exercise(server)
        } catch {
            _ = try? await offThePool { server.stop() }
            throw error
        }
        try await offThePool { server.stop() }
    }

    private func exercise(_ server: S3TestServer) async throws {
        try await offThePool { try Self.startRecording(server) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-web-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokenFile = directory + "/token"
        try "eyJhbGciOiJSUzI1NiJ9.first-token.sig\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)

        let clock = ManualClock()
        let provider = WebIdentityCredentialProvider(
            roleARN: Self.roleARN, sessionName: "sluice-web-test", tokenFile: tokenFile,
            policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
            durationSeconds: 900, stsEndpoint: try #require(server.stsEndpoint), region: server.region,
            httpClient: HTTPClient.shared, now: { clock.now() }
        )
        let first = try await provider.credentials(logger: logger)
        #expect(first.sessionToken?.isEmpty == false)
        #expect(abs(try #require(first.expiration).timeIntervalSinceNow - 900) < 120)
        #expect(!first.description.contains(first.secretAccessKey))
        #expect(try await provider.credentials(logger: logger) == first)

        // The owner rotates the token; the next refresh (inside the five-minute margin) sends the new one.
        try "eyJhbGciOiJSUzI1NiJ9.second-token.sig".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        clock.advance(by: 900 - 4 * 60)
        let second = try await provider.credentials(logger: logger)
        #expect(second.accessKeyID != first.accessKeyID)

        let calls = try await offThePool { try Self.recordedCalls(server) }
        try #require(calls.count == 2)
        #expect(calls.map { $0["WebIdentityToken"] } == ["eyJhbGciOiJSUzI1NiJ9.first-token.sig", "eyJhbGciOiJSUzI1NiJ9.second-token.sig"])
        #expect(calls.allSatisfy { $0["RoleArn"] == Self.roleARN && $0["RoleSessionName"] == "sluice-web-test" })
        #expect(calls.allSatisfy { $0["DurationSeconds"] == "900" && $0["Policy"]?.contains("s3:PutObject") == true })
        #expect(calls.allSatisfy { $0["_authorization"] == "" }, "AssumeRoleWithWebIdentity is sent unsigned")

        // The credentials sign a PutObject to the same moto.
        let bucket = "sluice-web-identity"
        try await offThePool { try server.createBucket(bucket) }
        let store = S3ObjectStore(
            configuration: .init(bucket: bucket, region: server.region, endpoint: server.endpoint, forcePathStyle: true),
            credentials: provider, httpClient: HTTPClient.shared
        )
        _ = try await store.putObject(PutObjectRequest(key: "web/identity.txt", body: ByteBuffer(string: "hello\n")), logger: logger)
        let stored = try await offThePool { try server.getObject(bucket: bucket, key: "web/identity.txt") }
        #expect(stored == Array("hello\n".utf8))
    }

    @Test("an unreadable or empty token file is an error naming the file, never the token")
    func tokenFileProblems() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-web-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (file, content) in [(directory + "/absent", nil), (directory + "/empty", "\n")] as [(String, String?)] {
            if let content { try content.write(toFile: file, atomically: true, encoding: .utf8) }
            let provider = WebIdentityCredentialProvider(
                roleARN: Self.roleARN, sessionName: nil, tokenFile: file,
                stsEndpoint: URL(string: "http://127.0.0.1:9")!, region: "us-east-1", httpClient: HTTPClient.shared
            )
            let error = try await #require(throws: S3Error.self) { _ = try await provider.credentials(logger: logger) }
            #expect(error.code == .invalidCredentialSource)
            #expect(error.message.contains(file))
        }
    }

    @Test("from the environment: both variables or not found")
    func environment() async throws {
        let missing = WebIdentityCredentialProvider.environment(
            ["AWS_ROLE_ARN": Self.roleARN], stsEndpoint: URL(string: "http://127.0.0.1:9")!, region: "us-east-1",
            httpClient: HTTPClient.shared
        )
        let error = try await #require(throws: S3Error.self) { _ = try await missing.credentials(logger: logger) }
        #expect(error.code == .credentialsNotFound)
    }
}
