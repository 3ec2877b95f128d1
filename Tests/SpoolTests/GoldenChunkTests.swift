import Foundation
import Spool
import Testing

/// The checked-in buffer files in Fixtures/spool/, written from the format documentation (the doc
/// comments at the top of Segment.swift, ChunkJournal.swift and LegacyChunkFile.swift), not from the
/// code that implements it.
///
/// To regenerate after a deliberate format change: `SLUICE_WRITE_SPOOL_FIXTURES=1 swift test --filter GoldenChunkTests`.
enum GoldenFiles {
    static let slice: Int64 = 1_699_999_200

    // MARK: Older format: one chunk file per chunk

    static let openRecords = ["one", "two", "three"]
    static let sealedRecords = ["sealed one", "sealed two"]

    /// A valid open chunk whose last record was torn by a crash.
    static let openTorn = DocumentedChunkFile(
        idHigh: 0x0123_4567_89ab_cdef, idLow: 1, index: 3, timeSlice: slice, createdAt: 1_700_000_000_123_456_789,
        tag: "syslog.auth.info", body: jsonLines(openRecords) + Array(#"{"message":"tor"#.utf8))
    static let sealed = DocumentedChunkFile(
        idHigh: 0x0123_4567_89ab_cdef, idLow: 2, index: 2, timeSlice: slice, createdAt: 1_700_000_000_000_000_000,
        tag: "syslog.daemon.err", body: jsonLines(sealedRecords))
    static let badMagic: DocumentedChunkFile = {
        var file = DocumentedChunkFile(
            idHigh: 0x0123_4567_89ab_cdef, idLow: 3, index: 9, timeSlice: slice, createdAt: 0, tag: "syslog.auth.info",
            body: jsonLines(["lost"]))
        file.magic = Array("SLCX".utf8)
        return file
    }()
    static let version99: DocumentedChunkFile = {
        var file = DocumentedChunkFile(
            idHigh: 0x0123_4567_89ab_cdef, idLow: 4, index: 10, timeSlice: slice, createdAt: 0, tag: "syslog.auth.info",
            body: jsonLines(["from the future"]))
        file.version = 99
        return file
    }()

    static let legacyFolder = "chunk-files-v1"
    static let legacy: [(name: String, bytes: [UInt8])] = [
        (openTorn.idHex + ".open", openTorn.encoded()),
        (sealed.idHex + ".sealed", sealed.encoded()),
        (badMagic.idHex + ".open", badMagic.encoded()),
        (version99.idHex + ".sealed", version99.encoded()),
    ]

    // MARK: Segments and journal, format version 1

    static let segmentFolder = "segments-v1"
    static let openID = (high: UInt64(0xfeed_0000_0000_0001), low: UInt64(1))
    static let sealedID = (high: UInt64(0xfeed_0000_0000_0001), low: UInt64(2))
    static let damagedID = (high: UInt64(0xfeed_0000_0000_0001), low: UInt64(3))
    static let openKey = PartitionKey(tag: "syslog.auth.info", timeSlice: slice)
    static let sealedKey = PartitionKey(tag: "syslog.daemon.err", timeSlice: slice)
    static let damagedKey = PartitionKey(tag: "syslog.kern.warn", timeSlice: slice)

    static func hex(_ id: (high: UInt64, low: UInt64)) -> String { ChunkID(high: id.high, low: id.low).hex }

    /// An open chunk: two whole frames, then a frame torn by a crash (its CRC does not match).
    static let openSegment: [UInt8] = {
        var bytes = SegmentWriter.header(id: openID, number: 0)
        bytes += SegmentWriter.frame(tag: openKey.tag, slice: slice, records: ["one", "two"])
        bytes += SegmentWriter.frame(tag: openKey.tag, slice: slice, records: ["three"])
        var torn = SegmentWriter.frame(tag: openKey.tag, slice: slice, records: ["torn"])
        torn = Array(torn.prefix(torn.count - 5)) + [0, 0, 0, 0, 0]
        return bytes + torn + [UInt8](repeating: 0, count: 64)
    }()
    /// A sealed chunk, whole.
    static let sealedSegment: [UInt8] = SegmentWriter.header(id: sealedID, number: 0)
        + SegmentWriter.frame(tag: sealedKey.tag, slice: slice, records: sealedRecords)
        + [UInt8](repeating: 0, count: 64)
    /// A sealed chunk whose second frame has a flipped bit.
    static let damagedSegment: [UInt8] = {
        var bytes = SegmentWriter.header(id: damagedID, number: 0)
        bytes += SegmentWriter.frame(tag: damagedKey.tag, slice: slice, records: ["c1"])
        var second = SegmentWriter.frame(tag: damagedKey.tag, slice: slice, records: ["c2"])
        second[second.count - 3] ^= 0x10
        bytes += second
        bytes += SegmentWriter.frame(tag: damagedKey.tag, slice: slice, records: ["c3"])
        return bytes + [UInt8](repeating: 0, count: 64)
    }()
    static let journal: [UInt8] = {
        var bytes = Array("SLJN".utf8) + [1, 0] + SegmentWriter.le(UInt16(16)) + SegmentWriter.le(Int64(1_700_000_000_000_000_000))
        bytes += SegmentWriter.entry([1] + SegmentWriter.id(openID) + SegmentWriter.le(slice) + SegmentWriter.le(UInt32(3))
            + SegmentWriter.le(Int64(1_700_000_001_000_000_000)) + SegmentWriter.le(UInt16(openKey.tag.utf8.count)) + Array(openKey.tag.utf8))
        bytes += SegmentWriter.entry([1] + SegmentWriter.id(sealedID) + SegmentWriter.le(slice) + SegmentWriter.le(UInt32(2))
            + SegmentWriter.le(Int64(1_700_000_000_000_000_000)) + SegmentWriter.le(UInt16(sealedKey.tag.utf8.count)) + Array(sealedKey.tag.utf8))
        bytes += SegmentWriter.entry([2] + SegmentWriter.id(sealedID) + SegmentWriter.le(UInt32(1)) + SegmentWriter.le(UInt64(2))
            + SegmentWriter.le(UInt64(jsonLines(sealedRecords).count)))
        bytes += SegmentWriter.entry([1] + SegmentWriter.id(damagedID) + SegmentWriter.le(slice) + SegmentWriter.le(UInt32(5))
            + SegmentWriter.le(Int64(1_700_000_000_500_000_000)) + SegmentWriter.le(UInt16(damagedKey.tag.utf8.count)) + Array(damagedKey.tag.utf8))
        bytes += SegmentWriter.entry([2] + SegmentWriter.id(damagedID) + SegmentWriter.le(UInt32(1)) + SegmentWriter.le(UInt64(3))
            + SegmentWriter.le(UInt64(jsonLines(["c1", "c2", "c3"]).count)))
        return bytes + [UInt8](repeating: 0, count: 32)
    }()

    static let segments: [(name: String, bytes: [UInt8])] = [
        ("chunks.journal", journal),
        (hex(openID) + "-000000.seg", openSegment),
        (hex(sealedID) + "-000000.seg", sealedSegment),
        (hex(damagedID) + "-000000.seg", damagedSegment),
    ]

    static let all: [(folder: String, name: String, bytes: [UInt8])] =
        legacy.map { (legacyFolder, $0.name, $0.bytes) } + segments.map { (segmentFolder, $0.name, $0.bytes) }

    static func copy(_ folder: String, to directory: TemporaryDirectory) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: SpoolFixtures.directory + "/" + folder) {
            try FileManager.default.copyItem(
                atPath: SpoolFixtures.directory + "/" + folder + "/" + name, toPath: directory.path + "/" + name)
        }
    }
}

