import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import S3
import Testing
import TestSupport

/// The multipart calls of both stores: against SeaweedFS (strict SigV4, real part handling), read
/// back with boto3, and against a local directory.
@Suite("Multipart upload")
struct MultipartUploadTests {
    static let bucket = "sluice-multipart-tests"
    let logger = Logger(label: "MultipartUploadTests")

    static func server() async throws -> S3TestServer {
        let server = try await S3TestServer.shared(.seaweedFS)
        try await offThePool { try server.createBucket(bucket) }
        return server
    }

    static func store(_ server: S3TestServer, endpoint: URL? = nil) -> S3ObjectStore {
        S3ObjectStore(
            configuration: .init(bucket: bucket, region: server.region, endpoint: endpoint ?? server.endpoint, forcePathStyle: true),
            credentials: StaticCredentialProvider(accessKeyID: server.accessKeyID, secretAccessKey: server.secretAccessKey),
            httpClient: HTTPClient.shared
        )
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// Create, two parts (the first at S3's 5 MiB minimum), list, complete: the object is the parts
    /// joined, with its metadata, and no upload is left behind.
    static func roundTrip(_ store: any ObjectStore, key: String, logger: Logger) async throws -> [UInt8] {
        let first = randomBytes(5 << 20, seed: 1)
        let second = randomBytes(70_001, seed: 2)
        let uploadID = try await store.createMultipartUpload(
            MultipartUploadRequest(key: key, contentType: "application/json", metadata: ["sluice-chunk-id": "abc123", "sluice-records": "42"]),
            logger: logger
        )
        #expect(try await store.listMultipartUploads(key: key, logger: logger) == [uploadID])
        // Sent out of order. (A part sent twice is replaced, but SeaweedFS then lists the old ETag, the
        // new one or both: resuming trusts only a listed ETag that matches what it recorded or cut.)
        let etag2 = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 2, body: ByteBuffer(bytes: second), logger: logger)
        let etag1 = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: ByteBuffer(bytes: first), logger: logger)
        let listed = try #require(try await store.listParts(key: key, uploadID: uploadID, logger: logger))
        #expect(listed == [UploadedPart(number: 1, etag: etag1), UploadedPart(number: 2, etag: etag2)])
        try await store.completeMultipartUpload(
            key: key, uploadID: uploadID,
            parts: [UploadedPart(number: 2, etag: etag2), UploadedPart(number: 1, etag: etag1)], logger: logger
        )
        #expect(try await store.listParts(key: key, uploadID: uploadID, logger: logger) == nil, "a completed upload is gone")
        #expect(try await store.listMultipartUploads(key: key, logger: logger).isEmpty)
        return first + second
    }

    @Test("SeaweedFS: parts joined in number order, metadata kept, nothing left behind")
    func roundTripOnSeaweedFS() async throws {
        let server = try await Self.server()
        let key = "multipart/round trip/ü-\(UInt32.random(in: 0...UInt32.max)).json"
        let expected = try await Self.roundTrip(Self.store(server), key: key, logger: logger)
        #expect(try await offThePool { try server.getObject(bucket: Self.bucket, key: key) } == expected)
        let metadata = try await offThePool { try server.objectMetadata(bucket: Self.bucket, key: key) }
        #expect(metadata["sluice-chunk-id"] == "abc123")
        #expect(metadata["sluice-records"] == "42")
    }

    @Test("local directory: parts joined in number order, nothing left behind")
    func roundTripInADirectory() async throws {
        let root = try PackagePaths.temporaryDirectory("multipart")
        let store = LocalDirectoryObjectStore(root: root)
        let expected = try await Self.roundTrip(store, key: "a/b/c.json", logger: logger)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/a/b/c.json"))) == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a/b") == ["c.json"])
    }

    @Test("abort discards the parts; aborting again and listing a gone upload are harmless", arguments: ["seaweedfs", "directory"])
    func abort(kind: String) async throws {
        let store: any ObjectStore = kind == "seaweedfs" ? Self.store(try await Self.server()) : LocalDirectoryObjectStore(root: try PackagePaths.temporaryDirectory("multipart"))
        let key = "aborted/\(UInt32.random(in: 0...UInt32.max)).json"
        let uploadID = try await store.createMultipartUpload(MultipartUploadRequest(key: key), logger: logger)
        _ = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: ByteBuffer(string: "part"), logger: logger)
        try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)
        #expect(try await store.listParts(key: key, uploadID: uploadID, logger: logger) == nil)
        #expect(try await store.listMultipartUploads(key: key, logger: logger).isEmpty)
        try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)
        #expect(try await store.headObject(key: key, logger: logger) == nil)
        await #expect(throws: S3Error.self) {
            _ = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 2, body: ByteBuffer(string: "late"), logger: self.logger)
        }
    }

    @Test("completing with a wrong ETag is refused as invalidPart")
    func wrongETag() async throws {
        let server = try await Self.server()
        let store = Self.store(server)
        let key = "invalid-part/\(UInt32.random(in: 0...UInt32.max)).json"
        let uploadID = try await store.createMultipartUpload(MultipartUploadRequest(key: key), logger: logger)
        _ = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: ByteBuffer(string: "part"), logger: logger)
        let error = await #expect(throws: S3Error.self) {
            try await store.completeMultipartUpload(
                key: key, uploadID: uploadID, parts: [UploadedPart(number: 1, etag: "\"00000000000000000000000000000000\"")], logger: self.logger
            )
        }
        #expect(error?.code == .invalidPart)
        try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)
    }

    @Test("a part damaged on the way is refused by its checksum, and that error is retryable")
    func damagedPart() async throws {
        let server = try await Self.server()
        let proxy = try await S3FaultProxy.start(upstream: server.endpoint)
        defer { Task { await proxy.stop() } }
        let store = Self.store(server, endpoint: proxy.endpoint)
        let key = "damaged/\(UInt32.random(in: 0...UInt32.max)).json"
        let uploadID = try await store.createMultipartUpload(MultipartUploadRequest(key: key), logger: logger)
        proxy.inject(.damageBody, on: .uploadPart)
        let error = await #expect(throws: S3Error.self) {
            _ = try await store.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: ByteBuffer(bytes: Self.randomBytes(100_000, seed: 3)), logger: self.logger)
        }
        #expect(error?.isRetryable == true, "\(String(describing: error))")
        #expect(proxy.recorded.contains { $0.fault == .damageBody && $0.status == 400 }, "\(proxy.recorded)")
        #expect(try await store.listParts(key: key, uploadID: uploadID, logger: logger) == [], "the damaged part was not stored")
        try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)
    }

    @Test("unfinished uploads of a key are listed across pages")
    func listingPages() async throws {
        let server = try await Self.server()
        let store = Self.store(server)
        let key = "pages/\(UInt32.random(in: 0...UInt32.max)).json"
        var created: [String] = []
        for _ in 0..<5 {
            created.append(try await store.createMultipartUpload(MultipartUploadRequest(key: key), logger: logger))
        }
        // Another key sharing the prefix is not ours.
        let other = try await store.createMultipartUpload(MultipartUploadRequest(key: key + ".other"), logger: logger)
        let listed = try await store.listMultipartUploads(key: key, pageSize: 2, logger: logger)
        #expect(Set(listed) == Set(created), "\(listed)")
        #expect(listed.count == 5)
        for uploadID in created { try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger) }
        try await store.abortMultipartUpload(key: key + ".other", uploadID: other, logger: logger)
    }
}
