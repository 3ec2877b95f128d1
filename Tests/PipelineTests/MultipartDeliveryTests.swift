import AsyncHTTPClient
import Foundation
import Logging
@testable import Pipeline
import S3
import Spool
import Testing
import TestSupport

/// Chunks larger than a part go up by multipart upload to SeaweedFS, through a proxy that injects
/// what S3 and networks do: 503 SlowDown, 500, reset connections, lost answers. Whatever happens,
/// every record lands exactly once, no upload is left behind, and parts the bucket holds are not sent
/// again.
@Suite("Multipart delivery through faults", .serialized)
struct MultipartDeliveryTests {
    static let bucket = "sluice-multipart-delivery"
    /// 3 parts of 5 MiB (S3's minimum), the last shorter: 120,000 records of 128 bytes.
    static let recordCount = 120_000

    struct Setup {
        var server: S3TestServer
        var proxy: S3FaultProxy
        var directory: String
        var prefix: String

        func store() -> S3ObjectStore {
            S3ObjectStore(
                configuration: .init(bucket: MultipartDeliveryTests.bucket, region: server.region, endpoint: proxy.endpoint, forcePathStyle: true),
                credentials: StaticCredentialProvider(accessKeyID: server.accessKeyID, secretAccessKey: server.secretAccessKey),
                httpClient: HTTPClient.shared
            )
        }

        func settings() -> S3OutputSettings {
            var settings = S3OutputTests.settings(directory: directory, chunkLimit: 64 << 20)
            settings.keyTemplate = ObjectKeyTemplate(path: prefix, timeSliceFormat: "%Y%m%d%H", fileExtension: "json", hostname: "h")
            settings.partSize = 5 << 20
            settings.uploadConcurrency = 2
            return settings
        }

        /// Every record stored under the prefix, by number.
        /// boto3 runs in a subprocess: off the cooperative pool, so waiting for it starves no other test.
        func storedRecords() async throws -> [Int: Int] {
            try await offThePool { try self.storedRecordsBlocking() }
        }

        func objects() async throws -> [String] {
            try await offThePool { try server.listObjects(bucket: MultipartDeliveryTests.bucket, prefix: prefix) }
        }

        func metadata(_ key: String) async throws -> [String: String] {
            try await offThePool { try server.objectMetadata(bucket: MultipartDeliveryTests.bucket, key: key) }
        }

        private func storedRecordsBlocking() throws -> [Int: Int] {
            var counts: [Int: Int] = [:]
            for key in try server.listObjects(bucket: MultipartDeliveryTests.bucket, prefix: prefix) {
                let body = try server.getObject(bucket: MultipartDeliveryTests.bucket, key: key)
                for line in body.split(separator: UInt8(ascii: "\n")) {
                    let text = String(decoding: line, as: UTF8.self)
                    guard let start = text.firstIndex(of: ":"), let number = Int(text[text.index(after: start)...].prefix { $0.isNumber }) else {
                        throw TestFailure("unexpected line \(text.prefix(80))")
                    }
                    counts[number, default: 0] += 1
                }
            }
            return counts
        }

        /// The request URIs of the parts the bucket took (HTTP 200), in order.
        func partsStored() -> [String] {
            proxy.recorded.filter { $0.operation == .uploadPart && $0.status == 200 }.map(\.uri)
        }

        func leftOverUploads() async throws -> [String] {
            try await offThePool { try server.listMultipartUploads(bucket: MultipartDeliveryTests.bucket).filter { $0.hasPrefix(prefix) } }
        }
    }

    static func setUp(_ name: String) async throws -> Setup {
        let server = try await S3TestServer.shared(.seaweedFS)
        try await offThePool { try server.createBucket(bucket) }
        let proxy = try await S3FaultProxy.start(upstream: server.endpoint)
        return Setup(server: server, proxy: proxy, directory: try temporaryDirectory(), prefix: "\(name)-\(UInt32.random(in: 0...UInt32.max))/")
    }

    /// A time slice two days ahead: its chunk is sealed by the flush at shutdown (or SIGUSR1's path),
    /// never by its timekey passing while records still arrive, which would split the records
    /// across two objects.
    static let slice = (Int64(Date().timeIntervalSince1970) / 3600 + 48) * 3600

    /// The records as batches of 10,000: `{"n":N,"pad":"xxx…"}`, 128 bytes with the newline.
    static func batches() -> [EncodedBatch] {
        stride(from: 0, to: recordCount, by: 10_000).map { start in
            S3OutputTests.batch((start..<(start + 10_000)).map { number in
                let head = #"{"n":\#(number),"pad":""#
                return head + String(repeating: "x", count: 127 - head.count - 2) + #""}"#
            }, slice: slice)
        }
    }

