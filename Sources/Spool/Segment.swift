// Segment file, format version 1: `<chunk id>-<number>.seg`, one of the files a chunk's records are
// written to, in order. All integers little-endian.
//
//     Header, 64 bytes
//     offset  size  field
//     0       4     magic "SLSG"
//     4       1     format version (1)
//     5       1     flags (0; reserved)
//     6       2     header length (64): frames start here
//     8       16    chunk id (high, low)
//     24      4     segment number within the chunk: 0, 1, ...
//     28      4     reserved (0)
//     32      8     creation time, Unix nanoseconds
//     40      8     capacity: the most bytes this file grows to
//     48      4     CRC-32C of bytes 0..<48
//     52      12    reserved (0)
//
//     Frames, from offset 64, back to back
//     0       4     payload length L (> 0); a length of 0 ends the frames
//     4       4     CRC-32C of the payload
//     8       L     payload
//
//     Payload: one batch of records of one partition (kind 1), or the receipt of a batch from an
//     acknowledged sender (kind 2, drawn in DeliveryReceipt.swift)
//     0       1     kind (1: records)
//     1       1     flags (0; reserved)
//     2       2     tag length T
//     4       4     record count
//     8       8     time slice start, Unix seconds
//     16      8     earliest record time, Unix seconds
//     24      8     latest record time, Unix seconds
//     32      T     tag, UTF-8
//     32+T    ...   records: JSON objects, each followed by LF
//
// The file is appended to with pwrite and grows in steps of reserved (fallocate'd, zero-filled)
// space, so the bytes after the last frame read as zero and end the scan. A frame whose
// length runs past the file or whose CRC does not match is a torn write when it is the last thing in
// an open chunk (recovery cuts it), and corruption anywhere else (recovery keeps the frames before it
// and moves a copy of the file to `quarantine/`).

/// The fixed header of a segment file.
struct SegmentHeader: Equatable, Sendable {
    static let magic: [UInt8] = Array("SLSG".utf8)
    static let version: UInt8 = 1
    static let length = 64

    var chunkID: ChunkID
    var number: Int
    var createdAt: Int64
    var capacity: Int

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        bytes.append(0)
        appendLittleEndian(UInt16(Self.length), to: &bytes)
        appendLittleEndian(chunkID.high, to: &bytes)
        appendLittleEndian(chunkID.low, to: &bytes)
        appendLittleEndian(UInt32(number), to: &bytes)
        appendLittleEndian(UInt32(0), to: &bytes)
        appendLittleEndian(createdAt, to: &bytes)
        appendLittleEndian(UInt64(capacity), to: &bytes)
        appendLittleEndian(CRC32C.checksum(bytes), to: &bytes)
        bytes += [UInt8](repeating: 0, count: Self.length - bytes.count)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> SegmentHeader {
        guard bytes.count >= length, Array(bytes[0..<4]) == magic else {
            throw SpoolError(code: .corrupt, detail: "no segment header (bad magic or short file)")
        }
        guard bytes[4] == version else {
            throw SpoolError(code: .unsupportedVersion, detail: "segment format version \(bytes[4]); this Sluice reads \(version)")
        }
        let crc = readLittleEndian(bytes, at: 48, as: UInt32.self)
        guard CRC32C.checksum(Array(bytes[0..<48])) == crc, readLittleEndian(bytes, at: 6, as: UInt16.self) == length else {
            throw SpoolError(code: .corrupt, detail: "segment header checksum mismatch")
        }
        return SegmentHeader(
            chunkID: ChunkID(high: readLittleEndian(bytes, at: 8, as: UInt64.self), low: readLittleEndian(bytes, at: 16, as: UInt64.self)),
            number: Int(readLittleEndian(bytes, at: 24, as: UInt32.self)),
            createdAt: readLittleEndian(bytes, at: 32, as: Int64.self),
            capacity: try checkedInt(readLittleEndian(bytes, at: 40, as: UInt64.self), "segment capacity")
        )
    }

    static func fileName(chunk: ChunkID, number: Int) -> String {
        let digits = String(number)
        return chunk.hex + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".seg"
    }

    /// The chunk id and segment number a segment file name carries.
    static func parse(fileName name: String) -> (ChunkID, Int)? {
        guard name.hasSuffix(".seg"), name.utf8.count >= 32 + 1 + 1 + 4 else { return nil }
        let stem = name.dropLast(4)
        let parts = stem.split(separator: "-")
        guard parts.count == 2, let id = ChunkID(hex: parts[0]), let number = Int(parts[1]) else { return nil }
        return (id, number)
    }
}

/// The partition-level header of a records payload.
struct BatchHeader: Equatable, Sendable {
    static let kindRecords: UInt8 = 1
    static let fixedLength = 32

