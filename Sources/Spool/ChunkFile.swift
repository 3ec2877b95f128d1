#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Chunk file, format version 1. One file per chunk, named `<chunk id>.open` while records are appended
// and renamed to `<chunk id>.sealed` (an atomic rename) once no more will be. All integers little-endian.
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
// A crash can leave a torn last record; recovery cuts the body back to its last LF. Making every
// accepted record survive power loss (checksummed batches, sync policy) is the write-ahead log's job.

/// The fixed part of a chunk file.
struct ChunkHeader: Equatable, Sendable {
    static let magic: [UInt8] = Array("SLCK".utf8)
    static let version: UInt8 = 1
    static let fixedLength = 46

    var id: ChunkID
    var index: Int
    var timeSlice: Int64
    var createdAt: Int64
    var tag: String

    var encodedLength: Int { Self.fixedLength + tag.utf8.count }

    /// Where the index sits, so it can be rewritten in place when a chunk needs another key.
    static let indexOffset = 24

    static func encodedIndex(_ index: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        appendLittleEndian(UInt32(index), to: &bytes)
        return bytes
    }

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        bytes.append(0)
        appendLittleEndian(UInt16(encodedLength), to: &bytes)
        appendLittleEndian(id.high, to: &bytes)
        appendLittleEndian(id.low, to: &bytes)
        bytes += Self.encodedIndex(index)
        appendLittleEndian(timeSlice, to: &bytes)
        appendLittleEndian(createdAt, to: &bytes)
        appendLittleEndian(UInt16(tag.utf8.count), to: &bytes)
        bytes.append(contentsOf: tag.utf8)
        return bytes
    }

    /// Reads a header, or says why the bytes are not one.
    static func decode(_ bytes: [UInt8]) throws -> ChunkHeader {
        guard bytes.count >= fixedLength, Array(bytes[0..<4]) == magic else {
            throw SpoolError(code: .corruptChunk, detail: "no chunk header (bad magic or short file)")
        }
        guard bytes[4] == version else {
            throw SpoolError(code: .unsupportedVersion, detail: "chunk format version \(bytes[4]); this Sluice reads \(version)")
        }
        let length = Int(readLittleEndian(bytes, at: 6, as: UInt16.self))
        let tagLength = Int(readLittleEndian(bytes, at: 44, as: UInt16.self))
        guard length == fixedLength + tagLength, bytes.count >= length,
            let tag = String(validating: bytes[fixedLength..<length], as: UTF8.self)
        else {
            throw SpoolError(code: .corruptChunk, detail: "inconsistent header length \(length)")
        }
        return ChunkHeader(
            id: ChunkID(high: readLittleEndian(bytes, at: 8, as: UInt64.self), low: readLittleEndian(bytes, at: 16, as: UInt64.self)),
            index: Int(readLittleEndian(bytes, at: 24, as: UInt32.self)),
            timeSlice: readLittleEndian(bytes, at: 28, as: Int64.self),
            createdAt: readLittleEndian(bytes, at: 36, as: Int64.self),
            tag: tag
        )
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

/// Errors of the partition buffer.
public struct SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let io = Code("I/O error")
        public static let noSpace = Code("no space left on device")
        public static let corruptChunk = Code("corrupt chunk file")
        public static let unsupportedVersion = Code("unsupported chunk format version")
    }

    public var code: Code
    public var detail: String
    public var path: String?

    public init(code: Code, detail: String, path: String? = nil) {
        self.code = code
        self.detail = detail
        self.path = path
    }

    public var description: String {
        "\(code): \(detail)" + (path.map { " (\($0))" } ?? "")
    }

    static func failure(_ operation: String, path: String, errno number: Int32 = Glibc.errno) -> SpoolError {
        let reason = String(cString: strerror(number))
        return SpoolError(code: number == ENOSPC ? .noSpace : .io, detail: "\(operation): \(reason)", path: path)
    }
}

/// Thin POSIX file operations with errors that name the file.
enum FileIO {
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o640) throws -> Int32 {
        let fd = path.withCString { Glibc.open($0, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw SpoolError.failure("open", path: path) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw SpoolError.failure("write", path: path)
            }
            offset += written
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { (buffer) throws in try writeAll(fd, buffer, path: path) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw SpoolError.failure("write", path: path) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if got < 0 {
                if Glibc.errno == EINTR { continue }
                throw SpoolError.failure("read", path: path)
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    static func size(_ fd: Int32, path: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SpoolError.failure("stat", path: path) }
        return Int(info.st_size)
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw SpoolError.failure("truncate", path: path) }
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync", path: path) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw SpoolError.failure("rename to \(to)", path: from) }
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || Glibc.errno == ENOENT else { throw SpoolError.failure("unlink", path: path) }
    }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && Glibc.errno != EEXIST {
                throw SpoolError.failure("mkdir", path: current)
            }
        }
    }

    /// Syncs a directory so that renames and new files in it survive a power cut.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try sync(fd, path: path)
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw SpoolError.failure("opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
