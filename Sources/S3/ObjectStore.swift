import Logging
import NIOCore

/// One object to upload in a single PUT.
public struct PutObjectRequest: Sendable {
    public var key: String
    public var body: ByteBuffer
    public var contentType: String?
    public var contentEncoding: String?
    /// Sent as `x-amz-meta-<name>`; names and values must be printable ASCII.
    public var metadata: [String: String]
    /// Further headers, signed with the rest: `x-amz-storage-class`, `x-amz-server-side-encryption`,
    /// `x-amz-server-side-encryption-aws-kms-key-id`, `x-amz-acl`.
    public var headers: [(String, String)] = []

    public init(key: String, body: ByteBuffer, contentType: String? = nil, contentEncoding: String? = nil, metadata: [String: String] = [:]) {
        self.key = key
        self.body = body
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.metadata = metadata
    }
}

public struct PutObjectResult: Sendable, Equatable {
    public var etag: String?

    public init(etag: String?) {
        self.etag = etag
    }
}

/// Where finished chunks go: S3 or a local directory standing in for a bucket.
public protocol ObjectStore: Sendable {
    func putObject(_ request: PutObjectRequest, logger: Logger) async throws -> PutObjectResult
    /// The object's metadata (`x-amz-meta-*` names without the prefix), or nil when there is no such key.
    func headObject(key: String, logger: Logger) async throws -> ObjectHead?
}

/// What a HEAD tells about an existing object.
public struct ObjectHead: Sendable, Equatable {
    /// User metadata, names lower-cased and without `x-amz-meta-`.
    public var metadata: [String: String]

    public init(metadata: [String: String]) {
        self.metadata = metadata
    }
}
