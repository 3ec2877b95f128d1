import Foundation
import Logging
import Spool
import TestSupport
import Testing

/// Model-based tests: seeded random sequences of appends, syncs, seals, uploads, injected disk faults
/// and crashes, run against the buffer on a simulated file system and checked against an in-memory
/// model after every step.
///
/// A failing seed is printed; keep it in Fixtures/spool/model-seeds.txt so it runs every time.
@Suite("Partition buffer: model-based", .serialized)  // one history at a time: they are CPU-bound
struct ModelTests {
    static let fixedSeeds: [UInt64] = {
        let text = (try? String(contentsOfFile: SpoolFixtures.directory + "/model-seeds.txt", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            line.hasPrefix("#") ? nil : UInt64(line.split(separator: " ").first ?? "")
        }
    }()

    /// 40 random histories per run; `SLUICE_MODEL_SEEDS=5000 swift test --filter ModelTests` runs more.
    static let seeds: [UInt64] = fixedSeeds + Array(3...UInt64(ProcessInfo.processInfo.environment["SLUICE_MODEL_SEEDS"].flatMap { UInt64($0) } ?? 42))

    @Test("Random histories keep every accepted record exactly once, in order", arguments: seeds)
    func randomHistory(seed: UInt64) async throws {
        var run = try await ModelRun(seed: seed)
        try await run.execute(steps: 150)
    }
}

/// One seeded history.
struct ModelRun {
    let seed: UInt64
    var random: SeededRandom
    let fileSystem = SimulatedFileSystem()
    let configuration: SpoolConfiguration
    var buffer: PartitionBuffer
    let keys: [PartitionKey]
    var nextRecord = 0

    /// Per partition, in append order: records that survive any crash, and records appended since the
    /// last sync (a crash keeps a prefix of these).
    var accepted: [PartitionKey: [String]] = [:]
    var pending: [PartitionKey: [String]] = [:]
    /// Every (slice, index) handed to a chunk, and to which: an index is never reused.
    var indices: [String: ChunkID] = [:]
    var log: [String] = []
    /// Chunks uploaded whose commit failed: the object is in the bucket, and the journal entry may or
    /// may not have reached the disk, so after a crash the chunk may be gone or still waiting.
    var inDoubt: [ChunkID: (key: PartitionKey, records: [String])] = [:]
    var lastError: SpoolError?

    init(seed: UInt64) async throws {
        self.seed = seed
        random = SeededRandom(seed: seed)
        let durability: DurabilityPolicy = switch seed % 3 {
        case 0: .everyBatch
        case 1: .interval(.seconds(3600))  // synced only when the history says so
        default: .operatingSystem
        }
        configuration = SpoolConfiguration(
            directory: "/buffer", timekey: 3600, timekeyWait: 0, chunkLimitSize: [300, 2000, 1 << 20][Int(seed % 7) % 3],
            segmentSize: 4096 + 64 + [0, 400, 5000][Int(seed / 3) % 3], durability: durability, fileSystem: fileSystem)
        keys = (0..<3).map { PartitionKey(tag: "syslog.t\($0)", timeSlice: 3600 * Int64($0 % 2)) }
        buffer = try await PartitionBuffer(configuration: configuration, logger: quietLogger)
    }

    var everyBatch: Bool {
        if case .everyBatch = configuration.durability { return true }
        return false
    }

    mutating func execute(steps: Int) async throws {
        for step in 0..<steps {
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case 0..<45: try await append()
            case 45..<55: await sync()
            case 55..<65: try await seal()
            case 65..<80: try await upload()
            case 80..<86: try await crash()
            case 86..<91: try await kill()
            default: injectFault()
            }
            try await check(step: step)
        }
        fileSystem.faults = .init()
        // The end: everything left is read back exactly once.
        await sync()
        _ = await buffer.sealAll()
        while try await upload() {}
        try #require(accepted.values.allSatisfy(\.isEmpty) && pending.values.allSatisfy(\.isEmpty), "\(failure): records never came back: \(accepted) \(pending)")
    }

    var failure: String { "seed \(seed) (\(configuration.durability)); history: \(log.suffix(12).joined(separator: ", "))" }

