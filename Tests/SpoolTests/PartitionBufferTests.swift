import Synchronization
import Foundation
import Spool
import Testing
import TestSupport

@Suite("Partition buffer: append, seal, read")
struct PartitionBufferTests {
    static let slice: Int64 = 1_699_999_200  // a multiple of 3600

    struct AppendCase: CustomStringConvertible, Sendable {
        var name: String
        /// Batches, each a list of (tag, slice offset in hours, messages).
        var batches: [[(String, Int64, [String])]]
        var description: String { name }
    }

    static let appendCases: [AppendCase] = [
        AppendCase(name: "one record", batches: [[("syslog.auth", 0, ["hello"])]]),
        AppendCase(name: "one partition, several batches", batches: [
            [("syslog.auth", 0, ["a", "b"])], [("syslog.auth", 0, ["c"])], [("syslog.auth", 0, (0..<100).map { "m\($0)" })],
        ]),
        AppendCase(name: "several partitions in one batch", batches: [
            [("syslog.auth", 0, ["a1", "a2"]), ("syslog.kern", 0, ["k1"]), ("syslog.auth", 1, ["later"])],
            [("syslog.kern", 0, ["k2", "k3"]), ("syslog.auth", 0, ["a3"])],
        ]),
        AppendCase(name: "UTF-8 and escapes", batches: [[("syslog.user", 0, ["grüße ✓", #"quote \" and \\ backslash"#])]]),
    ]

    @Test("Appended lines come back through ChunkReader, per partition, in order", arguments: appendCases, [1, 7, 4096, ChunkReader.defaultBlockSize])
    func appendSealRead(testCase: AppendCase, blockSize: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)

        var expected: [PartitionKey: [UInt8]] = [:]
        for parts in testCase.batches {
            let keyed = parts.map { (PartitionKey(tag: $0.0, timeSlice: Self.slice + $0.1 * 3600), jsonLines($0.2)) }
            for (key, lines) in keyed { expected[key, default: []] += lines }
            let sealedNow = try await buffer.append(batch(keyed))
            #expect(sealedNow.isEmpty, "nothing is full at 1 MiB")
        }
        let stats = await buffer.statistics()
        #expect(stats.openChunks == expected.count)
        #expect(stats.bufferedBytes == expected.values.reduce(0) { $0 + $1.count })

        let sealed = try await buffer.sealAll()
        #expect(sealed.map(\.key) == expected.keys.sorted { ($0.timeSlice, $0.tag) < ($1.timeSlice, $1.tag) })
        for chunk in sealed {
            let lines = try #require(expected[chunk.key])
            #expect(try readRecords(chunk, blockSize: blockSize) == lines)
            #expect(chunk.recordBytes == lines.count)
            #expect(chunk.recordCount == lines.filter { $0 == 0x0a }.count)
            #expect(chunk.segments == [directory.path + "/" + chunk.id.hex + "-000000.seg"])
            #expect(FileManager.default.fileExists(atPath: chunk.segments[0]))
        }
        // The first chunk of each slice is `_0`; a second partition in the same slice gets the next number.
        let indicesBySlice = Dictionary(grouping: sealed, by: \.key.timeSlice).mapValues { $0.map(\.index).sorted() }
        for indices in indicesBySlice.values { #expect(indices == Array(0..<indices.count)) }
        #expect(await buffer.statistics().openChunks == 0)
        #expect(await buffer.pendingChunks().count == sealed.count)
    }

    @Test("A segment file is laid out as Segment.swift documents")
    func segmentLayout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let key = PartitionKey(tag: "syslog.local0.notice", timeSlice: -3600)
        let before = Int64(Date().timeIntervalSince1970 * 1e9) - 1_000_000_000
        var first = EncodedBatch.Part(lines: jsonLines(["x", "y"]))
        first.noteTime(-3500)
        first.noteTime(-3590)
        var firstBatch = EncodedBatch()
        firstBatch.parts[key] = first
        _ = try await buffer.append(firstBatch)
        _ = try await buffer.append(batch([(key, jsonLines(["z"]))]))
        let after = Int64(Date().timeIntervalSince1970 * 1e9) + 1_000_000_000
        let chunk = try #require(try await buffer.sealAll().first)

        let segment = try DocumentedSegment.parse(fileBytes(chunk.segments[0]))
        #expect(segment.magic == Array("SLSG".utf8))
        #expect(segment.version == 1)
        #expect(segment.headerLength == 64)
        #expect(segment.idHigh == chunk.id.high && segment.idLow == chunk.id.low)
        #expect(segment.number == 0)
        #expect(segment.capacity == SpoolConfiguration.defaultSegmentSize)
        #expect((before...after).contains(segment.createdAt))
        #expect(segment.headerCRC == CRC32C.checksum(Array(try fileBytes(chunk.segments[0])[0..<48])))
        #expect(segment.batches == [
            .init(tag: key.tag, recordCount: 2, timeSlice: -3600, earliest: -3590, latest: -3500, records: jsonLines(["x", "y"])),
            .init(tag: key.tag, recordCount: 1, timeSlice: -3600, earliest: 0, latest: 0, records: jsonLines(["z"])),
        ])
    }

    @Test("CRC-32C matches the standard check values", arguments: [
        ("123456789", UInt32(0xE306_9283)), ("", UInt32(0)), ("a", UInt32(0xC1D0_4330)),
        (String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 3), nil),
    ])
    func crc32c(text: String, expected: UInt32?) {
        let bytes = Array(text.utf8)
        if let expected { #expect(CRC32C.checksum(bytes) == expected) }
        #expect(bytes.withUnsafeBytes { CRC32C.software($0) } == CRC32C.checksum(bytes), "hardware and table agree")
        // Any split gives the same checksum when continued.
        for split in [0, 1, 7, bytes.count / 2, bytes.count] where split <= bytes.count {
            let head = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), continuing: head) == CRC32C.checksum(bytes))
        }
    }

    @Test("CRC-32C in three lanes agrees with the table at and around every lane boundary", arguments: [
        0, 1, 7, 8, 9, 255, 767, 768, 769, 1_543, 24_575, 24_576, 24_577, 49_159, 100_003,
    ])
    func crc32cLanes(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let table = bytes.withUnsafeBytes { CRC32C.software($0) }
        #expect(CRC32C.checksum(bytes) == table)
        #expect(CRC32C.checksum(bytes, continuing: 0x1234_5678) == bytes.withUnsafeBytes { CRC32C.software($0, continuing: 0x1234_5678) })
    }

    @Test("commit deletes the chunk file, and a restart does not bring it back")
    func commitDeletes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            let keys = ["a", "b", "c"].map { PartitionKey(tag: $0, timeSlice: Self.slice) }
            _ = try await buffer.append(batch(keys.map { ($0, jsonLines(["r"])) }))
            let sealed = try await buffer.sealAll()
            #expect(sealed.count == 3)
            try await buffer.commit(sealed[1].id)
            #expect(!FileManager.default.fileExists(atPath: sealed[1].segments[0]))
            #expect(FileManager.default.fileExists(atPath: sealed[0].segments[0]))
            #expect(await buffer.pendingChunks().map(\.id) == [sealed[0].id, sealed[2].id])
            // Committing twice, or an unknown chunk, is harmless.
            try await buffer.commit(sealed[1].id)
            try await buffer.commit(ChunkID(high: 1, low: 2))
            #expect(await buffer.statistics().sealedChunks == 2)
        }
        let restarted = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(await restarted.pendingChunks().map(\.key.tag) == ["a", "c"])
        #expect(directory.segmentFiles.count == 2)
    }

    @Test("waitForRoom returns when a commit frees bytes below the limit, not before, and at once when there is room")
    func waitForRoomIsWokenByWhatFreesBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let keys = ["a", "b"].map { PartitionKey(tag: $0, timeSlice: Self.slice) }
        _ = try await buffer.append(batch(keys.map { ($0, jsonLines(["record"])) }))
        let full = await buffer.bufferedByteCount
        await buffer.waitForRoom(below: full + 1)  // room already: returns at once
        let woken = Atomic(false)
        let waiter = Task {
            await buffer.waitForRoom(below: full)
            woken.store(true, ordering: .sequentiallyConsistent)
        }
        let sealed = try await buffer.sealAll()
        // Sealing frees nothing: the waiter still waits (a yield lets it run if it were resumed).
        for _ in 0..<100 { await Task.yield() }
        let wokenEarly = woken.load(ordering: .sequentiallyConsistent)
        #expect(!wokenEarly)
        try await buffer.commit(sealed[0].id)
        await waiter.value
        let wokenAfterCommit = woken.load(ordering: .sequentiallyConsistent)
        #expect(wokenAfterCommit)
        #expect(await buffer.bufferedByteCount < full)
    }

    @Test("Sealed chunks are pending oldest first")
    func pendingOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        var order: [ChunkID] = []
        for tag in ["z", "m", "a"] {
            _ = try await buffer.append(batch([(PartitionKey(tag: tag, timeSlice: Self.slice), jsonLines([tag]))]))
            order += try await buffer.sealAll().map(\.id)
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(await buffer.pendingChunks().map(\.id) == order)
    }
}

