import Foundation
import Spool
import Testing

/// The checked-in chunk files in Fixtures/spool/, as the format documentation describes them.
///
/// To regenerate after a deliberate format change: `SLUICE_WRITE_SPOOL_FIXTURES=1 swift test --filter GoldenChunkTests`.
enum GoldenChunks {
    static let slice: Int64 = 1_699_999_200
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

    static let files: [(name: String, bytes: [UInt8])] = [
        (openTorn.idHex + ".open", openTorn.encoded()),
        (sealed.idHex + ".sealed", sealed.encoded()),
        (badMagic.idHex + ".open", badMagic.encoded()),
        (version99.idHex + ".sealed", version99.encoded()),
    ]
}

@Suite("Golden chunk files")
struct GoldenChunkTests {
    @Test("The checked-in fixtures are the documented format's bytes", arguments: GoldenChunks.files.map(\.name))
    func fixturesMatchDocumentation(name: String) throws {
        let expected = try #require(GoldenChunks.files.first { $0.name == name }).bytes
        let path = SpoolFixtures.directory + "/" + name
        if ProcessInfo.processInfo.environment["SLUICE_WRITE_SPOOL_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(atPath: SpoolFixtures.directory, withIntermediateDirectories: true)
            try Data(expected).write(to: URL(fileURLWithPath: path))
        }
        #expect(try fileBytes(path) == expected, "Fixtures/spool/\(name) differs from the documented layout")
    }

    @Test("Recovering the fixtures: torn tail cut, sealed chunk pending, bad files quarantined")
    func recoverFixtures() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, _) in GoldenChunks.files {
            try FileManager.default.copyItem(atPath: SpoolFixtures.directory + "/" + name, toPath: directory.path + "/" + name)
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)

        #expect(directory.names(in: "quarantine") == [GoldenChunks.badMagic.idHex + ".open", GoldenChunks.version99.idHex + ".sealed"])
        let openPath = directory.path + "/" + GoldenChunks.openTorn.idHex + ".open"
        #expect(try fileBytes(openPath).count == GoldenChunks.openTorn.headerLength + jsonLines(GoldenChunks.openRecords).count)

        let pending = await buffer.pendingChunks()
        try #require(pending.count == 1)
        #expect(pending[0].id == ChunkID(high: 0x0123_4567_89ab_cdef, low: 2))
        #expect(pending[0].key == PartitionKey(tag: "syslog.daemon.err", timeSlice: GoldenChunks.slice))
        #expect(pending[0].index == 2)
        #expect(pending[0].recordCount == 2)
        #expect(pending[0].createdAt == 1_700_000_000_000_000_000)
        #expect(try readRecords(pending[0]) == jsonLines(GoldenChunks.sealedRecords))

        let stats = await buffer.statistics()
        #expect(stats.openChunks == 1 && stats.sealedChunks == 1)

        // Appending to the recovered partition continues its chunk; a new partition in the slice gets a
        // number above every index seen on disk.
        let openKey = PartitionKey(tag: "syslog.auth.info", timeSlice: GoldenChunks.slice)
        let newKey = PartitionKey(tag: "syslog.kern.warn", timeSlice: GoldenChunks.slice)
        _ = try await buffer.append(batch([(openKey, jsonLines(["four"])), (newKey, jsonLines(["new"]))]))
        let sealed = try await buffer.sealAll()
        let resumed = try #require(sealed.first { $0.key == openKey })
        #expect(resumed.id == ChunkID(high: 0x0123_4567_89ab_cdef, low: 1))
        #expect(resumed.index == 3)
        #expect(resumed.recordCount == 4)
        #expect(try readRecords(resumed) == jsonLines(GoldenChunks.openRecords + ["four"]))
        #expect(try #require(sealed.first { $0.key == newKey }).index == 4)
    }
}
