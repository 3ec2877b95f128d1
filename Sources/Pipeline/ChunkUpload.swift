import Codec
import Crypto
import Logging
import Metrics
import NIOCore
import S3
import Spool

/// A chunk's object, compressed as it is read from the buffer and cut into parts of exactly
/// `partSize` bytes (the last one shorter): at most one part and one compressed block in memory.
///
/// Compression is deterministic, so cutting the same chunk again yields the same parts; a resumed
/// upload checks that against the lengths and MD5s recorded for the parts already sent.
struct PartCutter: ~Copyable {
    let partSize: Int
    private var reader: ChunkReader
    private let compressor: (any StreamCompressor)?
    private var current = ByteBuffer()
    private var output: [UInt8] = []
    /// The block read last, its storage reused for the next.
    private var block: [UInt8] = []
    /// Compressed bytes past the end of the part being filled.
    private var overflow: ArraySlice<UInt8> = []
    private var readerFinished = false
    /// Whether everything was handed out: the last part was returned.
    private(set) var atEnd = false

    init(_ chunk: SealedChunk, storeAs: StoreAs, level: Int?, partSize: Int, fileSystem: any SpoolFileSystem) throws {
        self.partSize = partSize
        self.reader = ChunkReader(chunk, fileSystem: fileSystem)
        self.compressor = try storeAs.makeCompressor(level: level)
    }

    /// The next part, or nil after the last.
    mutating func next() async throws -> ByteBuffer? {
        guard !atEnd else { return nil }
        current = ByteBuffer()
        current.reserveCapacity(partSize)
        takeOverflow()
        while current.readableBytes < partSize && !readerFinished {
            output.removeAll(keepingCapacity: true)
            if try reader.next(into: &block) {
                guard let compressor else {
                    overflow = block[...]
                    takeOverflow()
                    continue
                }
                try compressor.compress(block, into: &output)
                // Compression is CPU-bound: let other tasks (parsers, receivers) run between blocks.
                await Task.yield()
            } else {
                readerFinished = true
                try compressor?.finish(into: &output)
            }
            overflow = output[...]
            takeOverflow()
        }
        if readerFinished && overflow.isEmpty { atEnd = true }
        guard current.readableBytes > 0 || !atEnd else { return nil }
        return current
    }

    /// Moves what fits of `overflow` into the part being filled.
    private mutating func takeOverflow() {
        let count = min(overflow.count, partSize - current.readableBytes)
        guard count > 0 else { return }
        current.writeBytes(overflow.prefix(count))
        overflow = overflow.dropFirst(count)
        if overflow.isEmpty { overflow = [] }
    }
}

/// What uploading a chunk's object came to.
enum ChunkUploadOutcome {
    /// The object is in the bucket: `bytes` in `parts` parts (0 for a single PUT); `resumed` when
    /// parts sent by an earlier attempt were kept.
    case stored(bytes: Int, parts: Int, resumedParts: Int)
    /// The bucket held the object already, with this chunk's id: an earlier attempt stored it.
    case alreadyStored
    /// The key holds another writer's object; the chunk now has the next `%{index}`.
    case reindexed(SealedChunk)
}

/// Uploads one sealed chunk under its recorded key: by PutObject when its compressed object fits in
/// one part, else by a multipart upload with at most `concurrency` parts in flight, every step
/// recorded in the buffer's journal so that a later attempt, in this run or after a restart, resumes
/// with the parts still missing.
struct ChunkUpload {
    static let chunkIDMetadata = "sluice-chunk-id"
    static let recordCountMetadata = "sluice-records"
    /// S3's limit.
    static let maximumParts = 10_000

    var chunk: SealedChunk
    let key: String
    let settings: S3OutputSettings
    let buffer: PartitionBuffer
    let store: any ObjectStore
    let logger: Logger
    /// Whether an earlier attempt may have created an upload it never recorded (its
    /// CreateMultipartUpload answer lost): such uploads are looked for and aborted before this attempt
    /// stores the object another way or creates a new one.
    var mayHaveUnrecordedUpload: Bool
    /// Set while a CreateMultipartUpload was sent whose upload id is not recorded yet.
    private(set) var sentUnrecordedCreate = false

    /// A recorded upload whose parts, cut again, differ from what was sent (another zlib, say).
    struct PartsDiffer: Error, CustomStringConvertible {
        var part: Int
        var description: String { "part \(part), cut again, differs from the part sent before" }
    }

