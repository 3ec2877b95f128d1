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
            openID = try #require(directory.chunkFiles(suffix: ".open").first.flatMap { ChunkID(hex: $0.prefix(32)) })
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let stats = await buffer.statistics()
        #expect(stats.openChunks == 1)
        #expect(stats.sealedChunks == 1)
        #expect(stats.bufferedBytes == jsonLines(["o1", "o2"]).count + jsonLines(["c1", "c2", "c3"]).count)
        #expect(await buffer.pendingChunks() == [sealedBefore])
        #expect(try readRecords(sealedBefore) == jsonLines(["o1", "o2"]))

        _ = try await buffer.append(batch([(current, jsonLines(["c4"]))]))
        #expect(directory.chunkFiles(suffix: ".open").count == 1, "appending reuses the recovered open chunk")
        let resumed = try #require(try await buffer.sealAll().first)
        #expect(resumed.id == openID)
        #expect(resumed.recordCount == 4)
        #expect(resumed.index == 0, "the first chunk of its own slice")
        #expect(try readRecords(resumed) == jsonLines(["c1", "c2", "c3", "c4"]))
    }

    static let tornTails: [[UInt8]] = [
        Array(#"{"message":"tor"#.utf8),
        [0x7b],
        Array(repeating: 0x41, count: 5000),
        [0x00, 0x00, 0x00, 0x00],
        Array("\r".utf8),
    ]

    @Test("A torn tail on an open chunk is cut back to the last whole record", arguments: tornTails)
    func tornTailOpen(tail: [UInt8]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.kern", timeSlice: Self.slice)
        let lines = jsonLines(["first", "second"])
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(key, lines)]))
        }
        let path = directory.path + "/" + (try #require(directory.chunkFiles(suffix: ".open").first))
        let intactSize = try fileBytes(path).count
        try appendToFile(path, tail)

        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        #expect(try fileBytes(path).count == intactSize, "the torn bytes are cut from the file")
        #expect(await buffer.statistics().bufferedBytes == lines.count)
        _ = try await buffer.append(batch([(key, jsonLines(["third"]))]))
        let chunk = try #require(try await buffer.sealAll().first)
        #expect(chunk.recordCount == 3)
        #expect(try readRecords(chunk) == lines + jsonLines(["third"]))
    }

    @Test("A torn tail on a sealed chunk is left out of its body", arguments: tornTails)
    func tornTailSealed(tail: [UInt8]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lines = jsonLines(["first", "second"])
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(PartitionKey(tag: "t", timeSlice: Self.slice), lines)]))
            _ = try await buffer.sealAll()
        }
        let path = directory.path + "/" + (try #require(directory.chunkFiles(suffix: ".sealed").first))
        try appendToFile(path, tail)
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let chunk = try #require(await buffer.pendingChunks().first)
        #expect(chunk.recordCount == 2)
        #expect(try readRecords(chunk) == lines)
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

    @Test("An unreadable chunk file moves to quarantine/ and start-up goes on", arguments: unreadableFiles, [".open", ".sealed"])
    func quarantine(file: (String, [UInt8]), suffix: String) async throws {
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

@Suite("Partition buffer: %{index} ledger")
struct IndexLedgerTests {
    static let slice: Int64 = 1_699_999_200

    /// Appends one record to `key`, seals and commits it, and returns the chunk's index.
    func uploadOne(_ directory: TemporaryDirectory, _ key: PartitionKey) async throws -> Int {
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        _ = try await buffer.append(batch([(key, jsonLines(["r"]))]))
        let chunk = try #require(try await buffer.sealAll().first)
        try await buffer.commit(chunk.id)
        #expect(!FileManager.default.fileExists(atPath: chunk.path))
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
        #expect(directory.chunkFiles(suffix: ".sealed").isEmpty && directory.chunkFiles(suffix: ".open").isEmpty)
        #expect(directory.names().contains("index.ledger"))
    }

    @Test("A torn last ledger line is ignored, and later indices are still never reused", arguments: [
        "1699999200", "16999", "1699999200 ", "-", " ", "1699999200 x",
    ])
    func tornLedgerLine(torn: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "syslog.auth", timeSlice: Self.slice)
        #expect(try await uploadOne(directory, key) == 0)
        #expect(try await uploadOne(directory, key) == 1)
        try appendToFile(directory.path + "/index.ledger", Array(torn.utf8))
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
