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
    /// `check_bucket`: check at start that the bucket exists; `auto_create_bucket`: create it if not.
    var checkBucket = false
    var autoCreateBucket = false
    /// `check_object`: HEAD each key first, and move to the next `%{index}` when another object has it.
    var checkObject: Bool
    /// Headers for every PUT: storage class, server-side encryption, ACL.
    var objectHeaders: [(String, String)] = []
    /// `upload_part_size`: objects larger than this go up in parts of this size.
    var partSize: Int = 16 << 20
    /// `upload_concurrency`: parts in flight per chunk.
    var uploadConcurrency: Int = 4
    /// `flush_thread_count`: chunks uploaded at once.
    var flushThreadCount: Int = 1
    var retry: RetryPolicy
    /// How often multipart uploads of chunks that left the buffer are tried to be aborted.
    var abandonedUploadInterval: Duration = .seconds(60)
    /// How long a graceful shutdown keeps retrying failed uploads before leaving them for the next start.
    var shutdownUploadTimeout: Duration = .seconds(60)
}

/// One `<match>` with `@type s3`: the partition buffer, and `flush_thread_count` uploaders.
///
/// Records come in through the bounded `records` queue. Sealed chunks wait on disk in the partition
/// buffer, however many there are, so appending never waits for S3; each uploader takes the oldest,
/// compresses it as it reads it and sends it in parts (`ChunkUpload`), so memory holds at most
/// `upload_concurrency + 1` parts per uploader, whatever the chunk's size. Input is held back only when the
/// buffer reaches `total_limit_size` or the disk fails, and then the parser workers wait, and in turn
/// the receivers: TCP senders slow down, nothing in memory grows.
final class S3Output: PipelineOutput {
    let settings: S3OutputSettings
    let records = BoundedQueue<EncodedBatch>(.watermark(low: 4, high: 16))
    /// Rung when a chunk is sealed; finished when no more will be.
    private let sealedBell = BoundedQueue<Void>(.watermark(low: 0, high: 1))
    private let buffer: PartitionBuffer
    private let store: any ObjectStore
    private let logger: Logger
    private let shuttingDownSince = Mutex<ContinuousClock.Instant?>(nil)
    private let uploadsInFlight = Atomic<Int>(0)

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

    func recoveredReceipts() async -> RecoveredReceipts {
        await buffer.recoveredReceipts
    }