    mutating func run() async throws -> ChunkUploadOutcome {
        var resumable: [Int: FinishedPart] = [:]
        var heldETags: [Int: Set<String>] = [:]
        if let multipart = chunk.multipart {
            let held: [UploadedPart]?
            do {
                held = try await store.listParts(key: key, uploadID: multipart.uploadID, logger: logger)
            } catch let error as S3Error where error.code == .accessDenied {
                // Without s3:ListMultipartUploadParts the recorded parts are trusted; Complete tells
                // if the upload is gone.
                logger.warning("cannot list the parts of upload \(multipart.uploadID) of \(key) (\(error)); relying on the \(multipart.parts.count) parts recorded")
                held = multipart.parts.map { UploadedPart(number: $0.key, etag: $0.value.etag) }
            }
            guard let held else {
                // Completed (its answer lost), aborted, or expired by a lifecycle rule.
                return try await restartGoneUpload(multipart)
            }
            // Some servers list a part sent twice twice, or with its older ETag: a part counts as held
            // only when a listed ETag is the one recorded for it.
            // ETags are compared without their quotes, which some servers leave out of listings.
            heldETags = Dictionary(grouping: held, by: \.number).mapValues { Set($0.map { Self.unquoted($0.etag) }) }
            resumable = multipart.parts.filter { heldETags[$0.key]?.contains(Self.unquoted($0.value.etag)) == true }
        } else if settings.checkObject, let existing = try await store.headObject(key: key, logger: logger) {
            if existing.metadata[Self.chunkIDMetadata] == chunk.id.hex { return .alreadyStored }
            // Another writer (another host, td-agent, an earlier buffer) has this key: as Fluentd
            // does, take the next index, recorded in the chunk so retries keep it.
            try await abortUnrecordedUploads()
            return .reindexed(try await buffer.reindex(chunk.id))
        }

        var cutter = try PartCutter(
            chunk, storeAs: settings.storeAs, level: settings.compressionLevel,
            partSize: chunk.multipart?.partSize ?? partSize(for: chunk), fileSystem: settings.spool.fileSystem
        )
        guard var first = try await cutter.next() else {
            throw SpoolError(code: .corrupt, detail: "\(chunk) has no records to upload")
        }
        if chunk.multipart == nil && cutter.atEnd {
            try await abortUnrecordedUploads()
            _ = try await store.putObject(putRequest(body: first), logger: logger)
            return .stored(bytes: first.readableBytes, parts: 0, resumedParts: 0)
        }
        if chunk.multipart == nil {
            try await abortUnrecordedUploads()
            sentUnrecordedCreate = true
            let uploadID = try await store.createMultipartUpload(multipartRequest, logger: logger)
            do {
                chunk = try await buffer.recordMultipart(chunk.id, uploadID: uploadID, partSize: cutter.partSize)
                sentUnrecordedCreate = false
            } catch {
                if (try? await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)) != nil {
                    sentUnrecordedCreate = false
                }
                throw error
            }
            logger.debug("started multipart upload \(uploadID) of \(key)")
        }
        let multipart = chunk.multipart!
        // Handed over, so the first part is not held in memory for the whole upload.
        let (parts, bytes) = try await uploadParts(
            startingWith: &first, from: &cutter, uploadID: multipart.uploadID, resumable: resumable, held: heldETags
        )
        do {
            try await store.completeMultipartUpload(key: key, uploadID: multipart.uploadID, parts: parts, logger: logger)
        } catch let error as S3Error where error.code == .invalidPart {
            logger.warning("\(key): the bucket does not hold the parts of upload \(multipart.uploadID) as recorded (\(error)); aborting it and starting again")
            try await abandonUpload()
            throw error
        } catch let error as S3Error where error.code == .noSuchUpload {
            return try await restartGoneUpload(multipart)
        }
        return .stored(bytes: bytes, parts: parts.count, resumedParts: resumable.count)
    }

    /// The recorded upload no longer exists: its object is this chunk's (a CompleteMultipartUpload
    /// whose answer was lost), or the upload was aborted or expired and a new attempt starts.
    private mutating func restartGoneUpload(_ multipart: MultipartProgress) async throws -> ChunkUploadOutcome {
        if try await holdsThisChunk() { return .alreadyStored }
        logger.warning("multipart upload \(multipart.uploadID) of \(key) no longer exists; starting a new one")
        // In case "no such upload" came from something in between, not from S3: a second abort is harmless.
        try? await store.abortMultipartUpload(key: key, uploadID: multipart.uploadID, logger: logger)
        chunk = try await buffer.forgetMultipart(chunk.id)
        return try await run()
    }

    /// `upload_part_size`, or more when the chunk could otherwise need more than S3's 10,000 parts
    /// (compressed objects are at most about 1% larger than their records).
    private func partSize(for chunk: SealedChunk) -> Int {
        max(settings.partSize, (chunk.recordBytes + chunk.recordBytes / 50) / 9_000 + 1)
    }

    /// Sends the parts the bucket does not hold yet, `settings.uploadConcurrency` at a time, recording
    /// each one acknowledged. Returns every part, in order, and the object's size.
    ///
    /// A part is held when it was recorded and the bucket lists it with the recorded ETag, or when the
    /// bucket lists it with the MD5 of the part cut now as its ETag (sent by an attempt that stopped
    /// before recording it; S3's part ETags are their MD5, except with SSE-KMS, where it is sent again).
    private func uploadParts(
        startingWith first: inout ByteBuffer, from cutter: inout PartCutter, uploadID: String,
        resumable: [Int: FinishedPart], held: [Int: Set<String>]
    ) async throws -> ([UploadedPart], Int) {
        var parts: [UploadedPart] = []
        var bytes = 0
        let partsMetric = Counter(label: MetricName.uploadedParts, dimensions: [("output", settings.name)])
        // A failed part stops new ones, but those in flight finish and are recorded: the next attempt
        // then sends only what the bucket lacks.
        var failure: (any Error)?
        try await withThrowingTaskGroup(of: (Int, Result<FinishedPart, any Error>).self) { group in
            var inFlight = 0
            func finishOne() async throws {
                guard let (number, result) = try await group.next() else { return }
                inFlight -= 1
                switch result {
                case .success(let part):
                    try await buffer.recordPart(chunk.id, number: number, part)
                    parts.append(UploadedPart(number: number, etag: part.etag))
                    partsMetric.increment()
                case .failure(let error):
                    failure = failure ?? error
                }
            }
            var number = 0
            var next: ByteBuffer? = first
            first = ByteBuffer()
            while let body = next, failure == nil {
                next = nil
                number += 1
                guard number <= Self.maximumParts else {
                    throw S3Error(code: .invalidRequest, message: "\(key) needs more than \(Self.maximumParts) parts; raise upload_part_size")
                }
                bytes += body.readableBytes
                let md5 = Array(Insecure.MD5.hash(data: body.readableBytesView))
                if let done = resumable[number] {
                    guard done.length == body.readableBytes, done.md5 == md5 else { throw PartsDiffer(part: number) }
                    parts.append(UploadedPart(number: number, etag: done.etag))
                } else if held[number]?.contains(SigV4Encoding.hex(md5)) == true {
                    let etag = "\"\(SigV4Encoding.hex(md5))\""
                    try await buffer.recordPart(chunk.id, number: number, FinishedPart(etag: etag, length: body.readableBytes, md5: md5))
                    parts.append(UploadedPart(number: number, etag: etag))
                } else {
                    if inFlight >= settings.uploadConcurrency { try await finishOne() }
                    let (store, key, logger, partNumber) = (store, key, logger, number)
                    group.addTask {
                        do {
                            let etag = try await store.uploadPart(
                                key: key, uploadID: uploadID, partNumber: partNumber, body: body, md5: md5, logger: logger
                            )
                            return (partNumber, .success(FinishedPart(etag: etag, length: body.readableBytes, md5: md5)))
                        } catch {
                            return (partNumber, .failure(error))
                        }
                    }
                    inFlight += 1
                }
                next = failure == nil ? try await cutter.next() : nil
            }
            while inFlight > 0 { try await finishOne() }
        }
        if let failure { throw failure }
        return (parts.sorted { $0.number < $1.number }, bytes)
    }

    static func unquoted(_ etag: String) -> String {
        etag.count >= 2 && etag.hasPrefix("\"") && etag.hasSuffix("\"") ? String(etag.dropFirst().dropLast()) : etag
    }

    /// Whether the key holds this chunk's object (its metadata names the chunk).
    private func holdsThisChunk() async throws -> Bool {
        try await store.headObject(key: key, logger: logger)?.metadata[Self.chunkIDMetadata] == chunk.id.hex
    }

    /// Aborts the chunk's recorded upload and records it abandoned.
    mutating func abandonUpload() async throws {
        guard let multipart = chunk.multipart else { return }
        try await store.abortMultipartUpload(key: key, uploadID: multipart.uploadID, logger: logger)
        chunk = try await buffer.forgetMultipart(chunk.id)
    }

    /// Aborts uploads to the key that no journal entry names: created by an attempt whose answer was lost.
    mutating func abortUnrecordedUploads() async throws {
        guard mayHaveUnrecordedUpload else { return }
        let found: [String]
        do {
            found = try await store.listMultipartUploads(key: key, logger: logger)
        } catch let error as S3Error where error.code == .accessDenied {
            logger.warning("cannot look for unfinished uploads of \(key) left by an earlier attempt (\(error)); a lifecycle rule (AbortIncompleteMultipartUpload) will have to remove them")
            mayHaveUnrecordedUpload = false
            return
        }
        for uploadID in found where uploadID != chunk.multipart?.uploadID {
            logger.info("aborting unfinished multipart upload \(uploadID) of \(key) left by an earlier attempt")
            try await store.abortMultipartUpload(key: key, uploadID: uploadID, logger: logger)
        }
        mayHaveUnrecordedUpload = false
    }

    private var metadata: [String: String] {
        [Self.chunkIDMetadata: chunk.id.hex, Self.recordCountMetadata: String(chunk.recordCount)]
    }

    private func putRequest(body: ByteBuffer) -> PutObjectRequest {
        var request = PutObjectRequest(key: key, body: body, contentType: settings.storeAs.contentType, metadata: metadata)
        request.headers = settings.objectHeaders
        return request
    }

    private var multipartRequest: MultipartUploadRequest {
        MultipartUploadRequest(key: key, contentType: settings.storeAs.contentType, metadata: metadata, headers: settings.objectHeaders)
    }
}
