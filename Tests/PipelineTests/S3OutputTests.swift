import Codec
import Foundation
import Logging
import NIOCore
import S3
import Synchronization
import Testing
import TestSupport

@testable import Pipeline
@testable import SluiceConfig
import Spool

/// The output stages against an in-memory object store whose answers each test chooses.
struct S3OutputTests {
    /// A bucket in memory that can fail on demand and count what it was asked.
    final class MemoryStore: ObjectStore {
        struct State {
            var objects: [String: (body: [UInt8], metadata: [String: String])] = [:]
            var puts = 0
            var failuresLeft = 0
            var failure = S3Error(code: .serverError, message: "injected 503", isRetryable: true)
            var blocked = false
        }
        let state = Mutex(State())

        func putObject(_ request: PutObjectRequest, logger: Logger) async throws -> PutObjectResult {
            while state.withLock({ $0.blocked }) { try await Task.sleep(for: .milliseconds(20)) }
            try state.withLock { state in
                state.puts += 1
                if state.failuresLeft > 0 {
                    state.failuresLeft -= 1
                    throw state.failure
                }
                state.objects[request.key] = (Array(request.body.readableBytesView), request.metadata)
            }
            return PutObjectResult(etag: nil)
        }

        func headObject(key: String, logger: Logger) async throws -> ObjectHead? {
            state.withLock { $0.objects[key].map { ObjectHead(metadata: $0.metadata) } }
        }

