import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import S3
import Synchronization
import Testing
import TestSupport

/// A clock tests move forward.
final class ManualClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
}

/// STS AssumeRole against moto_server (which accepts any base credentials), then the
/// temporary credentials sign a PutObject to moto's S3.
@Suite("AssumeRole against moto on loopback")
struct AssumeRoleTests {
    let logger = Logger(label: "AssumeRoleTests")
    static let roleARN = "arn:aws:iam::123456789012:role/sluice-writer"

    static func provider(_ server: S3TestServer, clock: ManualClock, duration: Int = 900) throws -> AssumeRoleCredentialProvider {
        AssumeRoleCredentialProvider(
            base: StaticCredentialProvider(accessKeyID: "AKIDBASE", secretAccessKey: "base-secret"),
            roleARN: roleARN, sessionName: "sluice-test", durationSeconds: duration, externalID: "sluice-external-id",
            stsEndpoint: try #require(server.stsEndpoint), region: server.region, httpClient: HTTPClient.shared,
            now: { clock.now() }
        )
    }

    @Test("returns temporary credentials, caches them, refreshes near expiry")
    func cacheAndRefresh() async throws {
        let server = try await S3TestServer.shared(.moto)
        let clock = ManualClock()
        let provider = try Self.provider(server, clock: clock)

        let first = try await provider.credentials(logger: logger)
        #expect(first.sessionToken?.isEmpty == false)
        #expect(!first.secretAccessKey.isEmpty)
        let expiration = try #require(first.expiration)
        #expect(abs(expiration.timeIntervalSinceNow - 900) < 120)
        #expect(!first.description.contains(first.secretAccessKey))
        #expect(!first.description.contains(first.sessionToken!))

        // moto hands out new keys on every call, so the same key proves the cache.
        #expect(try await provider.credentials(logger: logger) == first)
        clock.advance(by: 900 - 6 * 60)
        #expect(try await provider.credentials(logger: logger) == first)

        // Inside the five-minute margin: refreshed.
        clock.advance(by: 2 * 60)
        let second = try await provider.credentials(logger: logger)
        #expect(second.accessKeyID != first.accessKeyID)
        #expect(second.expiration! > expiration)
        // moto dates the new credentials by its real clock, which the test clock is now 11
        // minutes ahead of; back at real time they are fresh and served from the cache.
        clock.advance(by: -(900 - 6 * 60) - 2 * 60)
        #expect(try await provider.credentials(logger: logger) == second)
    }

    @Test("concurrent callers share one AssumeRole call")
    func concurrentCallersShareRefresh() async throws {
        let server = try await S3TestServer.shared(.moto)
        let provider = try Self.provider(server, clock: ManualClock())
        let logger = self.logger
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try await provider.credentials(logger: logger).accessKeyID }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
    }

    @Test("temporary credentials sign a PutObject to moto's S3")
    func putWithAssumedRole() async throws {
        let server = try await S3TestServer.shared(.moto)
        let bucket = "sluice-assume-role"
        try server.createBucket(bucket)
        let provider = try Self.provider(server, clock: ManualClock())
        let store = S3ObjectStore(
            configuration: .init(bucket: bucket, region: server.region, endpoint: server.endpoint, forcePathStyle: true),
            credentials: provider,
            httpClient: HTTPClient.shared
        )
        let body = Array("assumed role upload\n".utf8)
        _ = try await store.putObject(PutObjectRequest(key: "role/ü space.txt", body: ByteBuffer(bytes: body)), logger: logger)
        #expect(try server.getObject(bucket: bucket, key: "role/ü space.txt") == body)
        #expect(try await store.headObject(key: "role/ü space.txt", logger: logger) != nil)
    }

    @Test("an unreachable STS endpoint is a retryable transport error")
    func stsUnreachable() async throws {
        let provider = AssumeRoleCredentialProvider(
            base: StaticCredentialProvider(accessKeyID: "AKIDBASE", secretAccessKey: "base-secret"),
            roleARN: Self.roleARN, sessionName: "s", durationSeconds: 900, externalID: nil,
            stsEndpoint: URL(string: "http://127.0.0.1:9")!, region: "us-east-1", httpClient: HTTPClient.shared
        )
        let error = try await #require(throws: S3Error.self) { _ = try await provider.credentials(logger: logger) }
        #expect(error.isRetryable)
    }
}
