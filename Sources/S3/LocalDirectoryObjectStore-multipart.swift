import Crypto
import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Multipart uploads in a directory: an upload to `a/b/c.gz` is the marker file
// `a/b/.c.gz.sluice-upload-<id>` with its parts beside it as `.c.gz.sluice-upload-<id>.<part number>`;
// completing writes the parts, in order, atomically to `a/b/c.gz` and deletes them. Nothing of an
// upload is visible under the object's name before it completes.
extension LocalDirectoryObjectStore {
    private func uploadPath(key: String, uploadID: String) throws -> String {
        guard !uploadID.isEmpty, uploadID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw S3Error(code: .noSuchUpload, message: "no upload \"\(uploadID)\" to \(key) under \(root)")
        }
        let path = try path(forKey: key)
        let directory = (path as NSString).deletingLastPathComponent
        return "\(directory)/.\((path as NSString).lastPathComponent).sluice-upload-\(uploadID)"
    }

    private func existingUpload(key: String, uploadID: String) throws -> String {
        let marker = try uploadPath(key: key, uploadID: uploadID)
        guard FileManager.default.fileExists(atPath: marker) else {
            throw S3Error(code: .noSuchUpload, message: "no upload \(uploadID) to \(key) under \(root)")
        }
        return marker
    }

    public func createMultipartUpload(_ request: MultipartUploadRequest, logger: Logger) async throws -> String {
        let uploadID = String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let marker = try uploadPath(key: request.key, uploadID: uploadID)
        // The marker keeps the object's metadata until the upload completes.
        try Self.writeAtomically(marker, key: request.key, metadata: request.metadata) { write in
            try Array(request.key.utf8).withUnsafeBytes { try write($0) }
        }
        return uploadID
    }

    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer, md5: [UInt8], logger: Logger) async throws -> String {
        let marker = try existingUpload(key: key, uploadID: uploadID)
        guard (1...10_000).contains(partNumber) else {
            throw S3Error(code: .invalidRequest, message: "part number \(partNumber) of \(key) is not between 1 and 10,000")
        }
        try Self.writeAtomically("\(marker).\(partNumber)", key: key) { write in
            try body.withUnsafeReadableBytes { try write($0) }
        }
        return "\"\(SigV4Encoding.hex(md5))\""
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart], logger: Logger) async throws {
        let marker = try existingUpload(key: key, uploadID: uploadID)
        let held = Dictionary(uniqueKeysWithValues: try partFiles(marker: marker).map { ($0.number, $0) })
        for part in parts {
            guard let file = held[part.number], file.etag == part.etag else {
                throw S3Error(code: .invalidPart, message: "CompleteMultipartUpload \(key): part \(part.number) is not held with ETag \(part.etag)")
            }
        }
        let path = try path(forKey: key)
        try store(path, key: key, metadata: Self.metadata(ofFile: marker)) { write in
            for part in parts.sorted(by: { $0.number < $1.number }) {
                let bytes = try Self.readFile("\(marker).\(part.number)")
                try bytes.withUnsafeBytes { try write($0) }
            }
        }
        removeUpload(marker: marker)
        logger.debug("stored object", metadata: ["s3.key": "\(key)", "path": "\(path)", "parts": "\(parts.count)"])
    }

    public func abortMultipartUpload(key: String, uploadID: String, logger: Logger) async throws {
        let marker = try uploadPath(key: key, uploadID: uploadID)
        removeUpload(marker: marker)
    }

    public func listParts(key: String, uploadID: String, logger: Logger) async throws -> [UploadedPart]? {
        guard let marker = try? existingUpload(key: key, uploadID: uploadID) else { return nil }
        return try partFiles(marker: marker).map { UploadedPart(number: $0.number, etag: $0.etag) }
    }

    public func listMultipartUploads(key: String, logger: Logger) async throws -> [String] {
        let path = try path(forKey: key)
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = ".\((path as NSString).lastPathComponent).sluice-upload-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains(".") }
            .map { String($0.dropFirst(prefix.count)) }
            .sorted()
    }

    private func partFiles(marker: String) throws -> [UploadedPart] {
        let directory = (marker as NSString).deletingLastPathComponent
        let prefix = (marker as NSString).lastPathComponent + "."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return try names.compactMap { name -> UploadedPart? in
            guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)) else { return nil }
            let bytes = try Self.readFile("\(directory)/\(name)")
            return UploadedPart(number: number, etag: "\"\(SigV4Encoding.hex(Insecure.MD5.hash(data: bytes)))\"")
        }.sorted { $0.number < $1.number }
    }

    private func removeUpload(marker: String) {
        let directory = (marker as NSString).deletingLastPathComponent
        let prefix = (marker as NSString).lastPathComponent + "."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            _ = unlink("\(directory)/\(name)")
        }
        _ = unlink(marker)
        Self.syncDirectory(directory)
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw S3Error(code: .localIO, message: "cannot read \(path); check permissions")
        }
        return [UInt8](data)
    }
}

// The directory standing in for the bucket.
extension LocalDirectoryObjectStore {
    public func bucketExists(logger: Logger) async throws -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    public func createBucket(logger: Logger) async throws {
        try Self.makeDirectory(root, for: "the bucket")
    }
}