@Suite("Partition buffer: chunk_limit_size")
struct ChunkLimitTests {
    struct LimitCase: CustomStringConvertible, Sendable {
        var limit: Int
        var seed: UInt64
        var maximumRecord: Int
        var batchRecords: ClosedRange<Int>
        var description: String { "limit \(limit), records up to \(maximumRecord) B, seed \(seed)" }
    }

    @Test("Chunks split at record boundaries and never exceed the limit, except one oversize record alone", arguments: [
        LimitCase(limit: 256, seed: 1, maximumRecord: 60, batchRecords: 1...1),
        LimitCase(limit: 256, seed: 2, maximumRecord: 60, batchRecords: 1...40),
        LimitCase(limit: 1000, seed: 3, maximumRecord: 400, batchRecords: 1...8),
        LimitCase(limit: 100, seed: 4, maximumRecord: 300, batchRecords: 1...5),  // many records over the limit
        LimitCase(limit: 64 * 1024, seed: 5, maximumRecord: 3000, batchRecords: 50...200),
        LimitCase(limit: 1, seed: 6, maximumRecord: 10, batchRecords: 1...3),
    ])
    func limit(testCase: LimitCase) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(
            configuration: directory.configuration(chunkLimitSize: testCase.limit), logger: quietLogger)
        let key = PartitionKey(tag: "syslog.daemon", timeSlice: 0)
        var random = SeededRandom(seed: testCase.seed)

