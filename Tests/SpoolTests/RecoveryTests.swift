import Foundation
import Spool
import Testing

@Suite("Partition buffer: restart and recovery")
struct RecoveryTests {
    static let slice: Int64 = 1_699_999_200

    @Test("A new buffer on the same directory resumes open chunks (appending to them) and sealed ones")
    func restart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let old = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        let current = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice + 3600)
        let sealedBefore: SealedChunk
        let openID: ChunkID
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(old, jsonLines(["o1", "o2"])), (current, jsonLines(["c1", "c2", "c3"]))]))
            sealedBefore = try #require(try await buffer.sealExpired(now: Self.slice + 4200).first)
            #expect(sealedBefore.key == old)
            let sealedSegment = sealedBefore.id.hex + "-000000.seg"
            openID = try #require(directory.segmentFiles.filter { $0 != sealedSegment }.first.flatMap { ChunkID(hex: $0.prefix(32)) })
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let stats = await buffer.statistics()
        #expect(stats.openChunks == 1)
        #expect(stats.sealedChunks == 1)
        #expect(stats.bufferedBytes == jsonLines(["o1", "o2"]).count + jsonLines(["c1", "c2", "c3"]).count)
        #expect(await buffer.pendingChunks() == [sealedBefore])
        #expect(try readRecords(sealedBefore) == jsonLines(["o1", "o2"]))

        _ = try await buffer.append(batch([(current, jsonLines(["c4"]))]))
        #expect(directory.segmentFiles.count == 2, "appending reuses the recovered open chunk")
        let resumed = try #require(try await buffer.sealAll().first)
        #expect(resumed.id == openID)
        #expect(resumed.recordCount == 4)
        #expect(resumed.index == 0, "the first chunk of its own slice")
        #expect(try readRecords(resumed) == jsonLines(["c1", "c2", "c3", "c4"]))
    }

    struct TornTail: CustomStringConvertible, Sendable {
        var description: String
        var bytes: [UInt8]
    }

    static let tornTails: [TornTail] = [
        TornTail(description: "length, bad CRC, part of a payload", bytes: [0x10, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef] + Array(#"{"message":"tor"#.utf8)),
        TornTail(description: "a length past the file", bytes: [0xff, 0xff, 0xff, 0x7f]),
        TornTail(description: "a length, the rest never written", bytes: [0x05, 0, 0, 0]),
        TornTail(description: "5000 bytes of garbage", bytes: Array(repeating: 0x41, count: 5000)),
    ]

    /// The open chunk's segment and the offset after its last whole frame.
    static func openSegment(_ directory: TemporaryDirectory) throws -> (path: String, end: Int) {
        let path = directory.path + "/" + (try #require(directory.segmentFiles.first))
        return (path, try DocumentedSegment.parse(fileBytes(path)).end)
    }

    @Test("A torn write at the end of an open chunk is cut off; appends continue after the last whole frame", arguments: tornTails)
    func tornTailOpen(tail: TornTail) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.kern", timeSlice: Self.slice)
        let lines = jsonLines(["first", "second"])
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(key, lines)]))
        }
        let (path, end) = try Self.openSegment(directory)
        try writeBytes(path, tail.bytes, at: end)

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(try DocumentedSegment.parse(fileBytes(path)).records == lines)
        #expect(await buffer.statistics().bufferedBytes == lines.count)
        #expect(directory.names(in: "quarantine").isEmpty, "a torn tail is expected after a crash, not damage")
        _ = try await buffer.append(batch([(key, jsonLines(["third"]))]))
        let chunk = try #require(try await buffer.sealAll().first)
        #expect(chunk.recordCount == 3)
        #expect(try readRecords(chunk) == lines + jsonLines(["third"]))
    }

    @Test("A flipped bit in a sealed chunk keeps the frames before it and copies the file to quarantine/", arguments: [0, 1, 2])
    func damagedSealedChunk(damagedFrame: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "t", timeSlice: Self.slice)
        let batches = [["a1", "a2"], ["b1"], ["c1", "c2", "c3"]]
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            for messages in batches { _ = try await buffer.append(batch([(key, jsonLines(messages))])) }
            _ = try await buffer.sealAll()
        }
        let path = directory.path + "/" + (try #require(directory.segmentFiles.first))
        var bytes = try fileBytes(path)
        // Find the damaged frame's payload and flip one bit in its records.
        var offset = 64
        for _ in 0..<damagedFrame { offset += 8 + Int(DocumentedSegment.int(bytes, offset, UInt32.self)) }
        let length = Int(DocumentedSegment.int(bytes, offset, UInt32.self))
        bytes[offset + 8 + length - 2] ^= 0x04
        try writeBytes(path, [bytes[offset + 8 + length - 2]], at: offset + 8 + length - 2)

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(directory.names(in: "quarantine") == [path.split(separator: "/").last.map(String.init)!])
        let chunk = try #require(await buffer.pendingChunks().first)
        #expect(try readRecords(chunk) == jsonLines(batches[..<damagedFrame].flatMap { $0 }))
    }

    @Test("A flipped bit in the middle of an open chunk is corruption, not a torn tail: copied to quarantine/, the chunk sealed")
    func damagedOpenChunk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "t", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            for messages in [["a1"], ["b1", "b2"], ["c1"]] { _ = try await buffer.append(batch([(key, jsonLines(messages))])) }
            await buffer.close()
        }
        let path = directory.path + "/" + (try #require(directory.segmentFiles.first))
        let bytes = try fileBytes(path)
        let second = 64 + 8 + Int(DocumentedSegment.int(bytes, 64, UInt32.self))
        try writeBytes(path, [bytes[second + 20] ^ 0x01], at: second + 20)

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(directory.names(in: "quarantine").count == 1)
        let pending = await buffer.pendingChunks()
        #expect(pending.count == 1, "sealed, not appended over")
        #expect(try readRecords(try #require(pending.first)) == jsonLines(["a1"]))
        _ = try await buffer.append(batch([(key, jsonLines(["new"]))]))
        let fresh = try #require(try await buffer.sealAll().first)
        #expect(fresh.id != pending.first?.id)
        #expect(try readRecords(fresh) == jsonLines(["new"]))
    }

    @Test("After a middle segment was quarantined, the chunk's new segments take numbers never used")
    func segmentNumbersAfterQuarantine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "t", timeSlice: Self.slice)
        let record = String(repeating: "x", count: 1500)
        let configuration = directory.configuration(segmentSize: 4096 + 64)
        do {
            let buffer = try await PartitionBuffer(configuration: configuration, logger: quietLogger)
            for _ in 0..<7 { _ = try await buffer.append(batch([(key, jsonLines([record]))])) }
            await buffer.close()
        }
        #expect(directory.segmentFiles.count >= 3)
        let middle = directory.path + "/" + directory.segmentFiles[1]
        try writeBytes(middle, [0x58], at: 0)  // bad magic
        let buffer = try await PartitionBuffer(configuration: configuration, logger: quietLogger)
        #expect(directory.names(in: "quarantine").count == 1)
        for _ in 0..<6 { _ = try await buffer.append(batch([(key, jsonLines([record]))])) }
        let chunk = try #require(try await buffer.sealAll().first)
        #expect(Set(chunk.segments).count == chunk.segments.count)
        #expect(chunk.recordCount == 7 + 6 - 2, "the two records of the quarantined segment are out, all others in")
    }

    @Test("A chunk file of the older format bigger than today's chunk_limit_size is carried over whole, as one chunk")
    func legacyChunkOverTheLimit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let messages = (0..<50).map { "legacy record \($0)" }
        let file = DocumentedChunkFile(
            idHigh: 7, idLow: 7, index: 4, timeSlice: Self.slice, createdAt: 5, tag: "syslog.auth", body: jsonLines(messages))
        FileManager.default.createFile(atPath: directory.path + "/" + file.idHex + ".sealed", contents: Data(file.encoded()))
        let buffer = try await PartitionBuffer(configuration: directory.configuration(chunkLimitSize: 200), logger: quietLogger)
        let pending = await buffer.pendingChunks()
        #expect(pending.count == 1)
        #expect(pending.first?.index == 4)
        #expect(try readRecords(try #require(pending.first)) == jsonLines(messages))
    }

    static let unreadableSegments: [(String, @Sendable (inout [UInt8]) -> Void)] = [
        ("bad magic", { $0[0] = 0x58 }),
        ("version 99", { $0[4] = 99 }),
        ("header checksum", { $0[30] ^= 1 }),
        ("empty file", { $0 = [] }),
        ("shorter than a header", { $0 = Array($0.prefix(20)) }),
    ]

    @Test("An unreadable segment moves to quarantine/ and start-up goes on", arguments: unreadableSegments.map(\.0))
    func quarantineSegment(damage: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let kept = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        let lost = PartitionKey(tag: "syslog.kern", timeSlice: Self.slice)
        let victim: String
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(kept, jsonLines(["kept"])), (lost, jsonLines(["lost"]))]))
            let sealed = try await buffer.sealAll()
            victim = try #require(sealed.first { $0.key == lost }).segments[0]
        }
        var bytes = try fileBytes(victim)
        try #require(Self.unreadableSegments.first { $0.0 == damage }).1(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: victim))

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let name = String(victim.split(separator: "/").last!)
        #expect(directory.names(in: "quarantine") == [name])
        #expect(try fileBytes(directory.path + "/quarantine/" + name) == bytes, "moved, not changed")
        let pending = await buffer.pendingChunks()
        #expect(pending.map(\.key) == [kept])
        #expect(try readRecords(try #require(pending.first)) == jsonLines(["kept"]))
    }

    @Test("An unreadable journal moves to quarantine/; its chunks are adopted from their segments, nothing lost", arguments: [
        "bad magic", "version 99", "empty",
    ])
    func unreadableJournal(damage: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let open = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        let sealedKey = PartitionKey(tag: "syslog.kern", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(sealedKey, jsonLines(["s1", "s2"]))]))
            _ = try await buffer.sealAll()
            _ = try await buffer.append(batch([(open, jsonLines(["o1"]))]))
            await buffer.close()
        }
        let path = directory.path + "/chunks.journal"
        var bytes = try fileBytes(path)
        switch damage {
        case "bad magic": bytes[0] = 0x58
        case "version 99": bytes[4] = 99
        default: bytes = []
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(directory.names(in: "quarantine") == ["chunks.journal"])
        let pending = await buffer.pendingChunks()
        #expect(Set(pending.map(\.key)) == [open, sealedKey], "both chunks adopted as sealed")
        var records: [UInt8] = []
        for chunk in pending.sorted(by: { $0.key.tag < $1.key.tag }) { records += try readRecords(chunk) }
        #expect(records == jsonLines(["o1", "s1", "s2"]))
        #expect(Set(pending.map(\.index)).count == 2, "each gets its own index")
    }

    static let unreadableFiles: [(String, [UInt8])] = {
        let valid = DocumentedChunkFile(
            idHigh: 9, idLow: 9, index: 0, timeSlice: slice, createdAt: 1, tag: "syslog.auth", body: jsonLines(["x"]))
        var badMagic = valid
        badMagic.magic = Array("SLCX".utf8)
        var version99 = valid
        version99.version = 99
        var badLength = valid.encoded()
        badLength[6] = 200  // header length disagrees with the tag length
        var badTag = valid
        badTag.tag = "ab"
        var badTagBytes = badTag.encoded()
        badTagBytes[46] = 0xff  // not UTF-8
        return [
            ("bad magic", badMagic.encoded()),
            ("version 99", version99.encoded()),
            ("empty file", []),
            ("shorter than a header", Array(valid.encoded().prefix(20))),
            ("inconsistent header length", badLength),
            ("tag not UTF-8", badTagBytes),
        ]
    }()

    @Test("An unreadable chunk file of the older format moves to quarantine/", arguments: unreadableFiles, [".open", ".sealed"])
    func quarantineLegacy(file: (String, [UInt8]), suffix: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(key, jsonLines(["kept"]))]))
        }
        let name = "0000000000000009000000000000000a" + suffix
        FileManager.default.createFile(atPath: directory.path + "/" + name, contents: Data(file.1))

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(directory.names(in: "quarantine") == [name], "\(file.0)")
        #expect(try fileBytes(directory.path + "/quarantine/" + name) == file.1, "moved, not changed")
        #expect(!directory.names().contains(name))
        #expect(await buffer.statistics().openChunks == 1)
        #expect(await buffer.pendingChunks().isEmpty)
        let chunk = try #require(try await buffer.sealAll().first)
        #expect(try readRecords(chunk) == jsonLines(["kept"]))
    }

    @Test("Two open chunks for one partition: one is sealed, appends go to the other")
    func duplicateOpenChunks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        for (n, message) in ["from A", "from B"].enumerated() {
            let file = DocumentedChunkFile(
                idHigh: 1, idLow: UInt64(n + 1), index: UInt32(n), timeSlice: key.timeSlice, createdAt: Int64(n),
                tag: key.tag, body: jsonLines([message]))
            FileManager.default.createFile(atPath: directory.path + "/" + file.idHex + ".open", contents: Data(file.encoded()))
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let pending = await buffer.pendingChunks()
        #expect(pending.count == 1)
        _ = try await buffer.append(batch([(key, jsonLines(["new"]))]))
        let open = try #require(try await buffer.sealAll().first)
        let all = try [readRecords(try #require(pending.first)), readRecords(open)]
        #expect(Set(all) == [jsonLines(["from A"]), jsonLines(["from B", "new"])] || Set(all) == [jsonLines(["from B"]), jsonLines(["from A", "new"])])
        #expect(open.index != pending.first?.index)
    }
}

@Suite("Partition buffer: %{index} in the chunk journal")
struct IndexLedgerTests {
    static let slice: Int64 = 1_699_999_200

    /// Appends one record to `key`, seals and commits it, and returns the chunk's index.
    func uploadOne(_ directory: TemporaryDirectory, _ key: PartitionKey) async throws -> Int {
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        _ = try await buffer.append(batch([(key, jsonLines(["r"]))]))
        let chunk = try #require(try await buffer.sealAll().first)
        try await buffer.commit(chunk.id)
        #expect(!FileManager.default.fileExists(atPath: chunk.segments[0]))
        return chunk.index
    }

    @Test("Indices are never reused after commit and restart, per slice")
    func noReuse() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        let otherSlice = PartitionKey(tag: "syslog.auth", timeSlice: -3600)
        var indices: [Int] = []
        for _ in 0..<4 { indices.append(try await uploadOne(directory, key)) }
        #expect(indices == [0, 1, 2, 3])
        #expect(try await uploadOne(directory, otherSlice) == 0, "each slice counts from 0")
        #expect(try await uploadOne(directory, key) == 4)
        #expect(directory.segmentFiles.isEmpty)
        #expect(directory.names().contains("chunks.journal"))
    }

    @Test("Damage in the middle of the journal: a copy goes to quarantine/, and indices after the damage are not reused")
    func damagedJournalMiddle() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            for n in 0..<3 {
                _ = try await buffer.append(batch([(key, jsonLines(["r\(n)"]))]))
                let chunk = try #require(try await buffer.sealAll().first)
                #expect(chunk.index == n)
                try await buffer.commit(chunk.id)
            }
            await buffer.close()
        }
        // Flip a bit in the first entry written by that run (after the start's compaction wrote none).
        let path = directory.path + "/chunks.journal"
        let bytes = try fileBytes(path)
        try writeBytes(path, [bytes[16 + 8 + 3] ^ 0x20], at: 16 + 8 + 3)
        #expect(try await uploadOne(directory, key) == 3)
        #expect(directory.names(in: "quarantine").contains { $0.hasPrefix("chunks.journal.") })
    }

    @Test("A torn journal entry is cut, and indices already used are never reused", arguments: [
        "\u{09}\0\0\0\u{01}\u{02}\u{03}\u{04}\u{04}\0", "\u{7f}\u{7f}", String(repeating: "A", count: 100),
    ])
    func tornJournalEntry(torn: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        #expect(try await uploadOne(directory, key) == 0)
        #expect(try await uploadOne(directory, key) == 1)
        // After the last whole entry (the journal is compacted at every start: its end is where the
        // frames stop).
        let path = directory.path + "/chunks.journal"
        let bytes = try fileBytes(path)
        var end = 16
        while end + 8 <= bytes.count, DocumentedSegment.int(bytes, end, UInt32.self) > 0 {
            end += 8 + Int(DocumentedSegment.int(bytes, end, UInt32.self))
        }
        try writeBytes(path, Array(torn.utf8), at: end)
        #expect(try await uploadOne(directory, key) == 2)
        #expect(try await uploadOne(directory, key) == 3, "index 2 was committed and must not come back")
        #expect(try await uploadOne(directory, key) == 4)
    }

    @Test("Chunks on disk count even when their ledger line is lost")
    func chunksOnDiskCount() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = DocumentedChunkFile(
            idHigh: 5, idLow: 5, index: 7, timeSlice: Self.slice, createdAt: 0, tag: "syslog.auth", body: jsonLines(["s"]))
        FileManager.default.createFile(atPath: directory.path + "/" + file.idHex + ".sealed", contents: Data(file.encoded()))
        #expect(try await uploadOne(directory, PartitionKey(tag: "syslog.kern", timeSlice: Self.slice)) == 8)
    }
}
