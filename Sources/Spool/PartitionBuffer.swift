import CivilTime
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The partition buffer: one open chunk per (tag, time slice), each a file under the buffer path.
///
/// Records are appended as JSON lines; a chunk is sealed when the next batch would take it past
/// `chunkLimitSize`, when its slice's `timekey + timekey_wait` has passed (or, without a time key, when it
/// is `flushInterval` old), or on demand (SIGUSR1, shutdown). Sealed chunks go to the uploader and are
/// deleted once committed. Everything is on disk, so a restart resumes where the last run stopped.
public actor PartitionBuffer {
    public let configuration: SpoolConfiguration
    private let logger: Logger
    private var ledger: ChunkIndexLedger
    private var open: [PartitionKey: OpenChunk] = [:]
    /// Sealed chunks not yet committed, by id.
    private var sealed: [ChunkID: SealedChunk] = [:]
    /// Sealed chunks given to the uploader and not yet committed or released.
    private var handedOut: Set<ChunkID> = []
    /// Record bytes on disk, open and sealed, kept as they change: read for every batch.
    private var bufferedBytes = 0

    private struct OpenChunk {
        var header: ChunkHeader
        var path: String
        var fd: Int32
        var size: Int
        var recordCount: Int
    }

    public init(configuration: SpoolConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        try FileIO.makeDirectories(configuration.directory)
        self.ledger = try ChunkIndexLedger(directory: configuration.directory)
        try recover()
    }

    deinit {
        for chunk in open.values { close(chunk.fd) }
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
                try append(part.lines, to: key, written: &written, sealed: &sealedNow)
            } catch {
                var remaining = EncodedBatch()
                remaining.parts[key] = EncodedBatch.Part(lines: Array(part.lines[written...]))
                for later in keys[(position + 1)...] {
                    remaining.parts[later] = batch.parts[later]
                }
                let underlying = error as? SpoolError ?? SpoolError(code: .io, detail: "\(error)")
                throw AppendFailure(underlying: underlying, remaining: remaining, sealed: sealedNow)
            }
        }
        return sealedNow
    }

    /// Appends whole records of `lines` from `written` on, advancing `written` past what is on disk.
    private func append(_ lines: [UInt8], to key: PartitionKey, written: inout Int, sealed: inout [SealedChunk]) throws {
        try lines.withUnsafeBytes { lines in
            while written < lines.count {
                let rest = lines[written...]
                var chunk = try openChunk(for: key)
                let room = configuration.chunkLimitSize - (chunk.size - chunk.header.encodedLength)
                let take = Self.prefixLength(of: rest, fitting: room, chunkIsEmpty: chunk.recordCount == 0)
                if take == 0 {
                    sealed.append(try seal(key))
                    continue
                }
                let slice = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
                do {
                    try FileIO.writeAll(chunk.fd, slice, path: chunk.path)
                } catch {
                    // Leave no partial record behind: cut back to what was there. If even that fails, set
                    // the chunk aside (closed, still `.open` on disk): the next start cuts its torn tail.
                    do {
                        try FileIO.truncate(chunk.fd, to: chunk.size, path: chunk.path)
                    } catch {
                        open.removeValue(forKey: key)
                        close(chunk.fd)
                        logger.error("set chunk \(chunk.header.id) aside after a failed write; it is recovered at the next start")
                    }
                    throw error
                }
                chunk.size += take
                bufferedBytes += take
                chunk.recordCount += lineCount(slice)
                open[key] = chunk
                written += take
            }
        }
    }

    /// How many leading bytes of `lines` to write: whole records only, at most `room` bytes, but at least
    /// one record into an empty chunk (a record larger than the limit still has to go somewhere).
    private static func prefixLength(of lines: Slice<UnsafeRawBufferPointer>, fitting room: Int, chunkIsEmpty: Bool) -> Int {
        if lines.count <= room { return lines.count }
        var end = lines.startIndex
        var index = lines.startIndex
        let limit = lines.startIndex + max(room, 0)
        while index < lines.endIndex {
            if lines[index] == UInt8(ascii: "\n") {
                if index + 1 > limit { break }
                end = index + 1
            }
            index += 1
        }
        if end == lines.startIndex && chunkIsEmpty {
            // The first record alone exceeds the limit.
            let newline = lines[lines.startIndex...].firstIndex(of: UInt8(ascii: "\n")) ?? (lines.endIndex - 1)
            return newline + 1 - lines.startIndex
        }
        return end - lines.startIndex
    }

    private func openChunk(for key: PartitionKey) throws -> OpenChunk {
        if let chunk = open[key] { return chunk }
        let header = ChunkHeader(
            id: .random(),
            index: try ledger.take(slice: key.timeSlice),
            timeSlice: key.timeSlice,
            createdAt: WallClock.nanoseconds(),
            tag: key.tag
        )
        let path = configuration.directory + "/" + header.id.hex + ".open"
        let fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_APPEND)
        let bytes = header.encoded()
        do {
            try FileIO.writeAll(fd, bytes, path: path)
        } catch {
            close(fd)
            try? FileIO.remove(path)
            throw error
        }
        try? FileIO.syncDirectory(configuration.directory)
        let chunk = OpenChunk(header: header, path: path, fd: fd, size: bytes.count, recordCount: 0)
        open[key] = chunk
        logger.debug("opened chunk", metadata: ["chunk_id": "\(header.id)", "tag": "\(key.tag)", "index": "\(header.index)"])
        return chunk
    }

    // MARK: - Sealing

    /// Seals the chunks whose time is up at `now` (Unix seconds). A chunk that cannot be sealed (its
    /// sync or rename fails) is logged and stays open, to be tried again.
    public func sealExpired(now: Int64) -> [SealedChunk] {
        let due = open.filter { key, chunk in
            if configuration.timekey > 0 {
                return key.timeSlice + configuration.timekey + configuration.timekeyWait <= now
            }
            return chunk.header.createdAt / 1_000_000_000 + configuration.flushInterval <= now
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
                result.append(try seal(key))
            } catch {
                logger.error("cannot seal the chunk of \(key): \(error); it stays open and is tried again")
            }
        }
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

    /// Gives a sealed chunk the next free `%{index}` of its slice, durably (in its header), because its
    /// key is taken by an object that is not its own. Returns the chunk with its new index.
    public func reindex(_ id: ChunkID) throws -> SealedChunk {
        guard var chunk = sealed[id] else {
            throw SpoolError(code: .io, detail: "chunk \(id) is not sealed here")
        }
        let index = try ledger.take(slice: chunk.key.timeSlice)
        let fd = try FileIO.open(chunk.path, flags: O_WRONLY)
        defer { close(fd) }
        try FileIO.writeAll(fd, ChunkHeader.encodedIndex(index), at: ChunkHeader.indexOffset, path: chunk.path)
        try FileIO.sync(fd, path: chunk.path)
        chunk.index = index
        sealed[id] = chunk
        return chunk
    }

    private static func oldestFirst(_ a: SealedChunk, _ b: SealedChunk) -> Bool {
        (a.createdAt, a.index) < (b.createdAt, b.index)
    }

    private static func order(_ a: PartitionKey, _ b: PartitionKey) -> Bool {
        (a.timeSlice, a.tag) < (b.timeSlice, b.tag)
    }

    private func seal(_ key: PartitionKey) throws -> SealedChunk {
        guard let chunk = open[key] else {
            preconditionFailure("sealing a partition without an open chunk")
        }
        try FileIO.sync(chunk.fd, path: chunk.path)
        let sealedPath = configuration.directory + "/" + chunk.header.id.hex + ".sealed"
        try FileIO.rename(chunk.path, sealedPath)
        try FileIO.syncDirectory(configuration.directory)
        open.removeValue(forKey: key)
        close(chunk.fd)
        let result = SealedChunk(
            id: chunk.header.id,
            key: key,
            index: chunk.header.index,
            path: sealedPath,
            bodyOffset: chunk.header.encodedLength,
            bodyLength: chunk.size - chunk.header.encodedLength,
            recordCount: chunk.recordCount,
            createdAt: chunk.header.createdAt
        )
        sealed[result.id] = result
        logger.debug("sealed \(result)")
        return result
    }

    // MARK: - Committing

    /// The chunk is safely in the bucket: delete it.
    public func commit(_ id: ChunkID) throws {
        handedOut.remove(id)
        guard let chunk = sealed.removeValue(forKey: id) else { return }
        bufferedBytes -= chunk.bodyLength
        try FileIO.remove(chunk.path)
    }

    /// What is buffered now: open chunks, sealed ones waiting, and their bytes.
    public func statistics() -> (openChunks: Int, sealedChunks: Int, bufferedBytes: Int) {
        (open.count, sealed.count, bufferedBytes)
    }

    // MARK: - Recovery

    /// Rebuilds the buffer from the files a previous run left: open chunks are reopened for appending
    /// (cut back to their last whole record), sealed ones wait for upload. A file that cannot be read
    /// is moved aside to `quarantine/` with an error log, never deleted and never fatal.
    private func recover() throws {
        for name in try FileIO.listDirectory(configuration.directory) {
            let isOpen = name.hasSuffix(".open")
            guard isOpen || name.hasSuffix(".sealed") else { continue }
            let path = configuration.directory + "/" + name
            do {
                try recoverChunk(at: path, isOpen: isOpen)
            } catch {
                quarantine(path, reason: error)
            }
        }
        if !open.isEmpty || !sealed.isEmpty {
            let stats = statistics()
            logger.info("resumed buffer at \(configuration.directory): \(stats.openChunks) open and \(stats.sealedChunks) sealed chunks, \(stats.bufferedBytes) bytes")
        }
    }

    private func recoverChunk(at path: String, isOpen: Bool) throws {
        let fd = try FileIO.open(path, flags: isOpen ? O_RDWR | O_APPEND : O_RDONLY)
        var keepOpen = false
        defer { if !keepOpen { close(fd) } }
        let size = try FileIO.size(fd, path: path)
        let prefix = try FileIO.read(fd, count: min(size, ChunkHeader.fixedLength + Int(UInt16.max)), at: 0, path: path)
        let header = try ChunkHeader.decode(prefix)
        let body = try FileIO.read(fd, count: size - header.encodedLength, at: header.encodedLength, path: path)
        let lastNewline = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        if lastNewline < body.count {
            logger.warning("chunk \(header.id): cut a torn last record of \(body.count - lastNewline) bytes", metadata: ["path": "\(path)"])
            if isOpen { try FileIO.truncate(fd, to: header.encodedLength + lastNewline, path: path) }
        }
        let records = lineCount(body[..<lastNewline])
        let key = PartitionKey(tag: header.tag, timeSlice: header.timeSlice)
        bufferedBytes += lastNewline
        ledger.observe(slice: header.timeSlice, index: header.index)
        if isOpen {
            if open[key] != nil {
                // Two open chunks for one partition: keep appending to one, seal the other.
                let other = try seal(key)
                logger.info("sealed extra open chunk \(other.id) for \(key)")
            }
            open[key] = OpenChunk(header: header, path: path, fd: fd, size: header.encodedLength + lastNewline, recordCount: records)
            keepOpen = true
        } else {
            sealed[header.id] = SealedChunk(
                id: header.id, key: key, index: header.index, path: path,
                bodyOffset: header.encodedLength, bodyLength: lastNewline,
                recordCount: records, createdAt: header.createdAt
            )
        }
    }

    private func quarantine(_ path: String, reason: any Error) {
        let folder = configuration.directory + "/quarantine"
        let name = path.split(separator: "/").last.map(String.init) ?? path
        do {
            try FileIO.makeDirectories(folder)
            try FileIO.rename(path, folder + "/" + name)
            logger.error("moved unreadable chunk file \(path) to \(folder)/: \(reason)")
        } catch {
            logger.error("cannot read chunk file \(path) (\(reason)) nor move it aside (\(error)); leaving it in place")
        }
    }
}