/// Encodes segment and journal bytes as the documentation draws them.
enum SegmentWriter {
    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func id(_ id: (high: UInt64, low: UInt64)) -> [UInt8] { le(id.high) + le(id.low) }

    static func header(id chunk: (high: UInt64, low: UInt64), number: UInt32) -> [UInt8] {
        var bytes = Array("SLSG".utf8) + [1, 0] + le(UInt16(64)) + id(chunk) + le(number) + le(UInt32(0))
        bytes += le(Int64(1_700_000_000_000_000_000)) + le(UInt64(1 << 20))
        bytes += le(CRC32C.checksum(bytes))
        return bytes + [UInt8](repeating: 0, count: 12)
    }

    static func entry(_ payload: [UInt8]) -> [UInt8] {
        le(UInt32(payload.count)) + le(CRC32C.checksum(payload)) + payload
    }

    static func frame(tag: String, slice: Int64, records: [String]) -> [UInt8] {
        var payload: [UInt8] = [1, 0] + le(UInt16(tag.utf8.count)) + le(UInt32(records.count)) + le(slice)
        payload += le(slice + 5) + le(slice + 60) + Array(tag.utf8) + jsonLines(records)
        return entry(payload)
    }
}

@Suite("Golden buffer files")
struct GoldenChunkTests {
    @Test("The checked-in fixtures are the documented formats' bytes", arguments: GoldenFiles.all.map { $0.folder + "/" + $0.name })
    func fixturesMatchDocumentation(name: String) throws {
        let expected = try #require(GoldenFiles.all.first { $0.folder + "/" + $0.name == name }).bytes
        let path = SpoolFixtures.directory + "/" + name
        if ProcessInfo.processInfo.environment["SLUICE_WRITE_SPOOL_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(expected).write(to: URL(fileURLWithPath: path))
        }
        #expect(try fileBytes(path) == expected, "Fixtures/spool/\(name) differs from the documented layout")
    }

