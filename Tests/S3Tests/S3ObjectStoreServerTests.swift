import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import S3
import Testing
import TestSupport

/// PutObject/HeadObject through `S3ObjectStore` against SeaweedFS, which checks SigV4
/// strictly, so a successful PUT proves the signature; bytes are read back with boto3.
@Suite("S3ObjectStore against SeaweedFS on loopback")
struct S3ObjectStoreServerTests {
    static let bucket = "sluice-s3-tests"
    let logger = Logger(label: "S3ObjectStoreServerTests")

    static func server() async throws -> S3TestServer {
        let server = try await S3TestServer.shared(.seaweedFS)
        try server.createBucket(bucket)
        return server
    }

    static func store(_ server: S3TestServer, bucket: String = bucket, secret: String? = nil) -> S3ObjectStore {
        S3ObjectStore(
            configuration: .init(bucket: bucket, region: server.region, endpoint: server.endpoint, forcePathStyle: true),
            credentials: StaticCredentialProvider(accessKeyID: server.accessKeyID, secretAccessKey: secret ?? server.secretAccessKey),
            httpClient: HTTPClient.shared
        )
    }

    static let keys = [
        "logs/2024/05/17/web-1_0.json.gz",
        "logs/with space/file name.json",
        "logs/ünïcödé/日本語/ключ.log",
        "logs/special/a+b=c&d;e,f@g$h'i(j)k!l*m~n%o.txt",
        "top-level.json",
    ]

    @Test("PutObject lands and reads back byte-identical", arguments: keys)
    func putAndReadBack(key: String) async throws {
        let server = try await Self.server()
        let store = Self.store(server)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let result = try await store.putObject(
            PutObjectRequest(key: key, body: ByteBuffer(bytes: bytes), contentType: "application/octet-stream"),
            logger: logger
        )
        #expect(result.etag != nil)
        #expect(try server.getObject(bucket: Self.bucket, key: key) == bytes)
        let prefix = String(key.prefix { $0 != "/" })
        #expect(try server.listObjects(bucket: Self.bucket, prefix: prefix).contains(key))
        #expect(try await store.headObject(key: key, logger: logger) != nil)
    }

    @Test("content type, encoding and metadata are stored")
    func headersStored() async throws {
        let server = try await Self.server()
        let store = Self.store(server)
        let key = "meta/chunk.json.gz"
        _ = try await store.putObject(
            PutObjectRequest(
                key: key, body: ByteBuffer(string: "x"), contentType: "application/json", contentEncoding: "gzip",
                metadata: ["sluice-chunk": "0f3a9c"]
            ),
            logger: logger
        )
        let head = try server.boto3("""
            head = s3.head_object(Bucket=sys.argv[1], Key=sys.argv[2])
            print(json.dumps([head.get("ContentType"), head.get("ContentEncoding"), head.get("Metadata", {})]))
            """, arguments: [Self.bucket, key])
        #expect(head.contains("application/json"))
        #expect(head.contains("gzip"))
        #expect(head.contains("0f3a9c"))
        // Sluice's own HEAD reads the metadata back: that is how a retry recognises its own object.
        let plain = "meta/chunk.gz"
        _ = try await store.putObject(
            PutObjectRequest(key: plain, body: ByteBuffer(string: "y"), contentType: "application/x-gzip", metadata: ["sluice-chunk-id": "0f3a9c"]),
            logger: logger
        )
        #expect(try await store.headObject(key: plain, logger: logger)?.metadata["sluice-chunk-id"] == "0f3a9c")
    }

    @Test("headObject is nil for a missing key")
    func headMissing() async throws {
        let server = try await Self.server()
        #expect(try await Self.store(server).headObject(key: "no/such/key-\(UUID())", logger: logger) == nil)
    }

    @Test("a wrong secret is a non-retryable signature or access error that does not show the secret")
    func wrongSecret() async throws {
        let server = try await Self.server()
        let wrongSecret = "wrong/Secret+\(UUID().uuidString)"
        let error = try await #require(throws: S3Error.self) {
            _ = try await Self.store(server, secret: wrongSecret).putObject(
                PutObjectRequest(key: "denied.json", body: ByteBuffer(string: "{}")), logger: logger
            )
        }
        #expect(["SignatureDoesNotMatch", "AccessDenied"].contains(error.awsCode))
        #expect(error.code == .signatureMismatch || error.code == .accessDenied)
        #expect(error.httpStatus == 403)
        #expect(!error.isRetryable)
        #expect(!error.description.contains(wrongSecret))
        #expect(!error.description.contains(server.secretAccessKey))
    }

    @Test("NoSuchBucket is classified and not retryable")
    func noSuchBucket() async throws {
        let server = try await Self.server()
        let error = try await #require(throws: S3Error.self) {
            _ = try await Self.store(server, bucket: "sluice-missing-bucket").putObject(
                PutObjectRequest(key: "x.json", body: ByteBuffer(string: "{}")), logger: logger
            )
        }
        #expect(error.code == .noSuchBucket)
        #expect(error.awsCode == "NoSuchBucket")
        #expect(error.httpStatus == 404)
        #expect(!error.isRetryable)
        #expect(error.description.contains("s3_bucket"))
    }

    @Test("a refused connection is a retryable transport error")
    func connectionRefused() async throws {
        // Port 9 on loopback (discard) has no listener here.
        let store = S3ObjectStore(
            configuration: .init(bucket: "b", region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:9")!, requestTimeout: .seconds(5)),
            credentials: StaticCredentialProvider(accessKeyID: "AKID", secretAccessKey: "secret"),
            httpClient: HTTPClient.shared
        )
        let error = try await #require(throws: S3Error.self) {
            _ = try await store.putObject(PutObjectRequest(key: "x", body: ByteBuffer(string: "x")), logger: logger)
        }
        #expect(error.code == .transport || error.code == .requestTimeout)
        #expect(error.isRetryable)
    }
}
