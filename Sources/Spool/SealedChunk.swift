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

    public init(
        id: ChunkID, key: PartitionKey, index: Int, segments: [String], recordBytes: Int, recordCount: Int, createdAt: Int64,
        objectKey: String? = nil
    ) {
        self.objectKey = objectKey
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
