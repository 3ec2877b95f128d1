import Foundation
import Spool
import Testing

@Suite("Real files: written with pwrite, sealed segments read through a read-only mapping")
struct PosixFileSystemTests {
    @Test("A file written with pwrite reads back the same while writable, reopened with pread, and through its mapping")
    func writeThenReadMapped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fileSystem = PosixFileSystem()
        let path = directory.path + "/file"
        let pattern = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

        let file = try fileSystem.create(path, capacity: 1 << 20)
        try file.grow(to: 16_384)
        #expect(file.size == 16_384)
        try pattern.withUnsafeBytes { try file.write($0, at: 100) }
        #expect(try file.read(pattern.count, at: 100) == pattern)
        #expect(try file.read(100, at: 0) == [UInt8](repeating: 0, count: 100), "reserved space reads as zero")
        try file.sync()
        file.close()

        let plain = try fileSystem.open(path, writable: false, capacity: 0)
        #expect(try plain.read(pattern.count, at: 100) == pattern)
        #expect(try plain.withUnsafeBytes(1_000, at: 16_000) { $0.count } == 384)
        plain.close()

        let mapped = try fileSystem.openMapped(path)
        defer { mapped.close() }
        #expect(mapped.size == 16_384)
        #expect(try mapped.read(pattern.count, at: 100) == pattern)
        let tail = try mapped.withUnsafeBytes(1_000, at: 16_000) { Array($0) }
        #expect(tail.count == 384, "a read past the end is cut at the end")
        #expect(try mapped.withUnsafeBytes(8, at: 100) { Array($0) } == Array(pattern.prefix(8)))
        #expect(throws: SpoolError.self) {
            try [UInt8](repeating: 1, count: 8).withUnsafeBytes { try mapped.write($0, at: 0) }
        }
    }

    @Test("A bit flipped in a sealed segment stops ChunkReader with a corrupt error naming the segment")
    func flippedBitInSealedSegment() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let key = PartitionKey(tag: "syslog.auth", timeSlice: 1_699_999_200)
        _ = try await buffer.append(batch([(key, jsonLines((0..<1_000).map { "message \($0)" }))]))
        let chunk = try #require(try await buffer.sealAll().first)
        #expect(try readRecords(chunk).count == chunk.recordBytes)

        let segment = try #require(chunk.segments.first)
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        let last = try #require(bytes.lastIndex(of: 0x0a), "the records end with LF")
        bytes[last - 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: segment))

        #expect {
            _ = try readRecords(chunk)
        } throws: { error in
            guard let error = error as? SpoolError else { return false }
            return error.code == .corrupt && error.path == segment
        }
    }
}