    @Test("Segments: torn tail cut, sealed chunk pending, damaged frame kept out and the file copied to quarantine")
    func recoverSegments() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try GoldenFiles.copy(GoldenFiles.segmentFolder, to: directory)
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)

        let damagedName = GoldenFiles.hex(GoldenFiles.damagedID) + "-000000.seg"
        #expect(directory.names(in: "quarantine") == [damagedName])
        #expect(try fileBytes(directory.path + "/quarantine/" + damagedName) == GoldenFiles.damagedSegment, "an untouched copy")

        let pending = await buffer.pendingChunks()
        try #require(pending.count == 2)
        let sealed = try #require(pending.first { $0.key == GoldenFiles.sealedKey })
        #expect(sealed.index == 2 && sealed.recordCount == 2)
        #expect(try readRecords(sealed) == jsonLines(GoldenFiles.sealedRecords))
        let damaged = try #require(pending.first { $0.key == GoldenFiles.damagedKey })
        #expect(damaged.index == 5 && damaged.recordCount == 1)
        #expect(try readRecords(damaged) == jsonLines(["c1"]))

        // The open chunk continues after its last whole frame; a new partition of the slice gets an
        // index above every one the journal handed out.
        let newKey = PartitionKey(tag: "syslog.user.info", timeSlice: GoldenFiles.slice)
        _ = try await buffer.append(batch([(GoldenFiles.openKey, jsonLines(["four"])), (newKey, jsonLines(["new"]))]))
        let flushed = try await buffer.sealAll()
        let resumed = try #require(flushed.first { $0.key == GoldenFiles.openKey })
        #expect(resumed.id == ChunkID(high: GoldenFiles.openID.high, low: GoldenFiles.openID.low))
        #expect(resumed.index == 3)
        #expect(try readRecords(resumed) == jsonLines(["one", "two", "three", "four"]))
        #expect(try #require(flushed.first { $0.key == newKey }).index == 6)
    }

    @Test("Chunk files of the older format are carried over into segments under their id and index")
    func recoverLegacyChunkFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try GoldenFiles.copy(GoldenFiles.legacyFolder, to: directory)
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)

        #expect(directory.names(in: "quarantine") == [GoldenFiles.badMagic.idHex + ".open", GoldenFiles.version99.idHex + ".sealed"])
        #expect(directory.chunkFiles(suffix: ".open").isEmpty && directory.chunkFiles(suffix: ".sealed").isEmpty, "carried over, then removed")

        let pending = await buffer.pendingChunks()
        try #require(pending.count == 1)
        #expect(pending[0].id == ChunkID(high: 0x0123_4567_89ab_cdef, low: 2))
        #expect(pending[0].key == PartitionKey(tag: "syslog.daemon.err", timeSlice: GoldenFiles.slice))
        #expect(pending[0].index == 2)
        #expect(pending[0].recordCount == 2)
        #expect(pending[0].createdAt == 1_700_000_000_000_000_000)
        #expect(try readRecords(pending[0]) == jsonLines(GoldenFiles.sealedRecords))
        #expect(await buffer.statistics().openChunks == 1)

        let openKey = PartitionKey(tag: "syslog.auth.info", timeSlice: GoldenFiles.slice)
        let newKey = PartitionKey(tag: "syslog.kern.warn", timeSlice: GoldenFiles.slice)
        _ = try await buffer.append(batch([(openKey, jsonLines(["four"])), (newKey, jsonLines(["new"]))]))
        let sealed = try await buffer.sealAll()
        let resumed = try #require(sealed.first { $0.key == openKey })
        #expect(resumed.id == ChunkID(high: 0x0123_4567_89ab_cdef, low: 1))
        #expect(resumed.index == 3)
        #expect(try readRecords(resumed) == jsonLines(GoldenFiles.openRecords + ["four"]))
        #expect(try #require(sealed.first { $0.key == newKey }).index == 4)
    }
}