        // Multipart uploads are exercised against SeaweedFS (MultipartUploadTests); these chunks are small.
        func createMultipartUpload(_ request: MultipartUploadRequest, logger: Logger) async throws -> String {
            throw S3Error(code: .invalidRequest, message: "MemoryStore takes single PUTs only")
        }
        func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer, md5: [UInt8], logger: Logger) async throws -> String {
            throw S3Error(code: .noSuchUpload, message: "no uploads")
        }
        func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart], logger: Logger) async throws {
            throw S3Error(code: .noSuchUpload, message: "no uploads")
        }
        func abortMultipartUpload(key: String, uploadID: String, logger: Logger) async throws {}
        func listParts(key: String, uploadID: String, logger: Logger) async throws -> [UploadedPart]? { nil }
        func listMultipartUploads(key: String, logger: Logger) async throws -> [String] { [] }
        func bucketExists(logger: Logger) async throws -> Bool { true }
        func createBucket(logger: Logger) async throws {}
    }

    static let slice: Int64 = 1_795_737_600

    static func settings(
        directory: String, chunkLimit: Int = 1 << 20, totalLimit: Int = 1 << 30,
        overflowAction: BufferConfiguration.OverflowAction = .block
    ) -> S3OutputSettings {
        S3OutputSettings(
            name: "test",
            byTag: true,
            spool: SpoolConfiguration(directory: directory, timekey: 3600, timekeyWait: 600, chunkLimitSize: chunkLimit),
            keyTemplate: ObjectKeyTemplate(path: "syslog/", timeSliceFormat: "%Y%m%d%H", fileExtension: "json", hostname: "h"),
            storeAs: .json,
            compressionLevel: nil,
            flushAtShutdown: true,
            totalLimitSize: totalLimit,
            overflowAction: overflowAction,
            checkObject: true,
            retry: RetryPolicy(initialWait: .milliseconds(10), maximumWait: .milliseconds(50))
        )
    }

    static func batch(_ lines: [String], tag: String = "system.user.notice", slice: Int64 = S3OutputTests.slice) -> EncodedBatch {
        var batch = EncodedBatch()
        batch.parts[PartitionKey(tag: tag, timeSlice: slice)] = EncodedBatch.Part(lines: Array(lines.map { $0 + "\n" }.joined().utf8))
        return batch
    }

    /// Runs the output over `batches`, then finishes it (flush at shutdown) and waits for it.
    static func run(_ output: S3Output, _ batches: [EncodedBatch]) async throws {
        let running = Task { await output.run() }
        for batch in batches { try await output.records.send(batch) }
        output.records.finish()
        await running.value
    }

    /// The key an upload began under is in the journal: after a restart, even with another key
    /// template (say `path` or the host name changed), the chunk goes to that key again.
    @Test func anUploadResumesUnderTheKeyItBeganWith() async throws {
        let directory = try temporaryDirectory()
        do {
            let buffer = try await PartitionBuffer(configuration: Self.settings(directory: directory).spool, logger: Logger(label: "test"))
            _ = try await buffer.append(Self.batch([#"{"n":1}"#]))
            let chunk = try #require(await buffer.sealAll().first)
            #expect(try await buffer.beginUpload(chunk.id, key: "syslog/2026112700_0.json").objectKey == "syslog/2026112700_0.json")
            await buffer.close()
            // Killed here: the upload never finished.
        }
        let store = MemoryStore()
        var settings = Self.settings(directory: directory)
        settings.keyTemplate = ObjectKeyTemplate(path: "moved/", timeSliceFormat: "%Y%m%d%H", fileExtension: "json", hostname: "h")
        let output = try await S3Output(settings: settings, store: store, logger: Logger(label: "test"))
        try await Self.run(output, [Self.batch([#"{"n":2}"#])])
        let keys = store.state.withLock { $0.objects.keys.sorted() }
        #expect(keys == ["moved/2026112700_1.json", "syslog/2026112700_0.json"])
    }

    @Test func aKeyTakenByAnotherWriterMovesTheChunkToTheNextIndex() async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.objects["syslog/2026112700_0.json"] = (Array("theirs".utf8), [:]) }
        let output = try await S3Output(settings: Self.settings(directory: directory), store: store, logger: Logger(label: "test"))
        try await Self.run(output, [Self.batch([#"{"message":"ours"}"#])])

        let objects = store.state.withLock { $0.objects }
        #expect(objects["syslog/2026112700_0.json"]?.body == Array("theirs".utf8), "the other writer's object is untouched")
        #expect(objects["syslog/2026112700_1.json"]?.body == Array(#"{"message":"ours"}"#.utf8) + [10])
        // The new index is durable: the journal will not hand out 1 again.
        let buffer = try await PartitionBuffer(configuration: Self.settings(directory: directory).spool, logger: Logger(label: "test"))
        _ = try await buffer.append(Self.batch(["{}"]))
        #expect(try #require(await buffer.sealAll().first).index == 2)
    }

    @Test func anObjectAlreadyHoldingThisChunkIsNotUploadedAgain() async throws {
        let directory = try temporaryDirectory()
        // A first run sealed the chunk; its upload succeeded but the commit was lost (crash).
        let buffer = try await PartitionBuffer(configuration: Self.settings(directory: directory).spool, logger: Logger(label: "test"))
        _ = try await buffer.append(Self.batch(["{}"]))
        let chunk = try #require(await buffer.sealAll().first)
        let store = MemoryStore()
        store.state.withLock { $0.objects["syslog/2026112700_0.json"] = (Array("{}\n".utf8), ["sluice-chunk-id": chunk.id.hex]) }

        let output = try await S3Output(settings: Self.settings(directory: directory), store: store, logger: Logger(label: "test"))
        try await Self.run(output, [])
        #expect(store.state.withLock { $0.puts } == 0)
        #expect(!FileManager.default.fileExists(atPath: chunk.segments[0]), "committed: the segment file is gone")
    }

    /// The same with the local-directory bucket (the embedded default): its objects keep their
    /// metadata in extended attributes, so the chunk is recognised, not stored again under index 1.
    @Test func aLocalObjectAlreadyHoldingThisChunkIsNotStoredTwice() async throws {
        let directory = try temporaryDirectory()
        let buffer = try await PartitionBuffer(configuration: Self.settings(directory: directory).spool, logger: Logger(label: "test"))
        _ = try await buffer.append(Self.batch(["{}"]))
        let chunk = try #require(await buffer.sealAll().first)
        _ = try await buffer.beginUpload(chunk.id, key: "syslog/2026112700_0.json")
        await buffer.close()
        let bucket = directory + "/bucket"
        let store = LocalDirectoryObjectStore(root: bucket)
        _ = try await store.putObject(
            PutObjectRequest(key: "syslog/2026112700_0.json", body: ByteBuffer(string: "{}\n"), metadata: ["sluice-chunk-id": chunk.id.hex]),
            logger: Logger(label: "test")
        )

        let logs = CapturedLogs()
        let output = try await S3Output(settings: Self.settings(directory: directory), store: store, logger: logs.logger)
        try await Self.run(output, [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: bucket + "/syslog") == ["2026112700_0.json"])
        #expect(logs.contains("already holds chunk"))
    }

    @Test func failedUploadsAreRetriedAndLandOnce() async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.failuresLeft = 3 }
        let output = try await S3Output(settings: Self.settings(directory: directory), store: store, logger: Logger(label: "test"))
        try await Self.run(output, [Self.batch(["{\"n\":1}", "{\"n\":2}"])])
        let state = store.state.withLock { $0 }
        #expect(state.puts == 4)
        #expect(state.objects.count == 1)
        #expect(state.objects.values.first?.metadata["sluice-records"] == "2")
    }

    /// `retry_max_times` and `retry_timeout`: an upload that keeps failing is given up, and its chunk
    /// moves to `failed/` in the buffer (kept, not deleted), out of the queue; later chunks go on.
    @Test(arguments: ["retry_max_times", "retry_timeout"])
    func uploadsThatKeepFailingAreSetAsideInFailed(limit: String) async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.failuresLeft = 1_000 }
        let logs = CapturedLogs()
        var settings = Self.settings(directory: directory)
        if limit == "retry_max_times" {
            settings.retry.maxRetries = 2
        } else {
            settings.retry.kind = .periodic
            settings.retry.timeout = .milliseconds(300)
        }
        let output = try await S3Output(settings: settings, store: store, logger: logs.logger)
        try await Self.run(output, [Self.batch([#"{"n":1}"#, #"{"n":2}"#])])
        let state = store.state.withLock { $0 }
        #expect(state.objects.isEmpty)
        if limit == "retry_max_times" {
            #expect(state.puts == 3, "the first attempt and two retries")
        } else {
            #expect(state.puts >= 2)
        }
        let failed = try FileManager.default.contentsOfDirectory(atPath: directory + "/failed")
        #expect(failed.count == 1 && failed[0].hasSuffix("-000000.seg"), "the chunk's segment is kept")
        #expect(logs.messages(at: .error).contains { $0.contains("gave up on syslog/2026112700_0.json") && $0.contains("2 records are kept in") })
        // The next start does not bring it back into the queue.
        let restarted = try await PartitionBuffer(configuration: settings.spool, logger: Logger(label: "test"))
        #expect(await restarted.pendingChunks().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/failed") == failed)
    }

    /// An error retrying cannot fix (AccessDenied) is logged once as an error, with what to check; the
    /// chunk waits and lands once the cause is fixed.
    @Test func anErrorRetryingCannotFixIsLoggedOnceWithAHint() async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock {
            $0.failuresLeft = 4
            $0.failure = S3Error(code: .accessDenied, message: "Access Denied", httpStatus: 403, awsCode: "AccessDenied")
        }
        let logs = CapturedLogs()
        let output = try await S3Output(settings: Self.settings(directory: directory), store: store, logger: logs.logger)
        try await Self.run(output, [Self.batch([#"{"n":1}"#])])
        #expect(store.state.withLock { $0.objects.count } == 1)
        let errors = logs.messages(at: .error).filter { $0.contains("cannot upload") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("s3:PutObject") == true)
    }

    /// A full disk holds input back (as `block` does) with one error in the log, and Sluice carries on
    /// by itself once space returns: every record lands once.
    @Test func aFullDiskHoldsInputWithOneErrorAndRecoversByItself() async throws {
        let fileSystem = SimulatedFileSystem()
        let logs = CapturedLogs()
        let store = MemoryStore()
        var settings = Self.settings(directory: "/buffer")
        settings.spool.fileSystem = fileSystem
        settings.spool.durability = .everyBatch
        let output = try await S3Output(settings: settings, store: store, logger: logs.logger)
        fileSystem.faults.diskFull = true
        let running = Task { await output.run() }
        let sentAll = Atomic(false)
        let sending = Task {
            for number in 0..<40 { try await output.records.send(Self.batch([#"{"n":\#(number)}"#])) }
            sentAll.store(true, ordering: .sequentiallyConsistent)
        }
        let failing = await waitUntil(timeout: .seconds(30)) { !logs.messages(at: .error).isEmpty }
        #expect(failing, "the full disk is logged")
        try await Task.sleep(for: .milliseconds(300))  // several more attempts, none logged
        // The queue holds 16 batches and the buffer stage one: the sender cannot have sent all 40.
        let sentEverything = sentAll.load(ordering: .sequentiallyConsistent)
        #expect(!sentEverything, "input waits while the disk is full")
        #expect(store.state.withLock { $0.objects.isEmpty })
        #expect(logs.messages(at: .error).filter { $0.contains("cannot write to buffer") }.count == 1)
        #expect(logs.messages(at: .error).first { $0.contains("cannot write to buffer") }?.contains("no space left on device") == true)

        fileSystem.faults.diskFull = false
        try await sending.value
        output.records.finish()
        await running.value
        // The slice is long past, so chunks may be sealed (and uploaded) as they go: read them in key order.
        let objects = store.state.withLock { $0.objects }.sorted { $0.key < $1.key }
        let lines = objects.flatMap { String(decoding: $0.value.body, as: UTF8.self).split(separator: "\n") }
        #expect(lines == (0..<40).map { #"{"n":\#($0)}"#[...] })
        #expect(objects.first?.key == "syslog/2026112700_0.json", "no index was used up while the disk was full")
        #expect(logs.messages(at: .info).contains { $0.contains("buffer writes succeed again") })
    }

    /// With S3 stalled and the buffer at total_limit_size, `drop_oldest_chunk` makes room by discarding
    /// the oldest sealed chunks and `throw_exception` refuses new records; both count what they drop.
    @Test(arguments: [BufferConfiguration.OverflowAction.drop_oldest_chunk, .throw_exception])
    func overflowActionsDropAndCount(action: BufferConfiguration.OverflowAction) async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.blocked = true }
        // One record per chunk (64-byte limit, ~50-byte records); the buffer holds about ten of them.
        let output = try await S3Output(
            settings: Self.settings(directory: directory, chunkLimit: 64, totalLimit: 500, overflowAction: action),
            store: store, logger: Logger(label: "test"))
        let running = Task { await output.run() }
        for number in 0..<60 {
            try await output.records.send(Self.batch([#"{"message":"record \#(String(format: "%03d", number)) padded"}"#]))
        }
        let drained = await waitUntil(timeout: .seconds(10)) { output.records.count == 0 }
        #expect(drained, "input is not blocked")
        store.state.withLock { $0.blocked = false }
        output.records.finish()
        await running.value

        let stored = store.state.withLock { $0.objects.values.map { String(decoding: $0.body, as: UTF8.self) } }
        let numbers = stored.flatMap { $0.split(separator: "\n") }
            .compactMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }.sorted()
        #expect(numbers.count < 60 && numbers.count >= 8, "\(numbers.count) stored")
        #expect(Set(numbers).count == numbers.count, "no duplicates")
        switch action {
        case .drop_oldest_chunk:
            // The newest records survive; the oldest (apart from one in flight to S3) were dropped.
            #expect(numbers.last == 59)
        default:
            // The oldest records survive; later ones were refused.
            #expect(numbers.first == 0)
            #expect(numbers == Array(0..<numbers.count))
        }
    }

    /// `overflow_action block`: with S3 stalled and the buffer at total_limit_size, input is held back
    /// (the sender waits, as a TCP sender would) and nothing is dropped; once S3 answers, all of it lands.
    @Test func overflowActionBlockHoldsInputAndLosesNothing() async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.blocked = true }
        let output = try await S3Output(
            settings: Self.settings(directory: directory, chunkLimit: 64, totalLimit: 500, overflowAction: .block),
            store: store, logger: Logger(label: "test"))
        let running = Task { await output.run() }
        let sent = Atomic(0)
        let sending = Task {
            for number in 0..<60 {
                try await output.records.send(Self.batch([#"{"message":"record \#(String(format: "%03d", number)) padded"}"#]))
                sent.add(1, ordering: .sequentiallyConsistent)
            }
        }
        // About ten records fill the buffer, 16 batches the queue: the sender is held well before 60.
        let held = await waitUntil(timeout: .seconds(20)) { output.records.count >= 16 }
        #expect(held, "input waits while the buffer is full")
        try await Task.sleep(for: .milliseconds(300))
        let sentWhileFull = sent.load(ordering: .sequentiallyConsistent)
        #expect(sentWhileFull < 60)
        store.state.withLock { $0.blocked = false }
        try await sending.value
        output.records.finish()
        await running.value
        let stored = store.state.withLock { $0.objects.values.map { String(decoding: $0.body, as: UTF8.self) } }
        let numbers = stored.flatMap { $0.split(separator: "\n") }
            .compactMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }.sorted()
        #expect(numbers == Array(0..<60), "every record once")
    }

    /// A stalled S3 does not stop the buffer from taking records: sealed chunks wait on disk.
    @Test func aStalledStoreDoesNotHoldBackTheBuffer() async throws {
        let directory = try temporaryDirectory()
        let store = MemoryStore()
        store.state.withLock { $0.blocked = true }
        // 64-byte chunks: every batch seals the chunk before it.
        let output = try await S3Output(settings: Self.settings(directory: directory, chunkLimit: 64), store: store, logger: Logger(label: "test"))
        let running = Task { await output.run() }
        for number in 0..<200 {
            try await output.records.send(Self.batch([#"{"message":"record number \#(number) padded to fill"}"#]))
        }
        let drained = await waitUntil(timeout: .seconds(10)) { output.records.count == 0 }
        #expect(drained, "all 200 batches taken while no upload can finish")
        let segmentsOnDisk = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.count
        #expect(segmentsOnDisk >= 190)

        store.state.withLock { $0.blocked = false }
        output.records.finish()
        await running.value
        #expect(store.state.withLock { $0.objects.count } == 200)
    }
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-output-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
