/// Reads a sealed chunk's records back from its segments in blocks, checking every frame's CRC, so a
/// 256 MB chunk streams through the compressor without being held in memory whole.
public struct ChunkReader: ~Copyable {
    public static let defaultBlockSize = 1024 * 1024

    private let fileSystem: any SpoolFileSystem
    private var segments: ArraySlice<String>
    private var file: (any SpoolFile)?
    private var offset = 0
    /// Where in `file` the record bytes of the current frame not handed out yet lie.
    private var pending = 0..<0

    public init(_ chunk: SealedChunk, fileSystem: any SpoolFileSystem = PosixFileSystem()) {
        self.fileSystem = fileSystem
        self.segments = chunk.segments[...]
    }

    deinit {
        file?.close()
    }

    /// The next block of record bytes (at most `blockSize`), or nil at the end.
    public mutating func next(blockSize: Int = ChunkReader.defaultBlockSize) throws -> [UInt8]? {
        var block: [UInt8] = []
        return try next(into: &block, blockSize: blockSize) ? block : nil
    }

    /// Replaces `block` with the next block of record bytes (at most `blockSize`), reusing its storage;
    /// false at the end. Records are copied from the segment's mapping straight into the block.
    public mutating func next(into block: inout [UInt8], blockSize: Int = ChunkReader.defaultBlockSize) throws -> Bool {
        block.removeAll(keepingCapacity: true)
        block.reserveCapacity(blockSize)
        while block.count < blockSize {
            if let current = file, !pending.isEmpty {
                let take = min(blockSize - block.count, pending.count)
                try current.withUnsafeBytes(take, at: pending.lowerBound) { block.append(contentsOf: $0) }
                pending = (pending.lowerBound + take)..<pending.upperBound
                continue
            }
            guard let records = try nextFrame() else { break }
            pending = records
        }
        return !block.isEmpty
    }

    /// Where the records of the next frame lie in `file`, opening the next segment as needed; nil
    /// after the last.
    private mutating func nextFrame() throws -> Range<Int>? {
        while true {
            if file == nil {
                guard let path = segments.popFirst() else { return nil }
                let opened = try fileSystem.openMapped(path)
                _ = try SegmentHeader.decode(try opened.read(SegmentHeader.length, at: 0))
                file = opened
                offset = SegmentHeader.length
            }
            guard let current = file else { return nil }
            switch try Frame.locate(current, at: offset) {
            case .frame(let payload, _, let next):
                offset = next
                // The kind, and the tag's length: the records follow the tag.
                let start = try current.read(min(4, payload.count), at: payload.lowerBound)
                if DeliveryReceipt.isReceipt(start) { continue }
                let tagLength = start.count == 4 ? Int(readLittleEndian(start, at: 2, as: UInt16.self)) : 0
                let headerLength = min(payload.count, BatchHeader.fixedLength + tagLength)
                let header = try BatchHeader.decode(try current.read(headerLength, at: payload.lowerBound))
                return (payload.lowerBound + header.encodedLength)..<payload.upperBound
            case .end:
                current.close()
                file = nil
            case .damaged(let reason):
                throw SpoolError(code: .corrupt, detail: reason, path: current.path)
            }
        }
    }
}
