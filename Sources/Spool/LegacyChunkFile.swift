// Chunk file, format version 1: the buffer format of Sluice before segment files. One file per chunk,
// named `<chunk id>.open` while records were appended and `<chunk id>.sealed` once no more would be.
// A buffer left in this format is read at start and carried over into segments (see PartitionBuffer
// recovery); nothing writes it any more. All integers little-endian.
//
//     offset  size  field
//     0       4     magic "SLCK"
//     4       1     format version (1)
//     5       1     flags (0; reserved)
//     6       2     header length H: bytes from offset 0 to the first record
//     8       16    chunk id (high, low)
//     24      4     index: the chunk's number among the chunks of its time slice (`%{index}`)
//     28      8     time slice start, Unix seconds
//     36      8     creation time, Unix nanoseconds
//     44      2     tag length T
//     46      T     tag, UTF-8
//     H       ...   records: JSON objects, each followed by LF
//
// A crash could leave a torn last record: the body is cut back to its last LF.

/// The fixed part of a chunk file.
struct LegacyChunkHeader: Equatable, Sendable {
    static let magic: [UInt8] = Array("SLCK".utf8)
    static let version: UInt8 = 1
    static let fixedLength = 46

    var id: ChunkID
    var index: Int
    var timeSlice: Int64
    var createdAt: Int64
    var tag: String

    var encodedLength: Int { Self.fixedLength + tag.utf8.count }


    /// Reads a header, or says why the bytes are not one.
    static func decode(_ bytes: [UInt8]) throws -> LegacyChunkHeader {
        guard bytes.count >= fixedLength, Array(bytes[0..<4]) == magic else {
            throw SpoolError(code: .corrupt, detail: "no chunk header (bad magic or short file)")
        }
        guard bytes[4] == version else {
            throw SpoolError(code: .unsupportedVersion, detail: "chunk format version \(bytes[4]); this Sluice reads \(version)")
        }
        let length = Int(readLittleEndian(bytes, at: 6, as: UInt16.self))
        let tagLength = Int(readLittleEndian(bytes, at: 44, as: UInt16.self))
        guard length == fixedLength + tagLength, bytes.count >= length,
            let tag = String(validating: bytes[fixedLength..<length], as: UTF8.self)
        else {
            throw SpoolError(code: .corrupt, detail: "inconsistent header length \(length)")
        }
        return LegacyChunkHeader(
            id: ChunkID(high: readLittleEndian(bytes, at: 8, as: UInt64.self), low: readLittleEndian(bytes, at: 16, as: UInt64.self)),
            index: Int(readLittleEndian(bytes, at: 24, as: UInt32.self)),
            timeSlice: readLittleEndian(bytes, at: 28, as: Int64.self),
            createdAt: readLittleEndian(bytes, at: 36, as: Int64.self),
            tag: tag
        )
    }
}