    static func expectEveryRecordOnce(_ setup: Setup) async throws {
        let counts = try await setup.storedRecords()
        #expect(counts.count == recordCount, "records stored")
        #expect(counts.values.allSatisfy { $0 == 1 }, "duplicates: \(counts.filter { $0.value > 1 }.count)")
        #expect(try await setup.leftOverUploads().isEmpty, "unfinished uploads left in the bucket")
    }

    /// Runs the output over the records until the bucket holds part 1, then stops it (its shutdown
    /// deadline passing while later parts fail).
    static func runUntilPartOneLands(_ output: S3Output, _ setup: Setup) async throws {
        let running = Task { await output.run() }
        for batch in batches() { try await output.records.send(batch) }
        output.records.finish()
        let landed = await eventually(timeout: .seconds(60)) {
            !setup.partsStored().isEmpty
        }
        #expect(landed)
        output.beginShutdown()
        await running.value
    }

    /// A first run: part 1 lands, every later part fails until the shutdown deadline passes, so the
    /// upload is left half done for the next run.
    static func stopAfterPartOne(_ setup: Setup) async throws {
        setup.proxy.inject(.respond(status: 500, code: "InternalError"), on: .uploadPart, times: 10_000, skip: 1)
        var settings = setup.settings()
        settings.uploadConcurrency = 1
        settings.shutdownUploadTimeout = .seconds(1)
        let first = try await S3Output(settings: settings, store: setup.store(), logger: CapturedLogs().logger)
        try await runUntilPartOneLands(first, setup)
    }

    /// A second run over the same buffer, with no new records; every record must then be stored once.
    static func runAgain(_ setup: Setup) async throws -> CapturedLogs {
        let logs = CapturedLogs()
        let second = try await S3Output(settings: setup.settings(), store: setup.store(), logger: logs.logger)
        try await S3OutputTests.run(second, [])
        try await expectEveryRecordOnce(setup)
        return logs
    }

    @Test("a chunk larger than a part goes up in parts, each sent once")
    func inParts() async throws {
        let setup = try await Self.setUp("parts")
        defer { Task { await setup.proxy.stop() } }
        let logs = CapturedLogs()
        let output = try await S3Output(settings: setup.settings(), store: setup.store(), logger: logs.logger)
        try await S3OutputTests.run(output, Self.batches())
        try await Self.expectEveryRecordOnce(setup)
        #expect(setup.proxy.count(.createMultipartUpload) == 1)
        #expect(setup.proxy.count(.uploadPart) == 3)
        #expect(setup.proxy.count(.completeMultipartUpload) == 1)
        #expect(setup.proxy.count(.putObject) == 0)
        #expect(logs.contains("in 3 parts"))
        let key = try #require(try await setup.objects().first)
        #expect(try await setup.metadata(key)["sluice-records"] == String(Self.recordCount))
    }

    @Test("503 SlowDown, 500 and reset connections: retried, parts the bucket holds are not sent again")
    func transientFaults() async throws {
        let setup = try await Self.setUp("faults")
        defer { Task { await setup.proxy.stop() } }
        setup.proxy.inject(.respond(status: 503, code: "SlowDown"), on: .createMultipartUpload)
        setup.proxy.inject(.respond(status: 500, code: "InternalError"), on: .uploadPart, skip: 1)
        setup.proxy.inject(.resetBeforeForwarding, on: .uploadPart, skip: 1)
        setup.proxy.inject(.respond(status: 503, code: "SlowDown"), on: .completeMultipartUpload)
        let output = try await S3Output(settings: setup.settings(), store: setup.store(), logger: CapturedLogs().logger)
        try await S3OutputTests.run(output, Self.batches())
        try await Self.expectEveryRecordOnce(setup)
        let parts = setup.proxy.recorded.filter { $0.operation == .uploadPart }
        let stored = parts.filter { $0.status == 200 }
        #expect(stored.count == 3, "each part stored once: \(parts.map { "\($0.uri.suffix(40)) \($0.status.map(String.init) ?? "reset")" })")
        #expect(setup.proxy.count(.createMultipartUpload) == 2)
        #expect(setup.proxy.count(.completeMultipartUpload) == 2)
    }

    @Test("a lost CompleteMultipartUpload answer: the object is found stored, not uploaded again")
    func lostCompleteAnswer() async throws {
        let setup = try await Self.setUp("lost-complete")
        defer { Task { await setup.proxy.stop() } }
        setup.proxy.inject(.loseAnswer, on: .completeMultipartUpload)
        let logs = CapturedLogs()
        let output = try await S3Output(settings: setup.settings(), store: setup.store(), logger: logs.logger)
        try await S3OutputTests.run(output, Self.batches())
        try await Self.expectEveryRecordOnce(setup)
        #expect(setup.proxy.count(.uploadPart) == 3)
        #expect(setup.proxy.count(.completeMultipartUpload) == 1)
        #expect(setup.proxy.count(.listParts) == 1, "the upload was checked")
        #expect(logs.contains("already holds chunk"))
    }