    mutating func append() async throws {
        var batch = EncodedBatch()
        var added: [PartitionKey: [String]] = [:]
        for key in keys.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)) {
            let count = Int.random(in: 1...12, using: &random)
            let records = (0..<count).map { _ in
                nextRecord += 1
                return "r\(nextRecord)" + String(repeating: "x", count: Int.random(in: 0...120, using: &random))
            }
            batch.parts[key] = EncodedBatch.Part(lines: jsonLines(records))
            added[key] = records
        }
        log.append("append \(added.values.reduce(0) { $0 + $1.count })")
        var attempt = batch
        for _ in 0..<5 {
            do {
                _ = try await buffer.append(attempt)
                for (key, records) in added { note(appended: records, to: key) }
                return
            } catch {
                log.append("failed: \(error.underlying.code)")
                // What was written counts; the rest is retried once the fault is gone.
                for (key, records) in added {
                    let left = error.remaining.parts[key]?.recordCount ?? 0
                    note(appended: Array(records.dropLast(left)), to: key)
                    added[key] = Array(records.suffix(left))
                }
                attempt = error.remaining
                fileSystem.faults = .init()
                lastError = error.underlying
            }
        }
        Issue.record("\(failure): append keeps failing without a fault: \(lastError.map { "\($0)" } ?? "")")
        throw CancellationError()
    }

    private mutating func note(appended records: [String], to key: PartitionKey) {
        if everyBatch {
            accepted[key, default: []] += records
        } else {
            pending[key, default: []] += records
        }
    }

    mutating func sync() async {
        log.append("sync")
        let faulty = fileSystem.faults.failSync
        await buffer.syncPending()
        guard !faulty || fileSystem.faults.failSync else {
            // A failed sync: retried by the next one.
            return
        }
        for (key, records) in pending { accepted[key, default: []] += records }
        pending = [:]
    }

    mutating func seal() async throws {
        log.append("seal")
        let now: Int64 = Bool.random(using: &random) ? 100_000 : 0
        let sealed = now > 0 ? await buffer.sealExpired(now: now) : await buffer.sealAll()
        for chunk in sealed {
            let slot = "\(chunk.key.timeSlice)/\(chunk.index)"
            if let other = indices[slot], other != chunk.id {
                Issue.record("\(failure): index \(slot) handed to \(other) and \(chunk.id)")
            }
            indices[slot] = chunk.id
        }
    }

    /// Takes the oldest sealed chunk, checks its records against the model, and commits it.
    @discardableResult
    mutating func upload() async throws -> Bool {
        guard let chunk = await buffer.takeSealed() else { return false }
        log.append("upload \(chunk.recordCount)")
        var reader = ChunkReader(chunk, fileSystem: fileSystem)
        var bytes: [UInt8] = []
        while let block = try reader.next(blockSize: 1000) { bytes += block }
        let records = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            String(line.dropFirst(#"{"message":""#.count).dropLast(2))
        }
        #expect(records.count == chunk.recordCount, "\(failure)")
        // A chunk holds the oldest records of its partition, in order.
        let key = chunk.key
        let known = (accepted[key] ?? []) + (pending[key] ?? [])
        try #require(Array(known.prefix(records.count)) == records, "\(failure): chunk \(chunk) holds \(records.prefix(5))..., expected \(known.prefix(5))...")
        do {
            try await buffer.commit(chunk.id)
            inDoubt.removeValue(forKey: chunk.id)
        } catch {
            log.append("commit failed")
            await buffer.release(chunk.id)
            fileSystem.faults = .init()
            inDoubt[chunk.id] = (key, records)
            return true
        }
        let fromAccepted = min(records.count, accepted[key]?.count ?? 0)
        accepted[key]?.removeFirst(fromAccepted)
        pending[key]?.removeFirst(records.count - fromAccepted)
        return true
    }

    /// A chunk whose commit may have reached the disk is either all back or all gone (in the bucket).
    mutating func resolveInDoubt() async {
        let recovered = Set(await buffer.pendingChunks().map(\.id))
        for (id, chunk) in inDoubt where !recovered.contains(id) {
            for record in chunk.records {
                if let position = accepted[chunk.key]?.firstIndex(of: record) {
                    accepted[chunk.key]?.remove(at: position)
                } else if let position = pending[chunk.key]?.firstIndex(of: record) {
                    pending[chunk.key]?.remove(at: position)
                }
            }
        }
        inDoubt = [:]
    }

    /// `kill -9`: the process dies, the kernel keeps every byte it wrote (the page cache), synced or
    /// not. Recovery must make all of it durable: everything appended so far counts as accepted, and a
    /// later power cut must not take it.
    mutating func kill() async throws {
        log.append("kill -9")
        fileSystem.faults = .init()
        buffer = try await PartitionBuffer(configuration: configuration, logger: quietLogger)
        await resolveInDoubt()
        for (key, records) in pending { accepted[key, default: []] += records }
        pending = [:]
    }

    mutating func crash() async throws {
        log.append("crash")
        fileSystem.crash(using: &random)
        buffer = try await PartitionBuffer(configuration: configuration, logger: quietLogger)
        // Read back everything the buffer holds, by sealing it all.
        _ = await buffer.sealAll()
        var survivors: [PartitionKey: [String]] = [:]
        for chunk in await buffer.pendingChunks() {
            var reader = ChunkReader(chunk, fileSystem: fileSystem)
            var bytes: [UInt8] = []
            while let block = try reader.next() { bytes += block }
            survivors[chunk.key, default: []] += String(decoding: bytes, as: UTF8.self).split(separator: "\n").map {
                String($0.dropFirst(#"{"message":""#.count).dropLast(2))
            }
        }
        await resolveInDoubt()
        for key in Set(keys).union(survivors.keys) {
            let kept = survivors[key] ?? []
            let sure = accepted[key] ?? []
            let maybe = pending[key] ?? []
            // Everything accepted survives, in order, followed by a prefix of what was not yet synced.
            try #require(Array(kept.prefix(sure.count)) == sure, "\(failure): accepted records of \(key) lost or reordered: \(Self.divergence(kept, sure)), pending \(maybe.prefix(4).map { $0.prefix(5) })")
            let extra = Array(kept.dropFirst(sure.count))
            try #require(Array(maybe.prefix(extra.count)) == extra, "\(failure): \(key) came back with records that were never appended or out of order: \(extra.prefix(3))")
            accepted[key] = kept
            pending[key] = []
        }
        for chunk in await buffer.pendingChunks() {
            let slot = "\(chunk.key.timeSlice)/\(chunk.index)"
            if let other = indices[slot], other != chunk.id {
                Issue.record("\(failure): after recovery, index \(slot) of \(other) went to \(chunk.id)")
            }
            indices[slot] = chunk.id
        }
    }

    static func divergence(_ kept: [String], _ sure: [String]) -> String {
        let first = (0..<min(kept.count, sure.count)).first { kept[$0] != sure[$0] } ?? min(kept.count, sure.count)
        let window = max(0, first - 2)
        return "at \(first) of \(sure.count): kept \(kept.dropFirst(window).prefix(6).map { $0.prefix(5) }), accepted \(sure.dropFirst(window).prefix(6).map { $0.prefix(5) })"
    }

    mutating func injectFault() {
        var faults = SimulatedFileSystem.Faults()
        switch Int.random(in: 0..<3, using: &random) {
        case 0: faults.noSpaceOnGrow = true
        case 1: faults.shortWrite = Int.random(in: 0...20, using: &random)
        default: faults.failSync = true
        }
        log.append("fault \(faults)")
        fileSystem.faults = faults
    }

    /// After every step: the buffer holds exactly the bytes of the records the model says it holds.
    func check(step: Int) async throws {
        let expected = keys.reduce(0) { total, key in
            total + jsonLines((accepted[key] ?? []) + (pending[key] ?? [])).count
        }
        let stats = await buffer.statistics()
        #expect(stats.bufferedBytes == expected, "\(failure): step \(step) buffers \(stats.bufferedBytes) bytes, the model \(expected)")
    }
}