    /// Runs the three stages until `records` is finished and everything it held is handled.
    func run() async {
        let aborts = Task { await self.abortAbandonedUploads(every: self.settings.abandonedUploadInterval) }
        let gauges = Task { await self.publishGauges() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runBuffer() }
            group.addTask { await self.checkBucket() }
            group.addTask { await self.runUploaders() }
        }
        aborts.cancel()
        gauges.cancel()
        await aborts.value
        await gauges.value
        await buffer.close()
    }

    /// Seals every open chunk now so it is uploaded (SIGUSR1).
    func flush() async {
        let chunks = await buffer.sealAll()
        logger.info("flushing \(chunks.count) buffered chunks")
        ringIfSealed(chunks)
    }

    /// The buffer's state as gauges, every second: chunks open and waiting, bytes, the oldest chunk's
    /// age, uploads in flight.
    private func publishGauges() async {
        let dimensions = [("output", settings.name)]
        let open = Gauge(label: MetricName.bufferOpenChunks, dimensions: dimensions)
        let sealed = Gauge(label: MetricName.bufferSealedChunks, dimensions: dimensions)
        let bytes = Gauge(label: MetricName.bufferBytes, dimensions: dimensions)
        let oldest = Gauge(label: MetricName.bufferOldestAge, dimensions: dimensions)
        let inFlight = Gauge(label: MetricName.uploadsInFlight, dimensions: dimensions)
        while !Task.isCancelled {
            let stats = await buffer.statistics()
            open.record(stats.openChunks)
            sealed.record(stats.sealedChunks)
            bytes.record(stats.bufferedBytes)
            let now = WallClock.nanoseconds()
            oldest.record(stats.oldestCreatedAt.map { Double(max(0, now - $0)) / 1e9 } ?? 0)
            inFlight.record(uploadsInFlight.load(ordering: .relaxed))
            try? await Task.sleep(for: .seconds(1))
        }
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
                guard await makeRoom(for: batch, warning: &overflowWarning) else {
                    batch.reportStored(false)
                    continue
                }
                let waiting = batch
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
                if !waiting.whenStored.isEmpty {
                    await buffer.whenDurable { waiting.reportStored(true) }
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
                await buffer.waitForRoom(below: settings.totalLimitSize)
            case .drop_oldest_chunk:
                do {
                    if let dropped = try await buffer.dropOldestSealed() {
                        // Its multipart upload, if any, is kept by the buffer and aborted in the background.
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

    /// `check_bucket` and `auto_create_bucket`, at start. A missing bucket is logged as an error and input
    /// is still taken: chunks wait in the buffer until the bucket exists.
    private func checkBucket() async {
        guard settings.checkBucket else { return }
        do {
            if try await store.bucketExists(logger: logger) { return }
            guard settings.autoCreateBucket else {
                logger.error("the bucket does not exist (check_bucket): create it, or correct s3_bucket / s3_region, or set auto_create_bucket true; chunks wait in \(settings.spool.directory) until it exists")
                return
            }
            try await store.createBucket(logger: logger)
            logger.info("created the bucket (auto_create_bucket)")
        } catch {
            logger.warning("cannot check the bucket (check_bucket): \(error); uploads go ahead and will tell")
        }
    }

    // MARK: - Upload stage

    /// `flush_thread_count` workers, each taking the oldest sealed chunk and uploading it, until no
    /// more chunks will be sealed and none is left.
    private func runUploaders() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, settings.flushThreadCount) {
                group.addTask { await self.runUploader() }
            }
        }
    }

    private func runUploader() async {
        var noMoreSeals = false
        while true {
            if let chunk = await buffer.takeSealed() {
                // Wake another worker for the next chunk, if any.
                _ = sealedBell.trySend(())
                // Past the shutdown deadline what is left stays on disk for the next start.
                if !pastShutdownDeadline { await deliver(chunk) }
                continue
            }
            if noMoreSeals { break }
            if await sealedBell.next() == nil { noMoreSeals = true }
        }
    }

    /// Uploads a chunk and commits it, retrying as `retry_*` say; gives up into `failed/`, or leaves the
    /// chunk for the next start once the shutdown deadline has passed.
    private func deliver(_ taken: SealedChunk) async {
        uploadsInFlight.add(1, ordering: .relaxed)
        defer { uploadsInFlight.subtract(1, ordering: .relaxed) }
        let started = ContinuousClock.now
        var chunk = taken
        var failures = 0
        var firstFailure: ContinuousClock.Instant?
        // An upload key recorded by an earlier run: its CreateMultipartUpload may have been lost.
        var mayHaveUnrecordedUpload = chunk.objectKey != nil && chunk.multipart == nil
        while true {
            let key = chunk.objectKey ?? settings.keyTemplate.key(for: chunk)
            guard !pastShutdownDeadline else {
                logger.warning("leaving \(key) for the next start: the shutdown deadline has passed")
                await buffer.release(chunk.id)
                return
            }
            var upload: ChunkUpload?
            do {
                // Recorded before the first byte is sent: a restart uploads to this key again.
                chunk = try await buffer.beginUpload(chunk.id, key: key)
                upload = ChunkUpload(
                    chunk: chunk, key: key, settings: settings, buffer: buffer, store: store, logger: logger,
                    mayHaveUnrecordedUpload: mayHaveUnrecordedUpload
                )
                switch try await upload!.run() {
                case .reindexed(let next):
                    logger.info("\(key) exists; chunk \(chunk.id) moves to index \(next.index)")
                    chunk = next
                    continue
                case .alreadyStored:
                    // Uploaded before, but the answer (or the commit) was lost.
                    logger.info("\(key) already holds chunk \(chunk.id)")
                case .stored(let bytes, let parts, let resumed):
                    Counter(label: MetricName.uploadedObjects, dimensions: [("output", settings.name)]).increment()
                    Counter(label: MetricName.uploadedBytes, dimensions: [("output", settings.name)]).increment(by: bytes)
                    Timer(label: MetricName.uploadDuration, dimensions: [("output", settings.name)]).record(duration: started.duration(to: .now))
                    let how = parts == 0 ? "" : resumed > 0 ? " in \(parts) parts, \(resumed) of them sent before" : " in \(parts) parts"
                    logger.info("uploaded \(key) (\(chunk.recordCount) records, \(bytes) bytes\(how))")
                }
                try await buffer.commit(chunk.id)
                return
            } catch {
                if let upload {
                    chunk = upload.chunk
                    mayHaveUnrecordedUpload = upload.mayHaveUnrecordedUpload || upload.sentUnrecordedCreate
                }
                if let error = error as? SpoolError, error.code == .corrupt {
                    logger.error("cannot read \(chunk): \(error); moving it to quarantine/")
                    await abandon(chunk, key: key, lookForUnrecorded: mayHaveUnrecordedUpload)
                    await buffer.quarantine(chunk.id, reason: error)
                    return
                }
                if let error = error as? ChunkUpload.PartsDiffer {
                    logger.warning("\(key): \(error); aborting its multipart upload and starting again")
                    await abandon(chunk, key: key, lookForUnrecorded: false)
                    if let latest = await buffer.pendingChunks().first(where: { $0.id == chunk.id }) { chunk = latest }
                }
                failures += 1
                let since = firstFailure ?? .now
                firstFailure = since
                Counter(label: MetricName.uploadFailures, dimensions: [("output", settings.name)]).increment()
                guard !pastShutdownDeadline else {
                    logger.error("giving up on \(key) for this run: \(error); the chunk stays in the buffer for the next start")
                    await buffer.release(chunk.id)
                    return
                }
                if settings.retry.givesUp(afterFailures: failures, failingFor: since.duration(to: .now)) {
                    await abandon(chunk, key: key, lookForUnrecorded: mayHaveUnrecordedUpload)
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

    /// Aborts the chunk's multipart upload, if it has one (and, when `lookForUnrecorded`, any upload
    /// to its key an attempt created without recording it), so no parts linger in the bucket. What
    /// cannot be aborted now is kept by the buffer when the chunk leaves it, and aborted later.
    private func abandon(_ chunk: SealedChunk, key: String, lookForUnrecorded: Bool) async {
        var upload = ChunkUpload(
            chunk: chunk, key: chunk.objectKey ?? key, settings: settings, buffer: buffer, store: store, logger: logger,
            mayHaveUnrecordedUpload: lookForUnrecorded
        )
        do {
            try await upload.abortUnrecordedUploads()
            try await upload.abandonUpload()
        } catch {
            logger.warning("cannot abort multipart upload \(chunk.multipart?.uploadID ?? "-") of \(chunk.objectKey ?? key) now: \(error); it is tried again later")
        }
    }

    /// Aborts the multipart uploads of chunks that left the buffer (given up, dropped, quarantined),
    /// at start and every `interval`, until each is gone.
    private func abortAbandonedUploads(every interval: Duration) async {
        while !Task.isCancelled {
            for upload in await buffer.abandonedUploads() {
                do {
                    try await store.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID, logger: logger)
                    await buffer.forgetAbandonedUpload(upload)
                    logger.info("aborted multipart upload \(upload.uploadID) of \(upload.key), left by a chunk no longer in the buffer")
                } catch {
                    logger.warning("cannot abort multipart upload \(upload.uploadID) of \(upload.key) yet: \(error); trying again in \(interval)")
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    static let chunkIDMetadata = ChunkUpload.chunkIDMetadata

    /// What to check for an error that retrying cannot fix.
    static func hint(for error: S3Error?) -> String {
        guard let error else { return "" }
        switch error.code {
        case .accessDenied: return " (check that the credentials may s3:PutObject on the bucket, and the bucket policy)"
        case .noSuchBucket: return " (check s3_bucket and s3_region, or set auto_create_bucket true)"
        case .signatureMismatch, .invalidCredentials: return " (check aws_key_id / aws_sec_key or the credentials in the environment)"
        case .wrongRegion: return " (check s3_region)"
        default: return ""
        }
    }

    /// Sleeps `duration`, but no further than the shutdown deadline once shutdown has begun.
    private func pause(_ duration: Duration) async {
        let until = ContinuousClock.now + duration
        while ContinuousClock.now < until && !pastShutdownDeadline {
            try? await Task.sleep(for: min(.milliseconds(250), ContinuousClock.now.duration(to: until)))
        }
    }
}
