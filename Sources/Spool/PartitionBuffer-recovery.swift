import CivilTime
import Logging

extension PartitionBuffer {
    /// Opens the chunk journal; one that cannot be read is moved to `quarantine/` and a new one started
    /// (recovery then adopts every segment it finds, so no record is lost with it).
    static func openJournal(configuration: SpoolConfiguration, logger: Logger) throws -> ChunkJournal {
        let fileSystem = configuration.fileSystem
        do {
            return try ChunkJournal(directory: configuration.directory, fileSystem: fileSystem)
        } catch let error as SpoolError where error.code == .corrupt || error.code == .unsupportedVersion {
            let path = configuration.directory + "/" + ChunkJournal.fileName
            let folder = configuration.directory + "/quarantine"
            try fileSystem.makeDirectory(folder)
            try fileSystem.rename(path, to: folder + "/" + ChunkJournal.fileName)
            logger.error("moved unreadable chunk journal \(path) to \(folder)/ (\(error)); rebuilding it from the segment files")
            return try ChunkJournal(directory: configuration.directory, fileSystem: fileSystem)
        }
    }

    /// Rebuilds the buffer from what a previous run left.
    ///
    /// The journal says which chunks exist, which are sealed and which were committed. Every segment
    /// is scanned and every frame's CRC checked: a torn frame at the end of an open chunk (a crash in
    /// the middle of an append) is cut off; damage anywhere else keeps the frames before it and puts a
    /// copy of the file in `quarantine/`. Open chunks take appends again, sealed ones wait for upload.
    /// Segments of committed chunks are deleted; segments the journal does not know (it was damaged)
    /// are adopted as sealed chunks. Chunk files of the older format are carried over. Nothing here
    /// stops Sluice from starting: a file it cannot read is set aside with an error naming it.
    func recover() throws {
        for note in journal.replayNotes {
            logger.warning("chunk journal \(journal.path): \(note)")
        }
        var names = try fileSystem.list(configuration.directory)
        for name in names where name.hasSuffix(".open") || name.hasSuffix(".sealed") {
            importLegacyChunk(configuration.directory + "/" + name)
        }
        names = try fileSystem.list(configuration.directory)
        var segments: [ChunkID: [Int: String]] = [:]
        for name in names {
            guard let (id, number) = SegmentHeader.parse(fileName: name) else { continue }
            segments[id, default: [:]][number] = configuration.directory + "/" + name
        }
        let carriedOver = Set(open.values.map(\.id)).union(sealed.keys)
        for (id, files) in segments.sorted(by: { $0.key.hex < $1.key.hex }) where !carriedOver.contains(id) {
            let paths = files.sorted { $0.key < $1.key }.map(\.value)
            if let known = journal.chunks[id] {
                recoverChunk(id, known, segments: paths)
            } else {
                adoptOrphan(id, segments: paths)
            }
        }
        for (id, chunk) in journal.chunks where segments[id] == nil {
            // Opened, but its first segment was never created (or a commit was cut short after its
            // files were gone): nothing to keep.
            if chunk.seal != nil {
                logger.error("chunk \(id) (\(chunk.key), index \(chunk.index)) is sealed in the journal but has no segment files; forgetting it")
            }
            keepAbandonedUpload(id, multipart: chunk.multipart, key: chunk.objectKey)
            try? journal.record(.dropped(id))
        }
        do {
            try journal.compact()
        } catch {
            // A full disk, say: the journal as it is works, and is synced whole instead.
            logger.warning("cannot compact the chunk journal at start: \(error)")
            try journal.syncAll()
        }
        if !open.isEmpty || !sealed.isEmpty {
            let stats = statistics()
            logger.info("resumed buffer at \(configuration.directory): \(stats.openChunks) open and \(stats.sealedChunks) sealed chunks, \(stats.bufferedBytes) bytes")
        }
    }

    /// What scanning one segment found.
    private struct SegmentScan {
        var header: SegmentHeader
        var file: any SpoolFile
        /// End of the last whole frame.
        var end: Int
        var recordCount = 0
        var recordBytes = 0
        /// The first frame's partition, for chunks the journal does not know.
        var firstBatch: BatchHeader?
        var damage: String?
        /// A whole frame follows the damaged one.
        var framesFollowDamage = false
        /// The header's capacity covers the file: it can be appended to.
        var capacityMakesSense = true
        var writable = false
    }

