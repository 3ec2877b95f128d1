/// A chunk that takes no more records: ready to be compressed and uploaded, then committed.
public struct SealedChunk: Sendable, Hashable, CustomStringConvertible {
    public var id: ChunkID
    public var key: PartitionKey
    /// The chunk's number among the chunks of its time slice: `%{index}` in object keys.
    public var index: Int
    public var path: String
    /// Where the records start in the file, and how many bytes they take.
    public var bodyOffset: Int
    public var bodyLength: Int
    public var recordCount: Int
    /// Creation time, Unix nanoseconds.
    public var createdAt: Int64

    public var description: String {
        "chunk \(id) (\(key), index \(index), \(recordCount) records, \(bodyLength) bytes)"
    }
}
