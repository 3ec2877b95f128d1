/// Reads a sealed chunk's records back from its segments in blocks, checking every frame's CRC, so a
/// 256 MB chunk streams through the compressor without being held in memory whole.
public struct ChunkReader: ~Copyable {
    public static let defaultBlockSize = 1024 * 1024

    private let fileSystem: any SpoolFileSystem
    private var segments: ArraySlice<String>
    private var file: (any SpoolFile)?
    private var offset = 0
    /// Record bytes of the current frame not handed out yet.
    private var pending: [UInt8] = []
    private var pendingStart = 0

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
    /// false at the end.
    public mutating func next(into block: inout [UInt8], blockSize: Int = ChunkReader.defaultBlockSize) throws -> Bool {
        block.removeAll(keepingCapacity: true)
        block.reserveCapacity(blockSize)
        while block.count < blockSize {
            if pendingStart < pending.count {
                let take = min(blockSize - block.count, pending.count - pendingStart)
                block += pending[pendingStart..<(pendingStart + take)]
                pendingStart += take
                continue
            }
            guard let (payload, recordsStart) = try nextFrame() else { break }
            pending = payload
            pendingStart = recordsStart
        }
        return !block.isEmpty
    }

    /// The payload of the next frame and where its records start in it, opening the next segment as
    /// needed; nil after the last.
    private mutating func nextFrame() throws -> ([UInt8], Int)? {
        while true {
            if file == nil {
                guard let path = segments.popFirst() else { return nil }
                let opened = try fileSystem.open(path, writable: false, capacity: 0)
                _ = try SegmentHeader.decode(try opened.read(SegmentHeader.length, at: 0))
                file = opened
                offset = SegmentHeader.length
            }
            guard let current = file else { return nil }
            switch try Frame.read(current, at: offset) {
            case .frame(let payload, let next) where DeliveryReceipt.isReceipt(payload):
                offset = next
            case .frame(let payload, let next):
                offset = next
                let header = try BatchHeader.decode(payload)
                return (payload, header.encodedLength)
            case .end:
                current.close()
                file = nil
            case .damaged(let reason):
                throw SpoolError(code: .corrupt, detail: reason, path: current.path)
            }
        }
    }
}
