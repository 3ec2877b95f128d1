#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real file system. Files are mapped `MAP_SHARED` at their capacity and written with `memcpy`
/// into the mapping: an append is a copy into the page cache, with no system call. Space is reserved
/// with `posix_fallocate` before it is written, so a full disk is an error from `grow`, never a
/// SIGBUS from a write into a hole; `sync` is `msync(MS_SYNC)` of the written range.
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
        return try MappedFile(fd: fd, path: path, size: 0, capacity: capacity, writable: true)
    }

    public func open(_ path: String, writable: Bool, capacity: Int) throws -> any SpoolFile {
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.failure("open", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SpoolError.failure("stat", path: path)
            Glibc.close(fd)
            throw error
        }
        let size = Int(info.st_size)
        return try MappedFile(fd: fd, path: path, size: size, capacity: max(capacity, size), writable: writable)
    }
}

/// A file mapped at its capacity. Only the first `size` bytes are touched: pages past the end of a
/// file must not be.
final class MappedFile: SpoolFile {
    let path: String
    private(set) var size: Int
    private let fd: Int32
    private let capacity: Int
    /// Nil for files read with pread, and once closed.
    private var base: UnsafeMutableRawPointer?
    /// Written bytes not yet synced lie in `dirtyStart..<dirtyEnd`.
    private var dirtyStart = Int.max
    private var dirtyEnd = 0
    private var releasedEnd = 0
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// `MADV_POPULATE_WRITE` (Linux 5.14); older kernels refuse it, and pages then fault in one by one.
    private static let populateWrite: Int32 = 23

    init(fd: Int32, path: String, size: Int, capacity: Int, writable: Bool) throws {
        self.fd = fd
        self.path = path
        self.size = size
        self.capacity = capacity
        if writable && capacity > 0 {
            let mapping = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            guard let mapping, mapping != MAP_FAILED else {
                let error = SpoolError.failure("mmap", path: path)
                Glibc.close(fd)
                throw error
            }
            base = mapping
        } else {
            base = nil  // read-only files are read with pread: nothing stays mapped
        }
    }

    deinit {
        close()
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let base { munmap(base, capacity) }
        base = nil
        Glibc.close(fd)
    }

    private func checkOpen() throws {
        guard !isClosed else { throw SpoolError(code: .io, detail: "file is closed", path: path) }
    }

    func grow(to newSize: Int) throws {
        try checkOpen()
        guard newSize > size else { return }
        precondition(base != nil && newSize <= capacity, "growing \(path) past its capacity")
        let result = posix_fallocate(fd, off_t(size), off_t(newSize - size))
        guard result == 0 else { throw SpoolError.failure("reserve \(newSize - size) bytes", path: path, errno: result) }
        // Map the new pages writable in one call rather than one fault per page as they are written.
        if let base { _ = madvise(base + size, newSize - size, Self.populateWrite) }
        size = newSize
    }

    func truncate(to newSize: Int) throws {
        guard ftruncate(fd, off_t(newSize)) == 0 else { throw SpoolError.failure("truncate", path: path) }
        size = newSize
        dirtyEnd = min(dirtyEnd, newSize)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try checkOpen()
        guard let base else { throw SpoolError(code: .io, detail: "write to a file opened read-only", path: path) }
        precondition(offset >= 0 && offset + bytes.count <= size, "write past the reserved end of \(path)")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        dirtyStart = min(dirtyStart, offset)
        dirtyEnd = max(dirtyEnd, offset + bytes.count)
    }

    func read(_ count: Int, at offset: Int) throws -> [UInt8] {
        try checkOpen()
        let count = max(0, min(count, size - offset))
        if let base {
            return Array(UnsafeRawBufferPointer(start: base + offset, count: count))
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
        return bytes
    }

    func syncAll() throws {
        try checkOpen()
        guard fsync(fd) == 0 else { throw SpoolError.failure("fsync", path: path) }
    }

    func sync() throws {
        try checkOpen()
        guard let base, dirtyStart < dirtyEnd else { return }
        // Files are written front to back: whole pages before the last one written are done. Unmapping
        // them first (their dirty state passes to the page cache) keeps them out of the resident set
        // and spares the write-back the per-page write-protect and TLB shootdowns it does on pages
        // still mapped; the data stays in the page cache, and the msync below writes it out.
        let done = dirtyEnd / Self.pageSize * Self.pageSize
        if done > releasedEnd {
            madvise(base + releasedEnd, done - releasedEnd, MADV_DONTNEED)
            releasedEnd = done
        }
        let start = dirtyStart - dirtyStart % Self.pageSize
        guard msync(base + start, dirtyEnd - start, MS_SYNC) == 0 else {
            throw SpoolError.failure("msync", path: path)
        }
        dirtyStart = .max
        dirtyEnd = 0
    }
}

extension SpoolError {
    static func failure(_ operation: String, path: String, errno number: Int32 = errno) -> SpoolError {
        let reason = String(cString: strerror(number))
        return SpoolError(code: number == ENOSPC ? .noSpace : .io, detail: "\(operation): \(reason)", path: path)
    }
}