    /// Scans a segment with plain reads (a bad disk block is an error here, not a SIGBUS), syncs it
    /// whole (a killed process may have left its last frames in the page cache only), and reopens it
    /// for appending when `writable` and its header's capacity makes sense.
    private func scan(_ path: String, chunk id: ChunkID, number: Int, writable: Bool) throws -> SegmentScan {
        let file = try fileSystem.open(path, writable: false, capacity: 0)
        do {
            let header = try SegmentHeader.decode(try file.read(SegmentHeader.length, at: 0))
            guard header.chunkID == id, header.number == number else {
                throw SpoolError(code: .corrupt, detail: "header names chunk \(header.chunkID) segment \(header.number)")
            }
            var result = SegmentScan(header: header, file: file, end: SegmentHeader.length)
            scan: while true {
                switch try Frame.read(file, at: result.end) {
                case .frame(let payload, let next) where DeliveryReceipt.isReceipt(payload):
                    recoveredReceipts.add(try DeliveryReceipt.decode(payload))
                    result.end = next
                case .frame(let payload, let next):
                    let batch = try BatchHeader.decode(payload)
                    result.firstBatch = result.firstBatch ?? batch
                    result.recordCount += batch.recordCount
                    result.recordBytes += payload.count - batch.encodedLength
                    result.end = next
                case .end:
                    break scan
                case .damaged(let reason):
                    result.damage = reason
                    result.framesFollowDamage = try Frame.wholeFrameFollows(file, damagedAt: result.end)
                    break scan
                }
            }
            try file.syncAll()
            result.capacityMakesSense = header.capacity >= file.size && header.capacity >= result.end
            if writable && result.capacityMakesSense {
                file.close()
                result.file = try fileSystem.open(path, writable: true, capacity: header.capacity)
                result.writable = true
            }
            return result
        } catch {
            file.close()
            throw error
        }
    }

    private func recoverChunk(_ id: ChunkID, _ known: JournaledChunk, segments paths: [String]) {
        if known.seal == nil && open[known.key] != nil {
            // Two open chunks for one partition (one adopted earlier): seal the one already there.
            _ = try? seal(known.key)
        }
        var kept: [String] = []
        var recordCount = 0
        var recordBytes = 0
        var last: SegmentScan?
        var nextNumber = 0
        var mustSeal = false
        for (position, path) in paths.enumerated() {
            let isLast = position == paths.count - 1
            guard let number = SegmentHeader.parse(fileName: String(path.split(separator: "/").last ?? ""))?.1 else { continue }
            do {
                let found = try scan(path, chunk: id, number: number, writable: isLast && known.seal == nil)
                nextNumber = max(nextNumber, number + 1)
                if !found.capacityMakesSense {
                    logger.warning("chunk \(id): \(path) declares a capacity of \(found.header.capacity) bytes for a file of \(found.file.size); its chunk is sealed as it is")
                    mustSeal = true
                }
                if let damage = found.damage {
                    if isLast && known.seal == nil && !found.framesFollowDamage && found.writable {
                        logger.warning("chunk \(id): cut a torn write at the end of \(path) (\(damage)); it was never accepted")
                        try found.file.write([UInt8](repeating: 0, count: min(Frame.headerLength, found.file.size - found.end)), at: found.end)
                        try found.file.sync()
                    } else {
                        mustSeal = true
                        found.file.close()
                        copyToQuarantine(path, reason: damage)
                        let writable = try fileSystem.open(path, writable: true, capacity: 0)
                        try writable.write([UInt8](repeating: 0, count: Frame.headerLength), at: found.end)
                        try writable.sync()
                        writable.close()
                        logger.error("chunk \(id): \(path) is damaged (\(damage)); keeping the \(found.recordCount) records before the damage, the whole file is copied to quarantine/")
                    }
                }
                kept.append(path)
                recordCount += found.recordCount
                recordBytes += found.recordBytes
                if isLast { last = found } else { found.file.close() }
            } catch {
                moveToQuarantine(path, reason: error)
            }
        }
        bufferedBytes += recordBytes
        if let seal = known.seal {
            last?.file.close()
            if seal.recordCount != recordCount {
                logger.warning("chunk \(id): the journal sealed it with \(seal.recordCount) records, its segments hold \(recordCount)")
            }
            guard !kept.isEmpty else {
                bufferedBytes -= recordBytes
                try? journal.record(.dropped(id))
                return
            }
            sealed[id] = SealedChunk(
                id: id, key: known.key, index: known.index, segments: kept,
                recordBytes: recordBytes, recordCount: recordCount, createdAt: known.createdAt,
                objectKey: known.objectKey, multipart: known.multipart
            )
            return
        }
        guard let last, last.writable, !mustSeal, let lastPath = kept.last, lastPath == paths.last else {
            // The segment to append to is gone, damaged or unusable: seal what is left.
            last?.file.close()
            sealAdopted(id, known, segments: kept, recordCount: recordCount, recordBytes: recordBytes)
            return
        }
        let writer = FrameWriter(file: last.file, end: last.end, capacity: last.header.capacity)
        let chunk = OpenChunk(id: id, key: known.key, index: known.index, createdAt: known.createdAt, segments: kept, writer: writer)
        chunk.nextSegmentNumber = nextNumber
        chunk.recordCount = recordCount
        chunk.recordBytes = recordBytes
        open[known.key] = chunk
    }