    @Test("a lost CreateMultipartUpload answer: the unrecorded upload is aborted, not left to cost storage")
    func lostCreateAnswer() async throws {
        let setup = try await Self.setUp("lost-create")
        defer { Task { await setup.proxy.stop() } }
        setup.proxy.inject(.loseAnswer, on: .createMultipartUpload)
        let output = try await S3Output(settings: setup.settings(), store: setup.store(), logger: CapturedLogs().logger)
        try await S3OutputTests.run(output, Self.batches())
        try await Self.expectEveryRecordOnce(setup)
        #expect(setup.proxy.count(.createMultipartUpload) == 2)
        #expect(setup.proxy.count(.abortMultipartUpload) == 1)
    }

    @Test("an upload stopped part way resumes after a restart with the parts still missing")
    func resumeAfterRestart() async throws {
        let setup = try await Self.setUp("resume")
        defer { Task { await setup.proxy.stop() } }
        try await Self.stopAfterPartOne(setup)
        #expect(try await setup.objects().isEmpty)
        #expect(try await setup.leftOverUploads().count == 1, "the upload waits for the next run")
        let sentBefore = setup.partsStored()
        #expect(sentBefore.count == 1)

        // Second run: the upload continues; part 1 is not sent again.
        setup.proxy.clearFaults()
        let logs = try await Self.runAgain(setup)
        let sentAfter = setup.partsStored()
        #expect(sentAfter.count == 3)
        #expect(sentAfter.filter { $0.contains("partNumber=1&") }.count == 1, "part 1 was sent once: \(sentAfter)")
        #expect(setup.proxy.count(.createMultipartUpload) == 1)
        #expect(logs.contains("1 of them sent before"))
    }

    @Test("an upload that vanished (a lifecycle rule aborted it) starts again and lands once")
    func vanishedUpload() async throws {
        let setup = try await Self.setUp("vanished")
        defer { Task { await setup.proxy.stop() } }
        try await Self.stopAfterPartOne(setup)
        setup.proxy.clearFaults()
        try await offThePool { try setup.server.boto3("""
            for upload in s3.list_multipart_uploads(Bucket=sys.argv[1], Prefix=sys.argv[2]).get("Uploads", []):
                s3.abort_multipart_upload(Bucket=sys.argv[1], Key=upload["Key"], UploadId=upload["UploadId"])
            """, arguments: [Self.bucket, setup.prefix]) }

        let logs = try await Self.runAgain(setup)
        #expect(logs.contains("no longer exists; starting a new one"))
        #expect(setup.proxy.count(.createMultipartUpload) == 2)
    }

    @Test("without s3:ListMultipartUploadParts a restart resumes from the journal alone")
    func resumeWithoutListParts() async throws {
        let setup = try await Self.setUp("no-list")
        defer { Task { await setup.proxy.stop() } }
        try await Self.stopAfterPartOne(setup)
        setup.proxy.clearFaults()
        setup.proxy.inject(.respond(status: 403, code: "AccessDenied"), on: .listParts, times: 10_000)

        let logs = try await Self.runAgain(setup)
        let sent = setup.partsStored()
        #expect(sent.filter { $0.contains("partNumber=1&") }.count == 1, "part 1 was sent once: \(sent)")
        #expect(logs.contains("relying on the 1 parts recorded"))
    }

    @Test("a chunk given up while S3 cannot abort its upload: the upload is kept and aborted later")
    func abandonedUploadIsAbortedLater() async throws {
        let setup = try await Self.setUp("abandoned")
        defer { Task { await setup.proxy.stop() } }
        setup.proxy.inject(.respond(status: 500, code: "InternalError"), on: .uploadPart, times: 10_000, skip: 1)
        setup.proxy.inject(.respond(status: 503, code: "ServiceUnavailable"), on: .abortMultipartUpload, times: 3)
        var settings = setup.settings()
        settings.uploadConcurrency = 1
        settings.retry = RetryPolicy(initialWait: .milliseconds(10), maximumWait: .milliseconds(20), maxRetries: 3)
        settings.abandonedUploadInterval = .milliseconds(300)
        let logs = CapturedLogs()
        let output = try await S3Output(settings: settings, store: setup.store(), logger: logs.logger)
        let running = Task { await output.run() }
        for batch in Self.batches() { try await output.records.send(batch) }
        // Still running (input open), the chunk sealed by SIGUSR1's path.
        try await Task.sleep(for: .milliseconds(500))
        await output.flush()
        #expect(await eventually(timeout: .seconds(60)) { logs.contains("gave up on") })
        // Once S3 takes aborts again, the background task aborts the upload.
        #expect(await eventually(timeout: .seconds(30)) { logs.contains("aborted multipart upload") })
        output.records.finish()
        await running.value
        #expect(try await setup.leftOverUploads().isEmpty, "the upload was aborted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.directory + "/aborts").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.directory + "/failed").count == 1, "the chunk is kept in failed/")
    }
}