    var tag: String
    var recordCount: Int
    var timeSlice: Int64
    var earliest: Int64
    var latest: Int64

    var encodedLength: Int { Self.fixedLength + tag.utf8.count }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.kindRecords, 0]
        bytes.reserveCapacity(encodedLength)
        appendLittleEndian(UInt16(tag.utf8.count), to: &bytes)
        appendLittleEndian(UInt32(recordCount), to: &bytes)
        appendLittleEndian(timeSlice, to: &bytes)
        appendLittleEndian(earliest, to: &bytes)
        appendLittleEndian(latest, to: &bytes)
        bytes.append(contentsOf: tag.utf8)
        return bytes
    }

    static func decode(_ payload: [UInt8]) throws -> BatchHeader {
        guard payload.count >= fixedLength, payload[0] == kindRecords else {
            throw SpoolError(code: .corrupt, detail: "frame is not a records batch")
        }
        let tagLength = Int(readLittleEndian(payload, at: 2, as: UInt16.self))
        guard payload.count >= fixedLength + tagLength, let tag = String(validating: payload[fixedLength..<(fixedLength + tagLength)], as: UTF8.self) else {
            throw SpoolError(code: .corrupt, detail: "batch tag runs past its frame")
        }
        return BatchHeader(
            tag: tag,
            recordCount: Int(readLittleEndian(payload, at: 4, as: UInt32.self)),
            timeSlice: readLittleEndian(payload, at: 8, as: Int64.self),
            earliest: readLittleEndian(payload, at: 16, as: Int64.self),
            latest: readLittleEndian(payload, at: 24, as: Int64.self)
        )
    }
}

/// Frames: length + CRC-32C + payload, in segment files and in the chunk journal alike.
enum Frame {
    static let headerLength = 8

    /// The outcome of reading the frame at some offset.
    enum Read {
        case frame(payload: [UInt8], next: Int)
        /// A zero length: no more frames were written.
        case end
        /// A length past the file, or a checksum mismatch: a torn write or corruption.
        case damaged(String)
    }

    static func read(_ file: any SpoolFile, at offset: Int) throws -> Read {
        switch try locate(file, at: offset, verifying: false) {
        case .frame(let range, let checksum, let next):
            let payload = try file.read(range.count, at: range.lowerBound)
            guard CRC32C.checksum(payload) == checksum else {
                return .damaged(checksumMismatch(at: offset))
            }
            return .frame(payload: payload, next: next)
        case .end:
            return .end
        case .damaged(let reason):
            return .damaged(reason)
        }
    }

    /// Where the payload of the frame at `offset` lies in the file, and the checksum its header gives,
    /// without copying it: with `verifying`, the checksum is checked in place where the file is mapped.
    enum Location {
        case frame(payload: Range<Int>, checksum: UInt32, next: Int)
        case end
        case damaged(String)
    }

    static func locate(_ file: any SpoolFile, at offset: Int, verifying: Bool = true) throws -> Location {
        guard offset + headerLength <= file.size else { return .end }
        let header = try file.read(headerLength, at: offset)
        let length = Int(readLittleEndian(header, at: 0, as: UInt32.self))
        if length == 0 { return .end }
        guard offset + headerLength + length <= file.size else {
            return .damaged("frame of \(length) bytes at offset \(offset) runs past the end of the file (\(file.size) bytes)")
        }
        let payload = (offset + headerLength)..<(offset + headerLength + length)
        let checksum = readLittleEndian(header, at: 4, as: UInt32.self)
        if verifying {
            let crc = try file.withUnsafeBytes(length, at: payload.lowerBound) { CRC32C.checksum($0) }
            guard crc == checksum else { return .damaged(checksumMismatch(at: offset)) }
        }
        return .frame(payload: payload, checksum: checksum, next: payload.upperBound)
    }

    private static func checksumMismatch(at offset: Int) -> String {
        "checksum mismatch in the frame at offset \(offset)"
    }

    /// Whether a whole frame follows the damaged one at `offset`: then the damage is not a write torn
    /// at the end but corruption in the middle.
    static func wholeFrameFollows(_ file: any SpoolFile, damagedAt offset: Int) throws -> Bool {
        nextWholeFrame(file, damagedAt: offset) != nil
    }

    /// The offset of the frame after the damaged one at `offset`, when its length can be believed and
    /// that frame is whole.
    static func nextWholeFrame(_ file: any SpoolFile, damagedAt offset: Int) -> Int? {
        guard let header = try? file.read(headerLength, at: offset), header.count == headerLength else { return nil }
        let length = Int(readLittleEndian(header, at: 0, as: UInt32.self))
        let next = offset + headerLength + length
        guard length > 0, next < file.size, case .frame = try? read(file, at: next) else { return nil }
        return next
    }

