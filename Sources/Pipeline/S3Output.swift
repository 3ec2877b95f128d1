import CivilTime
import Codec
import Ingest
import Logging
import Metrics
import NIOCore
import S3
import SluiceConfig
import Spool
import Synchronization

/// A compressed object ready to go: the chunk it came from and its bytes.
struct CompressedObject: Sendable {
    var chunk: SealedChunk
    var body: ByteBuffer
}

/// What an S3 output is made of, validated.
struct S3OutputSettings: Sendable {
    var name: String
    /// `tag` is a chunk key.
    var byTag: Bool
    var spool: SpoolConfiguration
    var keyTemplate: ObjectKeyTemplate
    var storeAs: StoreAs
    var compressionLevel: Int?
    var flushAtShutdown: Bool
    /// `total_limit_size`: what the buffer may hold before `overflowAction` applies.
    var totalLimitSize: Int
    var overflowAction: BufferConfiguration.OverflowAction = .block
    /// `check_object`: HEAD each key first, and move to the next `%{index}` when another object has it.
    var checkObject: Bool
    /// Headers for every PUT: storage class, server-side encryption, ACL.
    var objectHeaders: [(String, String)] = []
    var retry: RetryPolicy
    /// How long a graceful shutdown keeps retrying failed uploads before leaving them for the next start.
    var shutdownUploadTimeout: Duration = .seconds(60)
}

/// One `<match>` with `@type s3`: the partition buffer, the compressor and the uploader, each a task.
///
/// Records come in through the bounded `records` queue. Sealed chunks wait on disk in the partition
/// buffer, however many there are, so appending never waits for S3; the compressor takes them oldest
/// first and hands at most two compressed objects to the uploader. Input is held back only when the
/// buffer reaches `total_limit_size` or the disk fails, and then the parser workers wait, and in turn
/// the receivers: TCP senders slow down, nothing in memory grows.
final class S3Output: PipelineOutput {
    let settings: S3OutputSettings
    let records = BoundedQueue<EncodedBatch>(.watermark(low: 4, high: 16))
    /// Rung when a chunk is sealed; finished when no more will be.
    private let sealedBell = BoundedQueue<Void>(.watermark(low: 0, high: 1))
    /// At most this many compressed objects wait in memory for the uploader.
    private let compressed = BoundedQueue<CompressedObject>(.watermark(low: 0, high: 2))
    private let buffer: PartitionBuffer
    private let store: any ObjectStore
    private let logger: Logger
    private let shuttingDownSince = Mutex<ContinuousClock.Instant?>(nil)

    init(settings: S3OutputSettings, store: any ObjectStore, logger: Logger) async throws {
        self.settings = settings
        self.store = store
        var logger = logger
        logger[metadataKey: "output"] = "\(settings.name)"
        self.logger = logger
        self.buffer = try await PartitionBuffer(configuration: settings.spool, logger: logger)
    }

    var partitioning: OutputPartitioning {
        OutputPartitioning(byTag: settings.byTag, spool: settings.spool)
    }

