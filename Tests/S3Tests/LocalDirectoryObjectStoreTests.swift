import Crypto
import Foundation
import Logging
import NIOCore
@testable import S3
import Testing

@Suite("LocalDirectoryObjectStore")
struct LocalDirectoryObjectStoreTests {
    let logger = Logger(label: "LocalDirectoryObjectStoreTests")

    func withRoot(_ body: (String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-local-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(root)
    }

    @Test("appending (out_file's append): each object is added once to the end of the file, a repeat of one is not, by put or by multipart")
    func appending() async throws {
        try await withRoot { root in
            let store = LocalDirectoryObjectStore(root: root, appendIdentity: "chunk")
            func put(_ text: String, id: String) async throws {
                _ = try await store.putObject(PutObjectRequest(key: "app.log", body: ByteBuffer(string: text), metadata: ["chunk": id]), logger: logger)
            }
            try await put("one\n", id: "a")
            try await put("two\n", id: "b")
            try await put("one\n", id: "a")  // a retry after the answer was lost, or a replay after a crash
            let upload = try await store.createMultipartUpload(MultipartUploadRequest(key: "app.log", metadata: ["chunk": "c"]), logger: logger)
            var parts: [UploadedPart] = []
            for (number, text) in ["three ", "four\n"].enumerated() {
                let body = ByteBuffer(string: text)
                let etag = try await store.uploadPart(
                    key: "app.log", uploadID: upload, partNumber: number + 1, body: body,
                    md5: Array(Insecure.MD5.hash(data: body.readableBytesView)), logger: logger)
                parts.append(UploadedPart(number: number + 1, etag: etag))
            }
            try await store.completeMultipartUpload(key: "app.log", uploadID: upload, parts: parts, logger: logger)
            try await put("two\n", id: "b")
            #expect(FileManager.default.contents(atPath: "\(root)/app.log").map { String(decoding: $0, as: UTF8.self) } == "one\ntwo\nthree four\n")
        }
    }

    @Test("nested keys create directories and store the bytes", arguments: [
        "a.json", "logs/2024/05/17/web-1_0.json.gz", "with space/ünï/日本.txt",
    ])
    func nestedKeys(_ key: String) async throws {
        try await withRoot { root in
            let store = LocalDirectoryObjectStore(root: root)
            let bytes = Array("hello \(key)\n".utf8)
            let result = try await store.putObject(PutObjectRequest(key: key, body: ByteBuffer(bytes: bytes)), logger: logger)
            #expect(result.etag?.count == 34)
            #expect(FileManager.default.contents(atPath: "\(root)/\(key)").map(Array.init) == bytes)
            #expect(try await store.headObject(key: key, logger: logger) != nil)
            #expect(try await store.headObject(key: key + ".missing", logger: logger) == nil)
        }
    }

    /// The chunk id in the metadata is what lets a restart tell its own object (an upload whose
    /// commit was lost) from another writer's.
    @Test("metadata is kept with the object, by PUT and by multipart upload")
    func metadataKept() async throws {
        try await withRoot { root in
            let store = LocalDirectoryObjectStore(root: root)
            let metadata = ["sluice-chunk-id": "0f3a9c", "sluice-records": "12"]
            _ = try await store.putObject(PutObjectRequest(key: "a/put.json", body: ByteBuffer(string: "{}\n"), metadata: metadata), logger: logger)
            #expect(try await store.headObject(key: "a/put.json", logger: logger)?.metadata == metadata)

            let uploadID = try await store.createMultipartUpload(MultipartUploadRequest(key: "a/parts.json", metadata: metadata), logger: logger)
            let etag = try await store.uploadPart(key: "a/parts.json", uploadID: uploadID, partNumber: 1, body: ByteBuffer(string: "{}\n"), logger: logger)
            try await store.completeMultipartUpload(key: "a/parts.json", uploadID: uploadID, parts: [UploadedPart(number: 1, etag: etag)], logger: logger)
            #expect(try await store.headObject(key: "a/parts.json", logger: logger)?.metadata == metadata)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a").sorted() == ["parts.json", "put.json"])
        }
    }

    @Test("overwrites are atomic and leave no temporary files")
    func atomicOverwrite() async throws {
        try await withRoot { root in
            let store = LocalDirectoryObjectStore(root: root)
            let bodies = (0..<16).map { index in Array(repeating: UInt8(65 + index), count: 256 * 1024) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for body in bodies {
                    group.addTask {
                        _ = try await store.putObject(PutObjectRequest(key: "dir/same.bin", body: ByteBuffer(bytes: body)), logger: logger)
                    }
                }
                try await group.waitForAll()
            }
            let stored = try #require(FileManager.default.contents(atPath: "\(root)/dir/same.bin").map(Array.init))
            // One writer's whole body, never a mix.
            #expect(bodies.contains(stored))
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/dir") == ["same.bin"])
        }
    }

    @Test("keys that could escape the root are rejected", arguments: [
        "../escape", "a/../../escape", "a/./b", "..", "", "/absolute", "a//b", "a/", "nul\0byte",
    ])
    func rejectsEscapes(_ key: String) async throws {
        try await withRoot { root in
            let store = LocalDirectoryObjectStore(root: root)
            let error = try await #require(throws: S3Error.self) {
                _ = try await store.putObject(PutObjectRequest(key: key, body: ByteBuffer(string: "x")), logger: logger)
            }
            #expect(error.code == .invalidKey)
            #expect(!error.isRetryable)
            #expect(!FileManager.default.fileExists(atPath: (root as NSString).deletingLastPathComponent + "/escape"))
        }
    }

    @Test("an unwritable root is a localIO error")
    func unwritableRoot() async throws {
        try await withRoot { root in
            try "file".write(toFile: root, atomically: true, encoding: .utf8)  // root is a file, not a directory
            let error = try await #require(throws: S3Error.self) {
                _ = try await LocalDirectoryObjectStore(root: root).putObject(PutObjectRequest(key: "a/b", body: ByteBuffer(string: "x")), logger: logger)
            }
            #expect(error.code == .localIO)
        }
    }
}
