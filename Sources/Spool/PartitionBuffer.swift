import CivilTime
import Logging

/// The partition buffer: a write-ahead log of segment files under the buffer path, one open chunk per
/// (tag, time slice).
///
/// Each batch's records go to their partition's chunk as one checksummed frame per partition, written
/// to a segment file and synced per the `DurabilityPolicy`; sealed segments are read back through a
/// memory mapping. A chunk is sealed when
/// the next records would take it past `chunkLimitSize`, when its slice's `timekey + timekey_wait` has
/// passed (or, without a time key, when it is `flushInterval` old), or on demand (SIGUSR1, shutdown).
/// The chunk journal records every chunk's opening, sealing and commit, so a restart resumes exactly
/// where the last run stopped: see `recover()`.
public actor PartitionBuffer {
    public let configuration: SpoolConfiguration
    let logger: Logger
    let fileSystem: any SpoolFileSystem
    var journal: ChunkJournal
    var open: [PartitionKey: OpenChunk] = [:]
    /// Sealed chunks not yet committed, by id.
    var sealed: [ChunkID: SealedChunk] = [:]
    /// Sealed chunks given to the uploader and not yet committed or released.
    private var handedOut: Set<ChunkID> = []
    /// Record bytes on disk, open and sealed, kept as they change: read for every batch. Whatever
    /// frees bytes (a commit, a drop, a failed chunk set aside) wakes who waits for room.
    var bufferedBytes = 0 {
        didSet {
            if bufferedBytes < oldValue, !roomWaiters.isEmpty { wakeRoomWaiters() }
        }
    }
    /// Who waits for the buffer to hold fewer bytes than their limit (`overflow_action block`).
    private var roomWaiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []

    // Durability: batches appended, and how many of them are synced as the policy wants.
    private var appendedBatches: UInt64 = 0
    private var durableBatches: UInt64 = 0
    private var durabilityWaiters: [(batch: UInt64, action: @Sendable () -> Void)] = []
    /// What recovery found of the receipts in the log, for receivers that recognise resent messages.
    public internal(set) var recoveredReceipts = RecoveredReceipts()
    /// Segments with frames written but not synced (interval and none policies).
    var unsynced: [ObjectIdentifier: FrameWriter] = [:]
    private var syncTask: Task<Void, Never>?
    private var promptSyncScheduled = false
    private var syncFailing = false

    final class OpenChunk {
        let id: ChunkID
        let key: PartitionKey
        let index: Int
        let createdAt: Int64
        var segments: [String]
        var writer: FrameWriter
        /// The number the next segment gets: one above the highest ever used (some may be quarantined).
        var nextSegmentNumber = 1
        var recordBytes = 0
        var recordCount = 0

        init(id: ChunkID, key: PartitionKey, index: Int, createdAt: Int64, segments: [String], writer: FrameWriter) {
            self.id = id
            self.key = key
            self.index = index
            self.createdAt = createdAt
            self.segments = segments
            self.writer = writer
        }
    }

    /// File I/O runs on a thread of its own (`SpoolExecutor`), off the cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        SpoolExecutor.shared.asUnownedSerialExecutor()
    }

    public init(configuration: SpoolConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        self.fileSystem = configuration.fileSystem
        try fileSystem.makeDirectory(configuration.directory)
        self.journal = try Self.openJournal(configuration: configuration, logger: logger)
        try recover()
    }

    deinit {
        // The files close themselves as they are released.
        syncTask?.cancel()
    }

    /// Syncs what is pending and closes the files; the buffer is not used afterwards.
    public func close() {
        syncTask?.cancel()
        syncTask = nil
        syncPending()
        unsynced.removeAll()
        for chunk in open.values { chunk.writer.file.close() }
        open.removeAll()
        journal.close()
    }

    // MARK: - Appending

    /// Appends every part of `batch` to its partition's chunk; returns the chunks this sealed because
    /// they were full.
    ///
    /// On failure (disk full, I/O error) it throws `AppendFailure`, which says what was not written and
    /// which chunks were sealed before it, so the caller retries exactly the rest: nothing is written twice.
    public func append(_ batch: EncodedBatch) throws(AppendFailure) -> [SealedChunk] {
        var sealedNow: [SealedChunk] = []
        // In partition order, so chunks (and their %{index}) are created in an order that does not
        // depend on dictionary iteration.
        let keys = batch.parts.keys.sorted(by: Self.order)
        for (position, key) in keys.enumerated() {
            let part = batch.parts[key]!
            var written = 0
            do {
                try append(part, to: key, chunkLimit: configuration.chunkLimitSize, written: &written, sealed: &sealedNow)
            } catch {
                var remaining = EncodedBatch()
                var rest = EncodedBatch.Part(lines: Array(part.lines[written...]))
                rest.earliest = part.earliest
                rest.latest = part.latest
                remaining.parts[key] = rest
                for later in keys[(position + 1)...] {
                    remaining.parts[later] = batch.parts[later]
                }
                remaining.receipt = batch.receipt
                let underlying = error as? SpoolError ?? SpoolError(code: .io, detail: "\(error)")
                throw AppendFailure(underlying: underlying, remaining: remaining, sealed: sealedNow)
            }
        }
        if let receipt = batch.receipt, let last = keys.last {
            append(receipt, besides: last)
        }
        appendedBatches += 1
        switch configuration.durability {
        case .everyBatch, .operatingSystem:
            durableBatches = appendedBatches
        case .interval(let interval):
            startSyncTask(every: interval)
        }
        return sealedNow
    }

    /// Appends whole records of `part` from `written` on, advancing `written` past what is in the log.
    func append(
        _ part: EncodedBatch.Part, to key: PartitionKey, chunkLimit: Int, written: inout Int, sealed: inout [SealedChunk]
    ) throws {
        let headLength = BatchHeader.fixedLength + key.tag.utf8.count
        try part.lines.withUnsafeBytes { lines in
            while written < lines.count {
                let rest = lines[written...]
                let chunk = try openChunk(for: key)
                let first = Self.firstRecordLength(rest)
                if chunk.recordCount > 0 && chunk.recordBytes + first > chunkLimit {
                    if let full = try seal(key) { sealed.append(full) }
                    continue
                }
                if first > chunk.writer.room - headLength {
                    try startSegment(of: chunk, fitting: headLength + first)
                    continue
                }
                let room = min(max(chunkLimit - chunk.recordBytes, first), chunk.writer.room - headLength)
                let take = Self.prefixLength(of: rest, fitting: room)
                let body = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
                // The whole part in one frame (the usual case): its count is known, no need to scan.
                let records = take == lines.count ? part.recordCount : lineCount(body)
                let head = BatchHeader(
                    tag: key.tag, recordCount: records, timeSlice: key.timeSlice,
                    earliest: part.earliest == .max ? 0 : part.earliest,
                    latest: part.latest == .min ? 0 : part.latest
                )
                try chunk.writer.append(head: head.encoded(), body: body)
                if case .everyBatch = configuration.durability {
                    do {
                        try chunk.writer.sync()
                    } catch {
                        chunk.writer.rollBack()
                        throw error
                    }
                } else {
                    unsynced[ObjectIdentifier(chunk.writer)] = chunk.writer
                }
                chunk.recordBytes += take
                chunk.recordCount += records
                bufferedBytes += take
                written += take
            }
        }
    }

    /// Writes a batch's receipt after its records, in the chunk of its last partition. A receipt that
    /// cannot be written is only logged: its records are in, and the cost is that a sender's resend after a
    /// crash is not recognised.
    private func append(_ receipt: DeliveryReceipt, besides key: PartitionKey) {
        do {
            let chunk = try openChunk(for: key)
            let payload = receipt.encoded()
            if payload.count > chunk.writer.room {
                try startSegment(of: chunk, fitting: payload.count)
            }
            try payload.withUnsafeBytes { try chunk.writer.append(head: [], body: $0) }
            if case .everyBatch = configuration.durability {
                try chunk.writer.sync()
            } else {
                unsynced[ObjectIdentifier(chunk.writer)] = chunk.writer
            }
        } catch {
            logger.warning("cannot write the receipt of a batch from \(receipt.sender) to the buffer: \(error); after a crash its resent messages may be stored twice")
        }
    }

    /// The bytes of the first record in `lines`, its LF included (all of them when there is no LF).
    private static func firstRecordLength(_ lines: Slice<UnsafeRawBufferPointer>) -> Int {
        guard let newline = lines.firstIndex(of: UInt8(ascii: "\n")) else { return lines.count }
        return newline + 1 - lines.startIndex
    }

    /// How many leading bytes of `lines` to write: whole records only, at most `room` bytes. The
    /// caller made sure the first record fits.
    private static func prefixLength(of lines: Slice<UnsafeRawBufferPointer>, fitting room: Int) -> Int {
        if lines.count <= room { return lines.count }
        var end = lines.startIndex
        let limit = lines.startIndex + room
        var index = lines.startIndex
        while index < limit {
            if lines[index] == UInt8(ascii: "\n") { end = index + 1 }
            index += 1
        }
        return end - lines.startIndex
    }

    private func openChunk(for key: PartitionKey) throws -> OpenChunk {
        if let chunk = open[key] { return chunk }
        let id = ChunkID.random()
        let createdAt = WallClock.nanoseconds()
        // The segment first: while the disk is full this fails without using up an index. A segment
        // whose opening never reached the journal holds no frames, and recovery deletes it.
        let writer = try createSegment(chunk: id, number: 0, capacity: configuration.segmentSize)
        let index: Int
        do {
            index = try journal.open(id, key: key, createdAt: createdAt)
        } catch {
            writer.file.close()
            try? fileSystem.remove(writer.path)
            throw error
        }
        let chunk = OpenChunk(id: id, key: key, index: index, createdAt: createdAt, segments: [writer.path], writer: writer)
        open[key] = chunk
        logger.debug("opened chunk", metadata: ["chunk_id": "\(id)", "tag": "\(key.tag)", "index": "\(index)"])
        return chunk
    }

    /// Continues `chunk` in a new segment big enough for a frame of `frameLength` payload bytes.
    private func startSegment(of chunk: OpenChunk, fitting frameLength: Int) throws {
        let previous = chunk.writer
        try previous.sync()
        let capacity = max(configuration.segmentSize, SegmentHeader.length + Frame.headerLength + frameLength)
        let writer = try createSegment(chunk: chunk.id, number: chunk.nextSegmentNumber, capacity: capacity)
        chunk.nextSegmentNumber += 1
        unsynced.removeValue(forKey: ObjectIdentifier(previous))
        previous.file.close()
        chunk.writer = writer
        chunk.segments.append(writer.path)
    }

    func createSegment(chunk: ChunkID, number: Int, capacity: Int) throws -> FrameWriter {
        let path = configuration.directory + "/" + SegmentHeader.fileName(chunk: chunk, number: number)
        let file = try fileSystem.create(path, capacity: capacity)
        do {
            let header = SegmentHeader(chunkID: chunk, number: number, createdAt: WallClock.nanoseconds(), capacity: capacity)
            try file.grow(to: FrameWriter.grownSize(current: 0, needed: SegmentHeader.length, capacity: capacity))
            try file.write(header.encoded(), at: 0)
            try fileSystem.syncDirectory(configuration.directory)
        } catch {
            file.close()
            try? fileSystem.remove(path)
            throw error
        }
        return FrameWriter(file: file, end: SegmentHeader.length, capacity: capacity, synced: false)
    }

    // MARK: - Durability

    /// Returns once everything appended before the call is durable as the policy defines it: the
    /// point where a sender may be told its records are accepted.
    public func waitUntilDurable() async {
        guard durableBatches < appendedBatches else { return }
        await withCheckedContinuation { continuation in
            whenDurable { continuation.resume() }
        }
    }

    /// Runs `action` once everything appended before the call is durable: at once when it already is.
    ///
    /// Someone waiting (a RELP sender wants its answer) brings the next group commit forward to as soon
    /// as the actor is free: the appends that arrive meanwhile are synced together all the same.
    public func whenDurable(_ action: @escaping @Sendable () -> Void) {
        let target = appendedBatches
        guard durableBatches < target else { return action() }
        durabilityWaiters.append((target, action))
        guard !promptSyncScheduled else { return }
        promptSyncScheduled = true
        Task { [weak self] in
            await Task.yield()
            await self?.promptSync()
        }
    }

    private func promptSync() {
        promptSyncScheduled = false
        syncPending()
    }

    /// Syncs every segment written since the last sync (the interval policy's group commit).
    public func syncPending() {
        let target = appendedBatches
        var failed = false
        for (id, writer) in unsynced {
            do {
                try writer.sync()
                unsynced.removeValue(forKey: id)
            } catch {
                failed = true
                if !syncFailing {
                    logger.error("cannot sync buffer segment \(writer.path): \(error); records appended since the last sync are not accepted until it succeeds")
                }
            }
        }
        if failed {
            syncFailing = true
            return
        }
        if syncFailing {
            logger.info("buffer syncs succeed again")
            syncFailing = false
        }
        durableBatches = target
        let ready = durabilityWaiters.filter { $0.batch <= target }
        durabilityWaiters.removeAll { $0.batch <= target }
        for waiter in ready { waiter.action() }
    }

    private func startSyncTask(every interval: Duration) {
        guard syncTask == nil else { return }
        syncTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                await self.syncPending()
            }
        }
    }

    // MARK: - Sealing

    /// Seals the chunks whose time is up at `now` (Unix seconds). A chunk that cannot be sealed (its
    /// sync fails) is logged and stays open, to be tried again.
    public func sealExpired(now: Int64) -> [SealedChunk] {
        let due = open.filter { key, chunk in
            if configuration.timekey > 0 {
                return key.timeSlice + configuration.timekey + configuration.timekeyWait <= now
            }
            return chunk.createdAt / 1_000_000_000 + configuration.flushInterval <= now
        }
        return sealEach(due.keys.sorted(by: Self.order))
    }

    /// Seals every open chunk (SIGUSR1, or shutdown with `flush_at_shutdown`).
    public func sealAll() -> [SealedChunk] {
        sealEach(open.keys.sorted(by: Self.order))
    }

    private func sealEach(_ keys: [PartitionKey]) -> [SealedChunk] {
        var result: [SealedChunk] = []
        for key in keys {
            do {
                if let chunk = try seal(key) { result.append(chunk) }
            } catch {
                logger.error("cannot seal the chunk of \(key): \(error); it stays open and is tried again")
            }
        }
        return result
    }

    /// Seals the open chunk of `key`: its segments synced, then `sealed` in the journal. A chunk with
    /// no records is discarded instead (nil).
    func seal(_ key: PartitionKey) throws -> SealedChunk? {
        guard let chunk = open[key] else { return nil }
        try chunk.writer.sync()
        guard chunk.recordCount > 0 else {
            unsynced.removeValue(forKey: ObjectIdentifier(chunk.writer))
            try discard(chunk.id, segments: chunk.segments)
            chunk.writer.file.close()
            open.removeValue(forKey: key)
            return nil
        }
        let seal = JournaledChunk.Seal(segmentCount: chunk.segments.count, recordCount: chunk.recordCount, recordBytes: chunk.recordBytes)
        try journal.record(.sealed(chunk.id, seal))
        unsynced.removeValue(forKey: ObjectIdentifier(chunk.writer))
        chunk.writer.file.close()
        open.removeValue(forKey: key)
        let result = SealedChunk(
            id: chunk.id, key: key, index: chunk.index, segments: chunk.segments,
            recordBytes: chunk.recordBytes, recordCount: chunk.recordCount, createdAt: chunk.createdAt
        )
        sealed[result.id] = result
        logger.debug("sealed \(result)")
        return result
    }

    /// Sealed chunks not yet committed, oldest first: after a restart these are uploaded first.
    public func pendingChunks() -> [SealedChunk] {
        sealed.values.sorted(by: Self.oldestFirst)
    }

    // MARK: - Handing chunks to the uploader

    /// The oldest sealed chunk not yet handed out, now handed out; nil when there is none. Sealed chunks
    /// wait here, on disk, however many there are: the buffer never waits for the uploader.
    public func takeSealed() -> SealedChunk? {
        guard let chunk = sealed.values.filter({ !handedOut.contains($0.id) }).min(by: Self.oldestFirst) else {
            return nil
        }
        handedOut.insert(chunk.id)
        return chunk
    }

    /// The uploader could not finish this chunk now: it can be taken again.
    public func release(_ id: ChunkID) {
        handedOut.remove(id)
    }

    /// Records, before anything is sent, the object key a sealed chunk is uploaded under. A chunk
    /// whose key is recorded already keeps it. Returns the chunk with its key.
    public func beginUpload(_ id: ChunkID, key: String) throws -> SealedChunk {
        guard var chunk = sealed[id] else {
            throw SpoolError(code: .io, detail: "chunk \(id) is not sealed here")
        }
        if chunk.objectKey == nil {
            try journal.record(.uploading(id, key: key))
            chunk.objectKey = key
            sealed[id] = chunk
        }
        return chunk
    }

    /// Records a multipart upload created for a sealed chunk, before any part is sent.
    public func recordMultipart(_ id: ChunkID, uploadID: String, partSize: Int) throws -> SealedChunk {
        try updateSealed(id, .multipart(id, uploadID: uploadID, partSize: partSize)) {
            $0.multipart = MultipartProgress(uploadID: uploadID, partSize: partSize)
        }
    }

    /// Records a part the bucket acknowledged.
    public func recordPart(_ id: ChunkID, number: Int, _ part: FinishedPart) throws {
        guard sealed[id] != nil else {
            throw SpoolError(code: .io, detail: "chunk \(id) is not sealed here")
        }
        try journal.record(.part(id, number: number, part))
        // In place: the parts table is not copied for each of up to 10,000 parts.
        sealed[id]?.multipart?.parts[number] = part
    }

    /// Records that the chunk's multipart upload is abandoned (aborted, or gone): the next attempt
    /// starts a new one.
    public func forgetMultipart(_ id: ChunkID) throws -> SealedChunk {
        try updateSealed(id, .unstarted(id)) { $0.multipart = nil }
    }

    private func updateSealed(_ id: ChunkID, _ entry: JournalEntry, _ change: (inout SealedChunk) -> Void) throws -> SealedChunk {
        guard var chunk = sealed[id] else {
            throw SpoolError(code: .io, detail: "chunk \(id) is not sealed here")
        }
        try journal.record(entry)
        change(&chunk)
        sealed[id] = chunk
        return chunk
    }

    /// Gives a sealed chunk the next free `%{index}` of its slice, durably (in the journal), because its
    /// key is taken by an object that is not its own. Returns the chunk with its new index.
    public func reindex(_ id: ChunkID) throws -> SealedChunk {
        guard var chunk = sealed[id] else {
            throw SpoolError(code: .io, detail: "chunk \(id) is not sealed here")
        }
        chunk.index = try journal.takeIndex(for: id)
        chunk.objectKey = nil
        chunk.multipart = nil
        sealed[id] = chunk
        return chunk
    }

    static func oldestFirst(_ a: SealedChunk, _ b: SealedChunk) -> Bool {
        (a.createdAt, a.index, a.id.hex) < (b.createdAt, b.index, b.id.hex)
    }

    static func order(_ a: PartitionKey, _ b: PartitionKey) -> Bool {
        (a.timeSlice, a.tag) < (b.timeSlice, b.tag)
    }

    // MARK: - Committing and dropping

    /// The chunk is safely in the bucket: recorded in the journal, then its segments deleted.
    public func commit(_ id: ChunkID) throws {
        handedOut.remove(id)
        guard let chunk = sealed[id] else { return }
        try journal.record(.committed(id))
        sealed.removeValue(forKey: id)
        bufferedBytes -= chunk.recordBytes
        removeSegments(chunk.segments)
    }

    /// Discards the oldest sealed chunk not being uploaded (`overflow_action drop_oldest_chunk`).
    public func dropOldestSealed() throws -> SealedChunk? {
        guard let chunk = sealed.values.filter({ !handedOut.contains($0.id) }).min(by: Self.oldestFirst) else {
            return nil
        }
        keepAbandonedUpload(of: chunk)
        try journal.record(.dropped(chunk.id))
        sealed.removeValue(forKey: chunk.id)
        bufferedBytes -= chunk.recordBytes
        removeSegments(chunk.segments)
        return chunk
    }

    /// Moves a sealed chunk whose segments turned out unreadable to `quarantine/`, out of the way.
    public func quarantine(_ id: ChunkID, reason: any Error) {
        setAside(id, into: "quarantine", reason: reason)
    }

    /// Moves a sealed chunk whose upload was given up (`retry_max_times`, `retry_timeout`) to
    /// `failed/`: out of the upload queue, its records kept on disk for a human. Returns the folder.
    @discardableResult
    public func setAsideFailed(_ id: ChunkID, reason: any Error) -> String {
        setAside(id, into: "failed", reason: reason)
        return configuration.directory + "/failed"
    }

    private func setAside(_ id: ChunkID, into folder: String, reason: any Error) {
        handedOut.remove(id)
        guard let chunk = sealed[id] else { return }
        // The files first: a chunk recorded as dropped whose files stayed would be deleted at the next start.
        guard chunk.segments.allSatisfy({ moveAside($0, into: folder, reason: reason) }) else { return }
        keepAbandonedUpload(of: chunk)
        sealed.removeValue(forKey: id)
        bufferedBytes -= chunk.recordBytes
        do {
            try journal.record(.dropped(id))
        } catch {
            logger.error("cannot record setting chunk \(id) aside in the journal: \(error)")
        }
    }

    // MARK: - Multipart uploads left behind

    private var abortsDirectory: String { configuration.directory + "/aborts" }

    /// A chunk leaving the buffer with a multipart upload (given up, dropped, quarantined): its upload
    /// id is kept in `aborts/` until the uploader has aborted it, so no upload is forgotten while it
    /// still holds parts in the bucket.
    func keepAbandonedUpload(of chunk: SealedChunk) {
        keepAbandonedUpload(chunk.id, multipart: chunk.multipart, key: chunk.objectKey)
    }

    func keepAbandonedUpload(_ id: ChunkID, multipart: MultipartProgress?, key: String?) {
        guard let multipart, let key else { return }
        do {
            try fileSystem.makeDirectory(abortsDirectory)
            try fileSystem.writeFile(abortsDirectory + "/" + id.hex + ".upload", Array("\(multipart.uploadID)\n\(key)".utf8))
            try fileSystem.syncDirectory(abortsDirectory)
        } catch {
            logger.error("cannot keep the id of multipart upload \(multipart.uploadID) of \(key) for aborting it later: \(error); abort it by hand, or let a lifecycle rule (AbortIncompleteMultipartUpload) remove it")
        }
    }

    /// Multipart uploads of chunks that left the buffer, still to be aborted.
    public func abandonedUploads() -> [AbandonedUpload] {
        let names = ((try? fileSystem.list(abortsDirectory)) ?? []).filter { $0.hasSuffix(".upload") }.sorted()
        return names.compactMap { name in
            let path = abortsDirectory + "/" + name
            guard let file = try? fileSystem.open(path, writable: false, capacity: 0) else { return nil }
            defer { file.close() }
            guard let bytes = try? file.readAll(), let text = String(validating: bytes, as: UTF8.self),
                let newline = text.firstIndex(of: "\n")
            else {
                logger.warning("ignoring unreadable \(path)")
                return nil
            }
            return AbandonedUpload(name: name, uploadID: String(text[..<newline]), key: String(text[text.index(after: newline)...]))
        }
    }

    /// The upload was aborted (or is gone).
    public func forgetAbandonedUpload(_ upload: AbandonedUpload) {
        try? fileSystem.remove(abortsDirectory + "/" + upload.name)
    }

    func discard(_ id: ChunkID, segments: [String]) throws {
        try journal.record(.dropped(id))
        removeSegments(segments)
    }

    func removeSegments(_ paths: [String]) {
        for path in paths {
            do {
                try fileSystem.remove(path)
            } catch {
                logger.error("cannot delete buffer segment \(path): \(error); it is deleted at the next start")
                // Keep the chunk's end in the journal, so the next start deletes the file rather than
                // taking it for a chunk to upload.
                if let name = path.split(separator: "/").last, let (id, _) = SegmentHeader.parse(fileName: String(name)) {
                    journal.retainFinished(id)
                }
            }
        }
    }

    /// Record bytes in open and sealed chunks: what `total_limit_size` is checked against, per batch.
    public var bufferedByteCount: Int { bufferedBytes }

    /// Returns once the buffer holds fewer than `limit` record bytes: woken by whatever frees them,
    /// not by polling.
    public func waitForRoom(below limit: Int) async {
        guard bufferedBytes >= limit else { return }
        await withCheckedContinuation { roomWaiters.append((limit, $0)) }
    }

    private func wakeRoomWaiters() {
        var waiting: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in roomWaiters {
            if bufferedBytes < waiter.limit { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        roomWaiters = waiting
    }

    /// What is buffered now.
    public func statistics() -> BufferStatistics {
        BufferStatistics(
            openChunks: open.count, sealedChunks: sealed.count, bufferedBytes: bufferedBytes,
            appendedBatches: appendedBatches, durableBatches: durableBatches,
            oldestCreatedAt: (open.values.map(\.createdAt) + sealed.values.map(\.createdAt)).min()
        )
    }
}

/// A snapshot of a partition buffer's contents.
public struct BufferStatistics: Sendable, Equatable {
    public var openChunks: Int
    public var sealedChunks: Int
    /// Record bytes in open and sealed chunks.
    public var bufferedBytes: Int
    public var appendedBatches: UInt64
    /// Batches synced as the durability policy wants: accepted.
    public var durableBatches: UInt64
    /// Creation time (Unix nanoseconds) of the oldest chunk not yet uploaded.
    public var oldestCreatedAt: Int64?
}