    /// Runs the three stages until `records` is finished and everything it held is handled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runBuffer() }
            group.addTask { await self.runCompressor() }
            group.addTask { await self.runUploader() }
        }
        await buffer.close()
    }

    /// Seals every open chunk now so it is uploaded (SIGUSR1).
    func flush() async {
        let chunks = await buffer.sealAll()
        logger.info("flushing \(chunks.count) buffered chunks")
        ringIfSealed(chunks)
    }

    /// Marks the start of shutdown: from now on, failing uploads are retried only for a while.
    func beginShutdown() {
        shuttingDownSince.withLock { $0 = $0 ?? .now }
    }

    private var pastShutdownDeadline: Bool {
        guard let since = shuttingDownSince.withLock({ $0 }) else { return false }
        return since.duration(to: .now) > settings.shutdownUploadTimeout
    }

    private func ringIfSealed(_ chunks: [SealedChunk]) {
        guard !chunks.isEmpty else { return }
        Counter(label: MetricName.sealedChunks, dimensions: [("output", settings.name)]).increment(by: chunks.count)
        _ = sealedBell.trySend(())
    }

    // MARK: - Buffer stage

    private func runBuffer() async {
        let bufferedRecords = Counter(label: MetricName.bufferedRecords, dimensions: [("output", settings.name)])
        _ = sealedBell.trySend(())  // chunks sealed by an earlier run
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sealExpiredChunks() }
            var failures = 0
            var overflowWarning = RateLimitedWarning(logger: logger)
            while var batch = await records.next() {
                guard await makeRoom(for: batch, warning: &overflowWarning) else { continue }
                // Disk trouble (full, read-only) blocks here, and so holds back senders: what was not
                // written is retried, never dropped, and what was written is not written again.
                while true {
                    do throws(AppendFailure) {
                        ringIfSealed(try await buffer.append(batch))
                        bufferedRecords.increment(by: batch.recordCount)
                        if failures > 0 { logger.info("buffer writes succeed again") }
                        failures = 0
                        break
                    } catch {
                        ringIfSealed(error.sealed)
                        bufferedRecords.increment(by: batch.recordCount - error.remaining.recordCount)
                        batch = error.remaining
                        failures += 1
                        if failures == 1 {
                            logger.error("cannot write to buffer \(settings.spool.directory): \(error); holding input until it can")
                        }
                        try? await Task.sleep(for: settings.retry.wait(afterFailures: min(failures, 5)))
                    }
                }
            }
            group.cancelAll()
        }
        if settings.flushAtShutdown {
            await flush()
        } else {
            let stats = await buffer.statistics()
            if stats.openChunks > 0 {
                logger.info("kept \(stats.openChunks) open chunks in \(settings.spool.directory) for the next start (flush_at_shutdown false)")
            }
        }
        sealedBell.finish()
    }

    /// Applies `overflow_action` while the buffer holds `total_limit_size` bytes or more: `block` waits
    /// for uploads to make room (input is held back, TCP senders slow down), `drop_oldest_chunk`
    /// discards the oldest sealed chunks, `throw_exception` refuses the batch. Returns whether to
    /// append `batch`. Whatever is discarded is logged and counted.
    private func makeRoom(for batch: EncodedBatch, warning overflowWarning: inout RateLimitedWarning) async -> Bool {
        var warned = false
        while await buffer.bufferedByteCount >= settings.totalLimitSize {
            switch settings.overflowAction {
            case .block:
                if !warned {
                    logger.warning("buffer \(settings.spool.directory) reached total_limit_size (\(settings.totalLimitSize) bytes); holding input until uploads make room")
                    warned = true
                }
                try? await Task.sleep(for: .milliseconds(100))
            case .drop_oldest_chunk:
                do {
                    if let dropped = try await buffer.dropOldestSealed() {
                        overflowDropped(dropped.recordCount, cause: "drop_oldest_chunk")
                        logger.error("buffer \(settings.spool.directory) reached total_limit_size: dropped the oldest \(dropped) (overflow_action drop_oldest_chunk)")
                        continue
                    }
                } catch {
                    logger.error("cannot drop the oldest chunk: \(error)")
                }
                fallthrough
            case .throw_exception:
                overflowDropped(batch.recordCount, cause: settings.overflowAction.rawValue)
                overflowWarning.warn("buffer \(settings.spool.directory) reached total_limit_size (\(settings.totalLimitSize) bytes): dropping incoming records (overflow_action \(settings.overflowAction.rawValue))", frame: nil)
                return false
            }
        }
        if warned { logger.info("buffer below total_limit_size again; taking input") }
        return true
    }

    private func overflowDropped(_ records: Int, cause: String) {
        Counter(label: MetricName.overflowDroppedRecords, dimensions: [("output", settings.name), ("cause", cause)]).increment(by: records)
    }

    private func sealExpiredChunks() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled else { return }
            ringIfSealed(await buffer.sealExpired(now: WallClock.seconds()))
        }
    }

    // MARK: - Compressor stage

    private func runCompressor() async {
        var noMoreSeals = false
        var failures = 0
        while true {
            if let chunk = await buffer.takeSealed() {
                // Past the shutdown deadline what is left stays on disk for the next start.
                if pastShutdownDeadline { continue }
                do {
                    let body = try await compress(chunk)
                    try await compressed.send(CompressedObject(chunk: chunk, body: body))
                    failures = 0
                } catch let error as SpoolError where error.code == .corrupt {
                    logger.error("cannot read \(chunk): \(error); moving it to quarantine/")
                    await buffer.quarantine(chunk.id, reason: error)
                } catch {
                    failures += 1
                    guard !pastShutdownDeadline else {
                        logger.error("cannot compress \(chunk): \(error); it stays in the buffer for the next start")
                        continue
                    }
                    logger.error("cannot compress \(chunk): \(error); trying again")
                    await buffer.release(chunk.id)
                    await pause(settings.retry.wait(afterFailures: failures))
                }
                continue
            }
            if noMoreSeals { break }
            if await sealedBell.next() == nil { noMoreSeals = true }
        }
        compressed.finish()
    }

    /// The chunk's records, compressed, straight into the buffer that is sent: one copy of the object
    /// in memory, never the whole chunk uncompressed (unless stored uncompressed).
    private func compress(_ chunk: SealedChunk) async throws -> ByteBuffer {
        let compressor = try settings.storeAs.makeCompressor(level: settings.compressionLevel)
        var reader = ChunkReader(chunk, fileSystem: settings.spool.fileSystem)
        var body = ByteBuffer()
        body.reserveCapacity(compressor == nil ? chunk.recordBytes : chunk.recordBytes / 6)
        var output: [UInt8] = []
        while let block = try reader.next() {
            guard let compressor else {
                body.writeBytes(block)
                continue
            }
            try compressor.compress(block, into: &output)
            body.writeBytes(output)
            output.removeAll(keepingCapacity: true)
            // Compression is CPU-bound: let other tasks (parsers, receivers) run between blocks.
            await Task.yield()
        }
        try compressor?.finish(into: &output)
        body.writeBytes(output)
        return body
    }

    // MARK: - Uploader stage

    private func runUploader() async {
        while let object = await compressed.next() {
            await upload(object)
        }
    }

    private func upload(_ object: CompressedObject) async {
        var chunk = object.chunk
        var failures = 0
        var firstFailure: ContinuousClock.Instant?
        while true {
            let key = chunk.objectKey ?? settings.keyTemplate.key(for: chunk)
            guard !pastShutdownDeadline else {
                logger.warning("leaving \(key) for the next start: the shutdown deadline has passed")
                return
            }
            do {
                // Recorded before the first byte is sent: a restart uploads to this key again.
                chunk = try await buffer.beginUpload(chunk.id, key: key)
                if settings.checkObject, let existing = try await store.headObject(key: key, logger: logger) {
                    if existing.metadata[Self.chunkIDMetadata] == chunk.id.hex {
                        // Uploaded before, but the answer (or the commit) was lost.
                        logger.info("\(key) already holds chunk \(chunk.id)")
                    } else {
                        // Another writer (another host, td-agent, an earlier buffer) has this key: as
                        // Fluentd does, take the next index, recorded in the chunk so retries keep it.
                        chunk = try await buffer.reindex(chunk.id)
                        logger.info("\(key) exists; chunk \(chunk.id) moves to index \(chunk.index)")
                        continue
                    }
                } else {
                    _ = try await store.putObject(request(for: chunk, key: key, body: object.body), logger: logger)
                    Counter(label: MetricName.uploadedObjects, dimensions: [("output", settings.name)]).increment()
                    Counter(label: MetricName.uploadedBytes, dimensions: [("output", settings.name)])
                        .increment(by: object.body.readableBytes)
                    logger.info("uploaded \(key) (\(chunk.recordCount) records, \(object.body.readableBytes) bytes)")
                }
                try await buffer.commit(chunk.id)
                return
            } catch {
                failures += 1
                let since = firstFailure ?? .now
                firstFailure = since
                Counter(label: MetricName.uploadFailures, dimensions: [("output", settings.name)]).increment()
                guard !pastShutdownDeadline else {
                    logger.error("giving up on \(key) for this run: \(error); the chunk stays in the buffer for the next start")
                    return
                }
                if settings.retry.givesUp(afterFailures: failures, failingFor: since.duration(to: .now)) {
                    let folder = await buffer.setAsideFailed(chunk.id, reason: error)
                    Counter(label: MetricName.failedChunks, dimensions: [("output", settings.name)]).increment()
                    logger.error("gave up on \(key) after \(failures) attempts over \(since.duration(to: .now)) (retry_max_times / retry_timeout): \(error); its \(chunk.recordCount) records are kept in \(folder)/")
                    return
                }
                let wait = settings.retry.wait(afterFailures: failures)
                let s3Error = error as? S3Error
                if s3Error?.isRetryable ?? true {
                    logger.warning("failed to upload \(key) (attempt \(failures)): \(error); retrying in \(wait)")
                } else if failures == 1 {
                    // Retrying will not fix it; say so once, with what to check.
                    logger.error("cannot upload \(key): \(error)\(Self.hint(for: s3Error)); the chunk waits in the buffer and is retried")
                } else {
                    logger.debug("still cannot upload \(key) (attempt \(failures)): \(error); retrying in \(wait)")
                }
                await pause(wait)
            }
        }
    }

    static let chunkIDMetadata = "sluice-chunk-id"

    /// What to check for an error that retrying cannot fix.
    static func hint(for error: S3Error?) -> String {
        guard let error else { return "" }
        switch error.code {
        case .accessDenied: return " (check that the credentials may s3:PutObject on the bucket, and the bucket policy)"
        case .noSuchBucket: return " (check s3_bucket and s3_region: Sluice does not create buckets)"
        case .signatureMismatch, .invalidCredentials: return " (check aws_key_id / aws_sec_key or the credentials in the environment)"
        case .wrongRegion: return " (check s3_region)"
        default: return ""
        }
    }

    private func request(for chunk: SealedChunk, key: String, body: ByteBuffer) -> PutObjectRequest {
        var request = PutObjectRequest(
            key: key,
            body: body,
            contentType: settings.storeAs.contentType,
            metadata: [Self.chunkIDMetadata: chunk.id.hex, "sluice-records": String(chunk.recordCount)]
        )
        request.headers = settings.objectHeaders
        return request
    }

    /// Sleeps `duration`, but no further than the shutdown deadline once shutdown has begun.
    private func pause(_ duration: Duration) async {
        let until = ContinuousClock.now + duration
        while ContinuousClock.now < until && !pastShutdownDeadline {
            try? await Task.sleep(for: min(.milliseconds(250), ContinuousClock.now.duration(to: until)))
        }
    }
}
