import Codec
import Ingest
import Logging
import Metrics
import NIOCore
import S3
import Spool
import Synchronization

/// A compressed object ready to go: the chunk it came from and its bytes.
struct CompressedObject: Sendable {
    var chunk: SealedChunk
    var key: String
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
    var retry: RetryPolicy
    /// How long a graceful shutdown keeps retrying failed uploads before leaving them for the next start.
    var shutdownUploadTimeout: Duration = .seconds(60)
}

/// One `<match>` with `@type s3`: the partition buffer, the compressor and the uploader, each a task,
/// joined by bounded queues. Records come in through `records`; a full buffer (disk trouble) or a slow
/// uploader holds the parser workers back, and they in turn the receivers.
final class S3Output: PipelineOutput {
    let settings: S3OutputSettings
    let records = BoundedQueue<EncodedBatch>(.watermark(low: 4, high: 16))
    private let sealed = BoundedQueue<SealedChunk>(.watermark(low: 1, high: 8))
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
    }

    /// Seals every open chunk now so it is uploaded (SIGUSR1).
    func flush() async {
        do {
            let chunks = try await buffer.sealAll()
            logger.info("flushing \(chunks.count) buffered chunks")
            for chunk in chunks { try await sealed.send(chunk) }
        } catch {
            logger.error("flush failed: \(error)")
        }
    }

    // MARK: - Buffer stage

    private func runBuffer() async {
        for chunk in await buffer.pendingChunks() {
            try? await sealed.send(chunk)
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sealExpiredChunks() }
            var failures = 0
            while let batch = await records.next() {
                // Disk trouble (full, read-only) blocks here, and so holds back senders: the batch is kept
                // and retried, never dropped.
                while true {
                    do {
                        let full = try await buffer.append(batch)
                        for chunk in full { try? await sealed.send(chunk) }
                        Counter(label: MetricName.bufferedRecords, dimensions: [("output", settings.name)])
                            .increment(by: batch.recordCount)
                        if failures > 0 { logger.info("buffer writes succeed again") }
                        failures = 0
                        break
                    } catch {
                        failures += 1
                        if failures == 1 { logger.error("cannot write to buffer \(settings.spool.directory): \(error); holding input until it can") }
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
        sealed.finish()
    }

    private func sealExpiredChunks() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled else { return }
            do {
                for chunk in try await buffer.sealExpired(now: wallClockSeconds()) {
                    try await sealed.send(chunk)
                }
            } catch {
                logger.error("sealing chunks failed: \(error)")
            }
        }
    }

    // MARK: - Compressor stage

    private func runCompressor() async {
        while let chunk = await sealed.next() {
            do {
                let body = try await compress(chunk)
                let key = settings.keyTemplate.key(for: chunk)
                try await compressed.send(CompressedObject(chunk: chunk, key: key, body: body))
            } catch {
                // The chunk stays sealed on disk and is tried again at the next start.
                logger.error("cannot compress \(chunk): \(error)")
            }
        }
        compressed.finish()
    }

    private func compress(_ chunk: SealedChunk) async throws -> ByteBuffer {
        let compressor = try settings.storeAs.makeCompressor(level: settings.compressionLevel)
        var reader = try ChunkReader(chunk)
        var output: [UInt8] = []
        output.reserveCapacity(compressor == nil ? chunk.bodyLength : chunk.bodyLength / 6)
        while let block = try reader.next() {
            if let compressor {
                try compressor.compress(block, into: &output)
                // Compression is CPU-bound: let other tasks (parsers, receivers) run between blocks.
                await Task.yield()
            } else {
                output.append(contentsOf: block)
            }
        }
        try compressor?.finish(into: &output)
        return ByteBuffer(bytes: output)
    }

    // MARK: - Uploader stage

    private func runUploader() async {
        while let object = await compressed.next() {
            await upload(object)
        }
    }

    private func upload(_ object: CompressedObject) async {
        let request = PutObjectRequest(
            key: object.key,
            body: object.body,
            contentType: settings.storeAs.contentType,
            metadata: ["sluice-chunk-id": object.chunk.id.hex, "sluice-records": String(object.chunk.recordCount)]
        )
        var failures = 0
        while true {
            do {
                _ = try await store.putObject(request, logger: logger)
                try await buffer.commit(object.chunk.id)
                Counter(label: MetricName.uploadedObjects, dimensions: [("output", settings.name)]).increment()
                Counter(label: MetricName.uploadedBytes, dimensions: [("output", settings.name)])
                    .increment(by: object.body.readableBytes)
                logger.info("uploaded \(object.key) (\(object.chunk.recordCount) records, \(object.body.readableBytes) bytes)")
                return
            } catch {
                failures += 1
                Counter(label: MetricName.uploadFailures, dimensions: [("output", settings.name)]).increment()
                if let since = shuttingDownSince.withLock({ $0 }), since.duration(to: .now) > settings.shutdownUploadTimeout {
                    logger.error("giving up on \(object.key) for this run: \(error); the chunk stays in the buffer for the next start")
                    return
                }
                let wait = settings.retry.wait(afterFailures: failures)
                logger.warning("failed to upload \(object.key) (attempt \(failures)): \(error); retrying in \(wait)")
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Marks the start of shutdown: from now on, failing uploads are retried only for a while.
    func beginShutdown() {
        shuttingDownSince.withLock { $0 = $0 ?? .now }
    }
}

func wallClockSeconds() -> Int64 {
    wallClockNanoseconds() / 1_000_000_000
}
