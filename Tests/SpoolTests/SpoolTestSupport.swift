import Foundation
import Logging
import Testing

import Spool

let quietLogger = Logger(label: "sluice.spool.test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ purpose: String = #function) throws {
        let name = "sluice-spool-" + purpose.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
        path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func names(in subdirectory: String? = nil) -> [String] {
        let directory = subdirectory.map { path + "/" + $0 } ?? path
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func chunkFiles(suffix: String) -> [String] { names().filter { $0.hasSuffix(suffix) } }

    /// Segment files, `<chunk id>-<number>.seg`.
    var segmentFiles: [String] { chunkFiles(suffix: ".seg") }

    func configuration(
        timekey: Int64 = 3600, timekeyWait: Int64 = 600, chunkLimitSize: Int = 1 << 20, flushInterval: Int64 = 60,
        segmentSize: Int = SpoolConfiguration.defaultSegmentSize, durability: DurabilityPolicy = .everyBatch
    ) -> SpoolConfiguration {
        SpoolConfiguration(
            directory: path, timekey: timekey, timekeyWait: timekeyWait, chunkLimitSize: chunkLimitSize,
            flushInterval: flushInterval, segmentSize: segmentSize, durability: durability
        )
    }
}

enum SpoolFixtures {
    /// `<package root>/Fixtures/spool`, found from this file so tests run from any directory.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SpoolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/spool").path
}

/// Records as the parser workers hand them over: JSON objects, each followed by LF.
func jsonLines(_ messages: [String]) -> [UInt8] {
    messages.flatMap { Array(#"{"message":"\#($0)"}"#.utf8) + [0x0a] }
}

func batch(_ parts: [(PartitionKey, [UInt8])]) -> EncodedBatch {
    var batch = EncodedBatch()
    for (key, lines) in parts {
        var part = batch.parts[key] ?? EncodedBatch.Part()
        part.lines += lines
        part.recordCount += lines.filter { $0 == 0x0a }.count
        batch.parts[key] = part
    }
    return batch
}

/// Everything a sealed chunk holds, read back through `ChunkReader` in blocks of `blockSize`.
func readRecords(_ chunk: SealedChunk, blockSize: Int = ChunkReader.defaultBlockSize) throws -> [UInt8] {
    var reader = try ChunkReader(chunk)
    var bytes: [UInt8] = []
    var blocks = 0
    while let block = try reader.next(blockSize: blockSize) {
        #expect(block.count <= blockSize)
        bytes += block
        blocks += 1
        try #require(blocks <= chunk.recordBytes + 1, "reader does not end")
    }
    return bytes
}

func fileBytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func appendToFile(_ path: String, _ bytes: [UInt8]) throws {
    let handle = try #require(FileHandle(forWritingAtPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
}

func wallClockSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// The chunk file format, written from the doc comment at the top of ChunkFile.swift (not from the
/// code that implements it), so the fixtures and this check stay independent of `ChunkHeader`.
struct DocumentedChunkFile {
    var magic: [UInt8] = Array("SLCK".utf8)
    var version: UInt8 = 1
    var flags: UInt8 = 0
    var idHigh: UInt64
    var idLow: UInt64
    var index: UInt32
    var timeSlice: Int64
    var createdAt: Int64
    var tag: String
    var body: [UInt8]

    var headerLength: Int { 46 + tag.utf8.count }
    var idHex: String { ChunkID(high: idHigh, low: idLow).hex }

    func encoded() -> [UInt8] {
        var bytes = magic + [version, flags]
        bytes += le(UInt16(headerLength)) + le(idHigh) + le(idLow) + le(index) + le(timeSlice) + le(createdAt)
        bytes += le(UInt16(tag.utf8.count)) + Array(tag.utf8)
        return bytes + body
    }

    /// Parses a header as the documentation draws it.
    static func parseHeader(_ bytes: [UInt8]) throws -> DocumentedChunkFile {
        try #require(bytes.count >= 46)
        func int<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            var value = T.zero
            for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
            return value
        }
        let tagLength = Int(int(44, UInt16.self))
        let headerLength = Int(int(6, UInt16.self))
        #expect(headerLength == 46 + tagLength)
        return DocumentedChunkFile(
            magic: Array(bytes[0..<4]), version: bytes[4], flags: bytes[5],
            idHigh: int(8, UInt64.self), idLow: int(16, UInt64.self), index: int(24, UInt32.self),
            timeSlice: int(28, Int64.self), createdAt: int(36, Int64.self),
            tag: String(decoding: bytes[46..<(46 + tagLength)], as: UTF8.self),
            body: Array(bytes[headerLength...])
        )
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// A segment file read as the doc comment at the top of Segment.swift draws it (not through the code
/// that writes it), so the format and its documentation cannot drift apart unnoticed.
struct DocumentedSegment {
    struct Batch: Equatable {
        var tag: String
        var recordCount: Int
        var timeSlice: Int64
        var earliest: Int64
        var latest: Int64
        var records: [UInt8]
    }

    var magic: [UInt8]
    var version: UInt8
    var headerLength: Int
    var idHigh: UInt64
    var idLow: UInt64
    var number: Int
    var createdAt: Int64
    var capacity: Int
    var headerCRC: UInt32
    var batches: [Batch] = []
    /// Offset of the first byte after the last whole frame.
    var end: Int

    static func int<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
        var value = T.zero
        for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        return value
    }

    static func parse(_ bytes: [UInt8]) throws -> DocumentedSegment {
        try #require(bytes.count >= 64)
        var segment = DocumentedSegment(
            magic: Array(bytes[0..<4]), version: bytes[4], headerLength: Int(int(bytes, 6, UInt16.self)),
            idHigh: int(bytes, 8, UInt64.self), idLow: int(bytes, 16, UInt64.self), number: Int(int(bytes, 24, UInt32.self)),
            createdAt: int(bytes, 32, Int64.self), capacity: Int(int(bytes, 40, UInt64.self)),
            headerCRC: int(bytes, 48, UInt32.self), end: 64)
        var offset = 64
        while offset + 8 <= bytes.count {
            let length = Int(int(bytes, offset, UInt32.self))
            guard length > 0, offset + 8 + length <= bytes.count else { break }
            let payload = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            guard CRC32C.checksum(payload) == int(bytes, offset + 4, UInt32.self) else { break }
            let tagLength = Int(int(payload, 2, UInt16.self))
            segment.batches.append(Batch(
                tag: String(decoding: payload[32..<(32 + tagLength)], as: UTF8.self),
                recordCount: Int(int(payload, 4, UInt32.self)), timeSlice: int(payload, 8, Int64.self),
                earliest: int(payload, 16, Int64.self), latest: int(payload, 24, Int64.self),
                records: Array(payload[(32 + tagLength)...])))
            offset += 8 + length
            segment.end = offset
        }
        return segment
    }

    var records: [UInt8] { batches.flatMap(\.records) }
}

func writeBytes(_ path: String, _ bytes: [UInt8], at offset: Int) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: Data(bytes))
}
