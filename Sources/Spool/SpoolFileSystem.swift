/// The file operations the partition buffer needs (errors thrown are `SpoolError`s), behind a protocol so tests can put faults under
/// it: short writes, a full disk, a failing fsync, torn tails after a crash, flipped bits.
///
/// `PosixFileSystem` is the real one: files are written with `pwrite`, and sealed segments are read
/// through a read-only mapping.
public protocol SpoolFileSystem: Sendable {
    func makeDirectory(_ path: String) throws
    /// The names in `directory`, sorted; none for `.` and `..`.
    func list(_ directory: String) throws -> [String]
    func rename(_ from: String, to: String) throws
    /// Removes a file; a file that is not there is not an error.
    func remove(_ path: String) throws
    /// Makes creations, renames and removals in `directory` survive a power cut.
    func syncDirectory(_ path: String) throws
    /// Creates a new, empty file (failing if one exists) that can grow to `capacity` bytes.
    func create(_ path: String, capacity: Int) throws -> any SpoolFile
    /// Opens an existing file; writable ones can grow to `capacity` bytes (at least their size).
    func open(_ path: String, writable: Bool, capacity: Int) throws -> any SpoolFile
    /// Opens an existing file to be read in place, through a read-only memory mapping where the file
    /// system has one (a read error is then a SIGBUS, not an error: only for segments this process wrote or
    /// recovery scanned with plain reads).
    func openMapped(_ path: String) throws -> any SpoolFile
}

extension SpoolFileSystem {
    public func openMapped(_ path: String) throws -> any SpoolFile {
        try open(path, writable: false, capacity: 0)
    }
}

/// An open file of the buffer. Writes land within `size`: a file grows by `grow(to:)`, which reserves
/// the disk space first, so a full disk shows up there as an error and never in the middle of a write.
public protocol SpoolFile: AnyObject {
    var path: String { get }
    /// The file's length: space reserved, written or not (never-written bytes read as zero).
    var size: Int { get }
    /// Reserves space up to `size` bytes (no more than the capacity the file was opened with).
    func grow(to size: Int) throws
    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws
    /// Writes `bytes` at `offset`; `offset + bytes.count` must be within `size`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws
    /// Up to `count` bytes from `offset`; fewer only at the end of the file.
    func read(_ count: Int, at offset: Int) throws -> [UInt8]
    /// Calls `body` with up to `count` bytes from `offset` (fewer only at the end of the file), in
    /// place where the file is mapped; the bytes are valid only during the call.
    func withUnsafeBytes<Result>(_ count: Int, at offset: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result
    /// Makes every write so far durable (fdatasync). After a failure nothing written since the last
    /// successful sync may be assumed on disk.
    func sync() throws
    /// Makes the whole file durable, whoever wrote it: recovery uses it on what a killed process left
    /// in the page cache, which a power cut could still take.
    func syncAll() throws
    func close()
}

extension SpoolFileSystem {
    /// Writes `bytes` as the whole of a new file at `path` (replacing one there), synced: copies kept
    /// in `quarantine/`.
    func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try? remove(path)
        let file = try create(path, capacity: max(bytes.count, 1))
        defer { file.close() }
        try file.grow(to: bytes.count)
        try file.write(bytes, at: 0)
        try file.sync()
    }
}

extension SpoolFile {
    /// A copy of the bytes, for files that are not mapped.
    public func withUnsafeBytes<Result>(
        _ count: Int, at offset: Int, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        try read(count, at: offset).withUnsafeBytes(body)
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func readAll() throws -> [UInt8] {
        try read(size, at: 0)
    }
}

/// Errors of the partition buffer.
public struct SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let io = Code("I/O error")
        public static let noSpace = Code("no space left on device")
        public static let corrupt = Code("corrupt buffer file")
        public static let unsupportedVersion = Code("unsupported buffer format version")
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
}