    private func sealAdopted(_ id: ChunkID, _ known: JournaledChunk, segments: [String], recordCount: Int, recordBytes: Int) {
        guard !segments.isEmpty, recordCount > 0 else {
            bufferedBytes -= recordBytes
            removeSegments(segments)
            try? journal.record(.dropped(id))
            return
        }
        do {
            try journal.record(.sealed(id, .init(segmentCount: segments.count, recordCount: recordCount, recordBytes: recordBytes)))
            sealed[id] = SealedChunk(
                id: id, key: known.key, index: known.index, segments: segments,
                recordBytes: recordBytes, recordCount: recordCount, createdAt: known.createdAt
            )
        } catch {
            bufferedBytes -= recordBytes
            logger.error("cannot record chunk \(id) in the journal: \(error); its segments stay for the next start")
        }
    }

    /// Segments of a chunk the journal does not know: committed ones are deleted, others adopted.
    private func adoptOrphan(_ id: ChunkID, segments paths: [String]) {
        if journal.finished.contains(id) {
            removeSegments(paths)
            return
        }
        var scans: [(String, SegmentScan)] = []
        for path in paths {
            guard let number = SegmentHeader.parse(fileName: String(path.split(separator: "/").last ?? ""))?.1 else { continue }
            do {
                let found = try scan(path, chunk: id, number: number, writable: false)
                found.file.close()
                if let damage = found.damage {
                    logger.warning("chunk \(id): \(path) ends in a damaged frame (\(damage)); keeping the frames before it")
                }
                scans.append((path, found))
            } catch {
                moveToQuarantine(path, reason: error)
            }
        }
        guard let batch = scans.lazy.compactMap(\.1.firstBatch).first else {
            removeSegments(scans.map(\.0))
            return
        }
        let key = PartitionKey(tag: batch.tag, timeSlice: batch.timeSlice)
        let createdAt = scans.first?.1.header.createdAt ?? WallClock.nanoseconds()
        do {
            let index = try journal.open(id, key: key, createdAt: createdAt)
            let known = JournaledChunk(key: key, index: index, createdAt: createdAt)
            let count = scans.reduce(0) { $0 + $1.1.recordCount }
            let bytes = scans.reduce(0) { $0 + $1.1.recordBytes }
            bufferedBytes += bytes
            sealAdopted(id, known, segments: scans.map(\.0), recordCount: count, recordBytes: bytes)
            logger.warning("adopted chunk \(id) (\(key), \(count) records) that the journal did not list; it is uploaded under index \(index)")
        } catch {
            logger.error("cannot adopt chunk \(id): \(error); its segments stay for the next start")
        }
    }

    // MARK: - Chunk files of the older format