        var records: [[UInt8]] = []
        var sealed: [SealedChunk] = []
        for _ in 0..<60 {
            let count = Int.random(in: testCase.batchRecords, using: &random)
            var lines: [UInt8] = []
            for _ in 0..<count {
                let length = Int.random(in: 1...testCase.maximumRecord, using: &random)
                let record = [UInt8](repeating: UInt8(0x61 + records.count % 26), count: length - 1) + [0x0a]
                records.append(record)
                lines += record
            }
            sealed += try await buffer.append(batch([(key, lines)]))
        }
        sealed += try await buffer.sealAll()

        var bodies: [[UInt8]] = []
        for chunk in sealed {
            let body = try readRecords(chunk)
            #expect(body.count == chunk.recordBytes)
            #expect(body.last == 0x0a, "a chunk ends at a record boundary")
            #expect(chunk.recordCount == body.filter { $0 == 0x0a }.count)
            if chunk.recordCount > 1 {
                #expect(chunk.recordBytes <= testCase.limit, "\(chunk) exceeds the limit")
            } else {
                #expect(chunk.recordCount == 1)
            }
            bodies.append(body)
        }
        // Nothing lost, nothing duplicated, order kept.
        #expect(bodies.flatMap { $0 } == records.flatMap { $0 })
        // A chunk was sealed only because its next record did not fit.
        var recordIndex = 0
        for (i, chunk) in sealed.enumerated() {
            recordIndex += chunk.recordCount
            guard i + 1 < sealed.count else { break }
            #expect(chunk.recordBytes + records[recordIndex].count > testCase.limit, "chunk \(i) was sealed with room left")
        }
        #expect(recordIndex == records.count)
        // Every chunk of one slice has its own index.
        #expect(Set(sealed.map(\.index)).count == sealed.count)
    }
}