    /// The 8 header bytes of a frame whose payload has `length` bytes and checksum `crc`.
    static func header(length: Int, crc: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerLength)
        appendLittleEndian(UInt32(length), to: &bytes)
        appendLittleEndian(crc, to: &bytes)
        return bytes
    }
}

/// Appends frames to one file: segment or journal. `end` is the end of the last whole frame; every
/// append writes there, so a write that failed half-way is simply written over by the next one.
final class FrameWriter {
    let file: any SpoolFile
    private(set) var end: Int
    /// The end of the frames known durable.
    private(set) var syncedEnd: Int
    let capacity: Int
    /// Where the frames start: the file's header comes before.
    private let start: Int
    /// A rolled-back frame's cleared length still has to reach the disk.
    private var mustSync = false

    /// A writer appending after `end`. `synced` says whether everything before `end` is known
    /// durable; a new file's header is not, and goes out with the first sync.
    init(file: any SpoolFile, end: Int, capacity: Int, synced: Bool = true) {
        self.file = file
        self.end = end
        self.start = end
        self.syncedEnd = synced ? end : 0
        self.capacity = capacity
    }

    var path: String { file.path }
    var hasUnsyncedFrames: Bool { end > syncedEnd }

    /// Bytes of payload the file still takes in one frame.
    var room: Int { capacity - end - Frame.headerLength }

    /// Appends one frame whose payload is `head` followed by `body`.
    func append(head: [UInt8], body: UnsafeRawBufferPointer) throws {
        let length = head.count + body.count
        let frameEnd = end + Frame.headerLength + length
        precondition(frameEnd <= capacity, "frame does not fit its file")
        do {
            // Room for the frame and, after it, a zero length that ends the scan there: bytes beyond may
            // be left from a write that failed or was torn, and must never be read as a frame.
            let needed = min(capacity, frameEnd + Frame.headerLength)
            if needed > file.size {
                try file.grow(to: Self.grownSize(current: file.size, needed: needed, capacity: capacity))
            }
            try head.withUnsafeBytes { try file.write($0, at: end + Frame.headerLength) }
            try file.write(body, at: end + Frame.headerLength + head.count)
            if frameEnd + Frame.headerLength <= file.size {
                try Self.zeroLength.withUnsafeBytes { try file.write($0, at: frameEnd) }
            }
            let crc = head.withUnsafeBytes { CRC32C.checksum(body, continuing: CRC32C.checksum($0)) }
            try file.write(Frame.header(length: length, crc: crc), at: end)
        } catch {
            // Whatever part of the frame reached the file must not read as a frame: clear its length.
            if end + Frame.headerLength <= file.size {
                try? file.write([UInt8](repeating: 0, count: Frame.headerLength), at: end)
            }
            throw error
        }
        end = frameEnd
    }

    func sync() throws {
        guard end > syncedEnd || mustSync else { return }
        let target = end
        do {
            try file.sync()
        } catch {
            // After a failed fdatasync the system may have marked the pages clean without writing them
            // (Linux does): dirty them again, so that a later sync really writes them.
            rewriteUnsynced()
            throw error
        }
        syncedEnd = target
        mustSync = false
    }

    private static let zeroLength = [UInt8](repeating: 0, count: Frame.headerLength)

    /// Forgets the frames written since the last sync (their sync failed): the next append writes
    /// over them, and their length is cleared so that, should they reach the disk, they end the scan.
    func rollBack() {
        let point = max(syncedEnd, start)
        guard end > point else { return }
        try? file.write([UInt8](repeating: 0, count: Frame.headerLength), at: point)
        end = point
        mustSync = true
    }

    /// Writes the unsynced frames again, so the next sync writes them out even if a failed one left
    /// their pages marked clean.
    func rewriteUnsynced() {
        guard end > syncedEnd, let bytes = try? file.read(end - syncedEnd, at: syncedEnd) else { return }
        try? file.write(bytes, at: syncedEnd)
    }

    /// Space is reserved in growing steps (1 to 8 MiB), so a quiet partition does not hold a whole
    /// segment's capacity on disk.
    static func grownSize(current: Int, needed: Int, capacity: Int) -> Int {
        let step = min(max(current, 1 << 20), 8 << 20)
        let size = max(needed, current + step)
        let page = 4096
        return min(capacity, (size + page - 1) / page * page)
    }
}

func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type) -> T {
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { destination in
        for i in 0..<MemoryLayout<T>.size { destination[i] = bytes[offset + i] }
    }
    return T(littleEndian: value)
}

/// An integer read from a file as an `Int`, or an error naming the field (never a trap on a hostile file).
func checkedInt(_ value: UInt64, _ field: String) throws -> Int {
    guard let result = Int(exactly: value), result < 1 << 48 else {
        throw SpoolError(code: .corrupt, detail: "\(field) \(value) is out of range")
    }
    return result
}
