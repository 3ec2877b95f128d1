/// A chunk that takes no more records: ready to be compressed and uploaded, then committed.
public struct SealedChunk: Sendable, Hashable, CustomStringConvertible {
    public var id: ChunkID
    public var key: PartitionKey
    /// The chunk's number among the chunks of its time slice: `%{index}` in object keys.
    public var index: Int
    /// Its segment files, in order.
    public var segments: [String]
    /// Bytes of records (JSON lines), without framing.
    public var recordBytes: Int
    public var recordCount: Int
    /// Creation time, Unix nanoseconds.
    public var createdAt: Int64
    /// The object key recorded when its upload began (by this run or an earlier one): uploads use it
    /// again rather than a key computed anew.
    public var objectKey: String?
    /// Its multipart upload, recorded when created, with the parts the bucket holds.
    public var multipart: MultipartProgress?

    public init(
        id: ChunkID, key: PartitionKey, index: Int, segments: [String], recordBytes: Int, recordCount: Int, createdAt: Int64,
        objectKey: String? = nil, multipart: MultipartProgress? = nil
    ) {
        self.objectKey = objectKey
        self.multipart = multipart
        self.id = id
        self.key = key
        self.index = index
        self.segments = segments
        self.recordBytes = recordBytes
        self.recordCount = recordCount
        self.createdAt = createdAt
    }

    public var description: String {
        "chunk \(id) (\(key), index \(index), \(recordCount) records, \(recordBytes) bytes)"
    }
}

/// A multipart upload of a chunk's object, as far as it went.
public struct MultipartProgress: Sendable, Hashable {
    public var uploadID: String
    /// The size every part but the last was cut to: kept with the upload, so a resumed upload cuts
    /// its parts where the first attempt did, whatever `upload_part_size` says now.
    public var partSize: Int
    /// Parts the bucket holds, by part number.
    public var parts: [Int: FinishedPart]

    public init(uploadID: String, partSize: Int, parts: [Int: FinishedPart] = [:]) {
        self.uploadID = uploadID
        self.partSize = partSize
        self.parts = parts
    }
}

/// A part the bucket acknowledged: its ETag, and the length and MD5 of what was sent, so a resumed
/// upload can check it cuts the same bytes again.
public struct FinishedPart: Sendable, Hashable {
    public var etag: String
    public var length: Int
    public var md5: [UInt8]

    public init(etag: String, length: Int, md5: [UInt8]) {
        self.etag = etag
        self.length = length
        self.md5 = md5
    }
}

/// A multipart upload whose chunk left the buffer before the upload could be aborted.
public struct AbandonedUpload: Sendable, Hashable {
    /// Its file in the buffer's `aborts/` folder.
    public var name: String
    public var uploadID: String
    public var key: String
}
