import CXattr
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory standing in for a bucket: the object `a/b/c.gz` is the file `<root>/a/b/c.gz`.
///
/// Writes are atomic: the body goes to `.<name>.sluice-tmp-<random>` in the target's
/// directory, is fsync'd, renamed over the target, and the directory is fsync'd, so a reader
/// sees either no file or the whole file, also after a crash. Keys with `.`, `..` or empty
/// segments, a leading `/`, or NUL are rejected so nothing is written outside `root`.
///
/// The file system calls block the calling thread; this store is meant for tests, local
/// archiving and small volumes, not as the fast path to S3.
public struct LocalDirectoryObjectStore: ObjectStore {
    public let root: String
    /// Appending (out_file's `append true`): an object's bytes are added to the end of the file under
    /// its key instead of replacing it. The metadata value under this name identifies what was
    /// appended, so a retry or a replay of the same object appends nothing.
    public var appendIdentity: String?

    public init(root: String, appendIdentity: String? = nil) {
        self.root = root
        self.appendIdentity = appendIdentity
    }

    /// `writeAtomically`, or its appending form when the store appends.
    func store(
        _ path: String, key: String, metadata: [String: String],
        produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        if let appendIdentity {
            try Self.appendDurably(path, key: key, identity: metadata[appendIdentity], produce: produce)
        } else {
            try Self.writeAtomically(path, key: key, metadata: metadata, produce: produce)
        }
    }

    public func putObject(_ request: PutObjectRequest, logger: Logger) async throws -> PutObjectResult {
        let path = try path(forKey: request.key)
        try store(path, key: request.key, metadata: request.metadata) { write in
            try request.body.withUnsafeReadableBytes { try write($0) }
        }
        logger.debug("stored object", metadata: ["s3.key": "\(request.key)", "path": "\(path)"])
        return PutObjectResult(etag: "\"\(SigV4Encoding.hex(Insecure.MD5.hash(data: request.body.readableBytesView)))\"")
    }

    /// Writes a file through a temporary in the same directory, fsync'd, renamed into place, and the
    /// directory fsync'd. `produce` calls its argument with each piece of the contents. `metadata` goes
    /// into extended attributes (`user.sluice.meta.<name>`) where the file system has them.
    static func writeAtomically(
        _ path: String, key: String, metadata: [String: String] = [:],
        produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        try makeDirectory(directory, for: key)
        let temporaryPath = "\(directory)/.\(name).sluice-tmp-\(UInt64.random(in: 0...UInt64.max))"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.ioError("create", temporaryPath) }
        var closed = false
        defer {
            if !closed { _ = close(descriptor) }
        }
        do {
            try produce { try writeAll($0, to: descriptor, path: temporaryPath) }
            for (name, value) in metadata {
                // Without extended attributes (ENOTSUP) the object is kept without its metadata.
                _ = fsetxattr(descriptor, Self.metadataAttributePrefix + name.lowercased(), value, value.utf8.count, 0)
            }
            guard fsync(descriptor) == 0 else { throw Self.ioError("fsync", temporaryPath) }
            closed = true
            guard close(descriptor) == 0 else { throw Self.ioError("close", temporaryPath) }
            guard rename(temporaryPath, path) == 0 else { throw Self.ioError("rename to \(path)", temporaryPath) }
        } catch {
            _ = unlink(temporaryPath)
            throw error
        }
        syncDirectory(directory)
    }

    /// The identities of the last appends to a file, in its extended attributes.
    static let appendedAttribute = "user.sluice.appended"

    /// Appends what `produce` writes to `path`, fsync'd, unless the file records `identity` among its
    /// last appends. A crash between the write and that record repeats the append on replay: appending
    /// is at least once, as Fluentd's out_file is.
    static func appendDurably(
        _ path: String, key: String, identity: String?, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectory(directory, for: key)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.ioError("open for appending", path) }
        defer { _ = close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let length = fgetxattr(descriptor, appendedAttribute, &buffer, buffer.count)
        var appended = length > 0 ? String(decoding: buffer[..<length], as: UTF8.self).split(separator: " ").map(String.init) : []
        if let identity, appended.contains(identity) { return }
        try produce { try writeAll($0, to: descriptor, path: path) }
        guard fsync(descriptor) == 0 else { throw Self.ioError("fsync", path) }
        if let identity {
            appended = Array((appended + [identity]).suffix(64))
            let value = appended.joined(separator: " ")
            _ = fsetxattr(descriptor, appendedAttribute, value, value.utf8.count, 0)
            _ = fsync(descriptor)
        }
        syncDirectory(directory)
    }

    /// Writes all of `bytes`, across short writes and interruptions.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.ioError("write", path)
            }
            offset += written
        }
    }

    static func makeDirectory(_ directory: String, for key: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw S3Error(code: .localIO, message: "cannot create directory \(directory) for \(key): \(error); check permissions and free space")
        }
    }

    /// Makes a rename or unlink in `directory` durable.
    static func syncDirectory(_ directory: String) {
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            _ = close(directoryDescriptor)
        }
    }

    public func headObject(key: String, logger: Logger) async throws -> ObjectHead? {
        let path = try path(forKey: key)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return nil
        }
        return ObjectHead(metadata: Self.metadata(ofFile: path))
    }

    static let metadataAttributePrefix = "user.sluice.meta."

    /// The metadata kept in the file's extended attributes.
    static func metadata(ofFile path: String) -> [String: String] {
        let size = listxattr(path, nil as UnsafeMutablePointer<CChar>?, 0)
        guard size > 0 else { return [:] }
        var names = [CChar](repeating: 0, count: size)
        guard listxattr(path, &names, size) == size else { return [:] }
        var metadata: [String: String] = [:]
        for name in names.split(separator: 0).map({ String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) })
        where name.hasPrefix(metadataAttributePrefix) {
            let length = getxattr(path, name, nil, 0)
            guard length >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: length)
            guard getxattr(path, name, &value, length) == length else { continue }
            metadata[String(name.dropFirst(metadataAttributePrefix.count))] = String(decoding: value, as: UTF8.self)
        }
        return metadata
    }

    /// `<root>/<key>`, after checking the key cannot escape `root`.
    public func path(forKey key: String) throws -> String {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.contains("\0"),
              segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else {
            throw S3Error(
                code: .invalidKey,
                message: "object key \"\(key)\" cannot be stored under \(root): keys must not be empty or contain \".\", \"..\" or empty path segments; check s3_object_key_format"
            )
        }
        var root = self.root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        return "\(root)/\(key)"
    }

    static func ioError(_ operation: String, _ path: String) -> S3Error {
        let reason = String(cString: strerror(errno))
        return S3Error(code: .localIO, message: "\(operation) \(path) failed: \(reason); check permissions and free space")
    }
}
