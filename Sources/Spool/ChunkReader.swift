#if canImport(Glibc)
import Glibc
#endif

/// Reads a sealed chunk's records in blocks, so a 256 MB chunk streams through the compressor
/// without being held in memory whole.
public struct ChunkReader: ~Copyable {
    public static let defaultBlockSize = 1024 * 1024

    private let fd: Int32
    private let path: String
    private var offset: Int
    private let end: Int

    public init(_ chunk: SealedChunk) throws {
        fd = try FileIO.open(chunk.path, flags: O_RDONLY)
        path = chunk.path
        offset = chunk.bodyOffset
        end = chunk.bodyOffset + chunk.bodyLength
    }

    deinit {
        close(fd)
    }

    /// The next block of record bytes, or nil at the end.
    public mutating func next(blockSize: Int = ChunkReader.defaultBlockSize) throws -> [UInt8]? {
        guard offset < end else { return nil }
        let bytes = try FileIO.read(fd, count: min(blockSize, end - offset), at: offset, path: path)
        guard !bytes.isEmpty else {
            throw SpoolError(code: .corruptChunk, detail: "chunk is shorter than recorded", path: path)
        }
        offset += bytes.count
        return bytes
    }
}
