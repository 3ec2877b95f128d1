import Crypto
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

/// What a multipart upload creates: the object's key and everything but its body.
public struct MultipartUploadRequest: Sendable {
    public var key: String
    public var contentType: String?
    public var contentEncoding: String?
    /// Sent as `x-amz-meta-<name>`; names and values must be printable ASCII.
    public var metadata: [String: String]
    /// As `PutObjectRequest.headers`.
    public var headers: [(String, String)]

    public init(key: String, contentType: String? = nil, contentEncoding: String? = nil, metadata: [String: String] = [:], headers: [(String, String)] = []) {
        self.key = key
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.metadata = metadata
        self.headers = headers
    }
}

/// A part the server holds: its number and the ETag it answered with.
public struct UploadedPart: Sendable, Hashable {
    public var number: Int
    public var etag: String

    public init(number: Int, etag: String) {
        self.number = number
        self.etag = etag
    }
}

/// Where finished chunks go: S3 or a local directory standing in for a bucket.
///
/// Multipart uploads follow S3's API: every part but the last is at least 5 MiB, part numbers run
/// from 1 to 10,000, uploading a part number again replaces it, and an upload that is neither
/// completed nor aborted keeps its parts (and costs storage) until it is.
public protocol ObjectStore: Sendable {
    func putObject(_ request: PutObjectRequest, logger: Logger) async throws -> PutObjectResult
    /// The object's metadata (`x-amz-meta-*` names without the prefix), or nil when there is no such key.
    func headObject(key: String, logger: Logger) async throws -> ObjectHead?

    /// Starts a multipart upload; returns its upload id.
    func createMultipartUpload(_ request: MultipartUploadRequest, logger: Logger) async throws -> String
    /// Uploads one part, with its MD5 (`md5`, 16 bytes) as a checksum the server verifies; returns its ETag.
    func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer, md5: [UInt8], logger: Logger) async throws -> String
    /// Joins the parts, in number order, into the object.
    func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart], logger: Logger) async throws
    /// Discards the upload and its parts. An upload that no longer exists counts as aborted.
    func abortMultipartUpload(key: String, uploadID: String, logger: Logger) async throws
    /// The parts the server holds for the upload, by number; nil when there is no such upload
    /// (completed, aborted or never created).
    func listParts(key: String, uploadID: String, logger: Logger) async throws -> [UploadedPart]?
    /// The ids of the unfinished uploads to exactly this key.
    func listMultipartUploads(key: String, logger: Logger) async throws -> [String]

    /// Whether the bucket exists (HeadBucket); throws when that cannot be told (access denied, network).
    func bucketExists(logger: Logger) async throws -> Bool
    /// Creates the bucket in the store's region (`auto_create_bucket`).
    func createBucket(logger: Logger) async throws
}

/// What a HEAD tells about an existing object.
public struct ObjectHead: Sendable, Equatable {
    /// User metadata, names lower-cased and without `x-amz-meta-`.
    public var metadata: [String: String]

    public init(metadata: [String: String]) {
        self.metadata = metadata
    }
}

extension ObjectStore {
    /// Uploads one part, computing its MD5.
    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer, logger: Logger) async throws -> String {
        try await uploadPart(
            key: key, uploadID: uploadID, partNumber: partNumber, body: body,
            md5: Array(Insecure.MD5.hash(data: body.readableBytesView)), logger: logger
        )
    }
}
