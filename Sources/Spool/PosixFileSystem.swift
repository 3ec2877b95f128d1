#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real file system. Appends are `pwrite`s into the page cache, and a sealed segment on its way to
/// the compressor is read through a shared, read-only memory mapping, without a copy (`openMapped`).
/// Recovery scans with `pread`, where a bad disk block is an error rather than a SIGBUS. Space is reserved with `posix_fallocate` before it is
/// written, so a full disk is an error from `grow`; `sync` is `fdatasync`.
///
/// Writes go through `pwrite` rather than a writable mapping, as LMDB writes by default: on this
/// kernel and ext4, filling a mapping costs a page fault, a zeroed page and a `page_mkwrite` per 4 KiB,
/// and its `msync` and `unlink` cost more again. Measured with the same 64 MiB files written, synced,
/// read back and removed: 1.9 s of CPU per GB through a writable mapping, 0.3 s with `pwrite` and a
/// read-only mapping.
public struct PosixFileSystem: SpoolFileSystem {
    public init() {}

    public func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST {
                throw SpoolError.failure("mkdir", path: current)
            }
        }
    }

    public func list(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw SpoolError.failure("opendir", path: directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw SpoolError.failure("rename to \(to)", path: from) }
    }

    public func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw SpoolError.failure("unlink", path: path) }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.failure("open", path: path) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync", path: path) }
    }

    public func create(_ path: String, capacity: Int) throws -> any SpoolFile {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.failure("create", path: path) }
        return try PosixFile(fd: fd, path: path, size: 0, capacity: capacity, mapped: false)
    }

    public func open(_ path: String, writable: Bool, capacity: Int) throws -> any SpoolFile {
        let (fd, size) = try openExisting(path, flags: writable ? O_RDWR : O_RDONLY)
        return try PosixFile(fd: fd, path: path, size: size, capacity: max(capacity, size), mapped: false)
    }

    public func openMapped(_ path: String) throws -> any SpoolFile {
        let (fd, size) = try openExisting(path, flags: O_RDONLY)
        return try PosixFile(fd: fd, path: path, size: size, capacity: size, mapped: true)
    }

    /// An existing file's descriptor and size.
    private func openExisting(_ path: String, flags: Int32) throws -> (Int32, Int) {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.failure("open", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SpoolError.failure("stat", path: path)
            Glibc.close(fd)
            throw error
        }
        return (fd, Int(info.st_size))
    }
}

/// An open buffer file: written with `pwrite` and read with `pread`, or, opened with `openMapped`,
/// mapped whole, read-only, and read through the mapping.
final class PosixFile: SpoolFile {
    let path: String
    private(set) var size: Int
    private let fd: Int32
    private let capacity: Int
    /// The read-only mapping of a file opened with `openMapped` (nil otherwise, for an empty file, and
    /// once closed). It spans `size` bytes: the file is not written while it is mapped.
    private var mapping: UnsafeRawBufferPointer?
    private var dirty = false

    init(fd: Int32, path: String, size: Int, capacity: Int, mapped: Bool) throws {
        self.fd = fd
        self.path = path
        self.size = size
        self.capacity = capacity
        if mapped && size > 0 {
            let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
            guard let base, base != MAP_FAILED else {
                let error = SpoolError.failure("mmap", path: path)
                Glibc.close(fd)
                throw error
            }
            // Read front to back once, by the compressor.
            madvise(base, size, MADV_SEQUENTIAL)
            mapping = UnsafeRawBufferPointer(start: base, count: size)
        }
    }

    deinit {
        close()
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count) }
        mapping = nil
        Glibc.close(fd)
    }

    private func checkOpen() throws {
        guard !isClosed else { throw SpoolError(code: .io, detail: "file is closed", path: path) }
    }

    func grow(to newSize: Int) throws {
        try checkOpen()
        guard newSize > size else { return }
        precondition(mapping == nil && newSize <= capacity, "growing \(path) past its capacity")
        let result = posix_fallocate(fd, off_t(size), off_t(newSize - size))
        guard result == 0 else { throw SpoolError.failure("reserve \(newSize - size) bytes", path: path, errno: result) }
        size = newSize
    }

    func truncate(to newSize: Int) throws {
        precondition(mapping == nil, "truncating \(path), which is mapped")
        guard ftruncate(fd, off_t(newSize)) == 0 else { throw SpoolError.failure("truncate", path: path) }
        size = newSize
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try checkOpen()
        guard mapping == nil else { throw SpoolError(code: .io, detail: "write to a file opened to be read", path: path) }
        precondition(offset >= 0 && offset + bytes.count <= size, "write past the reserved end of \(path)")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        var written = 0
        while written < bytes.count {
            let result = pwrite(fd, source + written, bytes.count - written, off_t(offset + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw SpoolError.failure("write", path: path)
            }
            written += result
        }
        dirty = true
    }

    func read(_ count: Int, at offset: Int) throws -> [UInt8] {
        try withUnsafeBytes(count, at: offset) { Array($0) }
    }

    func withUnsafeBytes<Result>(
        _ count: Int, at offset: Int, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        try checkOpen()
        let count = max(0, min(count, size - offset))
        if let mapping {
            return try body(UnsafeRawBufferPointer(rebasing: mapping[offset..<(offset + count)]))
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw SpoolError.failure("read", path: path)
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return try bytes.withUnsafeBytes(body)
    }

    func syncAll() throws {
        try checkOpen()
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync", path: path) }
    }

    func sync() throws {
        try checkOpen()
        guard dirty else { return }
        guard fdatasync(fd) == 0 else { throw SpoolError.failure("fdatasync", path: path) }
        dirty = false
    }
}

extension SpoolError {
    static func failure(_ operation: String, path: String, errno number: Int32 = errno) -> SpoolError {
        let reason = String(cString: strerror(number))
        return SpoolError(code: number == ENOSPC ? .noSpace : .io, detail: "\(operation): \(reason)", path: path)
    }
}