    /// Carries a chunk file of the older format over into segments, under the same chunk id and index,
    /// whatever its size (it was within the chunk limit of its day). Restartable: a crash part-way
    /// leaves the file, and the next start discards the partial copy and does it again.
    private func importLegacyChunk(_ path: String) {
        var importing: (ChunkID, PartitionKey)?
        do {
            let file = try fileSystem.open(path, writable: false, capacity: 0)
            let bytes = try file.readAll()
            file.close()
            let header = try LegacyChunkHeader.decode(bytes)
            let body = bytes[header.encodedLength...]
            let whole = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? body.startIndex
            if whole < body.endIndex {
                logger.warning("chunk \(header.id): cut a torn last record of \(body.endIndex - whole) bytes", metadata: ["path": "\(path)"])
            }
            let key = PartitionKey(tag: header.tag, timeSlice: header.timeSlice)
            if journal.chunks[header.id] != nil {
                try discardPartialImport(header.id, key: key)
            }
            try journal.record(.opened(header.id, key, index: header.index, createdAt: header.createdAt))
            importing = (header.id, key)
            // A first segment left by an import cut short before its journal entry was written.
            try? fileSystem.remove(configuration.directory + "/" + SegmentHeader.fileName(chunk: header.id, number: 0))
            let writer = try createSegment(chunk: header.id, number: 0, capacity: configuration.segmentSize)
            let chunk = OpenChunk(id: header.id, key: key, index: header.index, createdAt: header.createdAt, segments: [writer.path], writer: writer)
            // Another chunk of this partition carried over before stays the one appended to.
            let previous = open.removeValue(forKey: key)
            open[key] = chunk
            defer { if let previous { open[key] = previous } }
            var part = EncodedBatch.Part(lines: Array(body[..<whole]))
            part.earliest = header.timeSlice
            part.latest = header.timeSlice
            var written = 0
            var sealedNow: [SealedChunk] = []
            try append(part, to: key, chunkLimit: .max, written: &written, sealed: &sealedNow)
            try chunk.writer.sync()
            if path.hasSuffix(".sealed") || previous != nil {
                _ = try seal(key)
            }
            try fileSystem.remove(path)
            logger.info("carried chunk \(header.id) (\(key), index \(header.index)) over from the older buffer format")
        } catch let error as SpoolError where error.code == .corrupt || error.code == .unsupportedVersion {
            moveToQuarantine(path, reason: error)
        } catch {
            logger.error("cannot carry \(path) over from the older buffer format now: \(error); it stays for the next start")
            if let (id, key) = importing { try? discardPartialImport(id, key: key) }
        }
    }

    /// Forgets a partial copy of a chunk file being carried over (a crash or an error part-way).
    private func discardPartialImport(_ id: ChunkID, key: PartitionKey) throws {
        if let chunk = open[key], chunk.id == id {
            unsynced.removeValue(forKey: ObjectIdentifier(chunk.writer))
            chunk.writer.file.close()
            open.removeValue(forKey: key)
            bufferedBytes -= chunk.recordBytes
        }
        if let chunk = sealed.removeValue(forKey: id) {
            bufferedBytes -= chunk.recordBytes
        }
        let leftovers = try fileSystem.list(configuration.directory).filter { $0.hasPrefix(id.hex + "-") }
        try discard(id, segments: leftovers.map { configuration.directory + "/" + $0 })
    }

    // MARK: - Quarantine

    func moveToQuarantine(_ path: String, reason: any Error) {
        moveAside(path, into: "quarantine", reason: reason)
    }

    /// Moves a buffer file into a folder of the buffer (`quarantine`, `failed`), with an error log;
    /// false when it could not.
    @discardableResult
    func moveAside(_ path: String, into subfolder: String, reason: any Error) -> Bool {
        let folder = configuration.directory + "/" + subfolder
        let name = path.split(separator: "/").last.map(String.init) ?? path
        do {
            try fileSystem.makeDirectory(folder)
            try fileSystem.rename(path, to: folder + "/" + name)
            logger.error("moved buffer file \(path) to \(folder)/: \(reason)")
            return true
        } catch {
            logger.error("cannot use buffer file \(path) (\(reason)) nor move it aside (\(error)); leaving it in place")
            return false
        }
    }

    private func copyToQuarantine(_ path: String, reason: String) {
        let folder = configuration.directory + "/quarantine"
        let name = path.split(separator: "/").last.map(String.init) ?? path
        do {
            try fileSystem.makeDirectory(folder)
            let source = try fileSystem.open(path, writable: false, capacity: 0)
            defer { source.close() }
            try fileSystem.writeFile(folder + "/" + name, try source.readAll())
        } catch {
            logger.error("cannot copy damaged buffer file \(path) to \(folder)/ (\(error))")
        }
    }
}
