import CivilTime

// Chunk journal, format version 1: `chunks.journal`, the lifecycle of every chunk in the buffer.
// All integers little-endian.
//
//     Header, 16 bytes
//     0       4     magic "SLJN"
//     4       1     format version (1)
//     5       1     flags (0; reserved)
//     6       2     header length (16)
//     8       8     creation time, Unix nanoseconds
//
//     Frames from offset 16, framed as in segment files: length (4), CRC-32C (4), payload.
//     Payload: kind (1 byte), then
//     1 opened       chunk id (16) | time slice (8) | index (4) | created at, ns (8) | tag length (2) | tag
//     2 sealed       chunk id (16) | segment count (4) | record count (8) | record bytes (8)
//     3 reindexed    chunk id (16) | index (4)
//     4 committed    chunk id (16)          the chunk is in the bucket; its segments may be deleted
//     5 dropped      chunk id (16)          discarded (overflow_action drop_oldest_chunk)
//     6 next index   time slice (8) | next index (4)   (written when the journal is compacted)
//     7 uploading    chunk id (16) | key length (2) | object key, UTF-8
//     8 multipart    chunk id (16) | part size (8) | upload id length (2) | upload id, UTF-8
//     9 part         chunk id (16) | part number (4) | length (8) | MD5 (16) | ETag length (2) | ETag
//    10 unstarted    chunk id (16)          its multipart upload is abandoned (aborted or gone)
//
// Each entry is appended and synced before what it records happens: `opened` before the chunk's
// first segment exists, so `%{index}` numbers are never handed out twice, also after a restart;
// `sealed` once the chunk's segments are synced; `uploading` with the object key before the first
// byte goes to the bucket, so that a restart, even with another key template or host name, writes
// the same key again; `multipart` with the upload id as soon as S3 hands it out and before any
// part is sent, `part` once S3 holds the part, so that a restart resumes the upload with the parts
// still missing (or aborts it when it cannot complete); `committed` before its segments are
// deleted. Every entry is harmless should it
// reach the disk although its sync reported a failure (the caller then treats the step as not done
// and does it again, or finds it done at the next start). When
// dead entries dominate, the journal is rewritten with the live ones (a new file, synced, renamed).

/// What the journal knows of one chunk.
struct JournaledChunk: Equatable, Sendable {
    var key: PartitionKey
    var index: Int
    var createdAt: Int64
    var seal: Seal?
    /// The object key its upload began under, if it began.
    var objectKey: String?
    /// Its multipart upload, when one was created.
    var multipart: MultipartProgress?

    struct Seal: Equatable, Sendable {
        var segmentCount: Int
        var recordCount: Int
        var recordBytes: Int
    }
}

/// One lifecycle event.
enum JournalEntry: Equatable {
    case opened(ChunkID, PartitionKey, index: Int, createdAt: Int64)
    case sealed(ChunkID, JournaledChunk.Seal)
    case reindexed(ChunkID, index: Int)
    case committed(ChunkID)
    case dropped(ChunkID)
    case nextIndex(slice: Int64, index: Int)
    case uploading(ChunkID, key: String)
    case multipart(ChunkID, uploadID: String, partSize: Int)
    case part(ChunkID, number: Int, FinishedPart)
    case unstarted(ChunkID)

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        func id(_ chunk: ChunkID) {
            appendLittleEndian(chunk.high, to: &bytes)
            appendLittleEndian(chunk.low, to: &bytes)
        }
        switch self {
        case .opened(let chunk, let key, let index, let createdAt):
            bytes.append(1)
            id(chunk)
            appendLittleEndian(key.timeSlice, to: &bytes)
            appendLittleEndian(UInt32(index), to: &bytes)
            appendLittleEndian(createdAt, to: &bytes)
            appendLittleEndian(UInt16(key.tag.utf8.count), to: &bytes)
            bytes.append(contentsOf: key.tag.utf8)
        case .sealed(let chunk, let seal):
            bytes.append(2)
            id(chunk)
            appendLittleEndian(UInt32(seal.segmentCount), to: &bytes)
            appendLittleEndian(UInt64(seal.recordCount), to: &bytes)
            appendLittleEndian(UInt64(seal.recordBytes), to: &bytes)
        case .reindexed(let chunk, let index):
            bytes.append(3)
            id(chunk)
            appendLittleEndian(UInt32(index), to: &bytes)
        case .committed(let chunk):
            bytes.append(4)
            id(chunk)
        case .dropped(let chunk):
            bytes.append(5)
            id(chunk)
        case .nextIndex(let slice, let index):
            bytes.append(6)
            appendLittleEndian(slice, to: &bytes)
            appendLittleEndian(UInt32(index), to: &bytes)
        case .uploading(let chunk, let key):
            bytes.append(7)
            id(chunk)
            appendLittleEndian(UInt16(key.utf8.count), to: &bytes)
            bytes.append(contentsOf: key.utf8)
        case .multipart(let chunk, let uploadID, let partSize):
            bytes.append(8)
            id(chunk)
            appendLittleEndian(UInt64(partSize), to: &bytes)
            appendLittleEndian(UInt16(uploadID.utf8.count), to: &bytes)
            bytes.append(contentsOf: uploadID.utf8)
        case .part(let chunk, let number, let part):
            bytes.append(9)
            id(chunk)
            appendLittleEndian(UInt32(number), to: &bytes)
            appendLittleEndian(UInt64(part.length), to: &bytes)
            bytes.append(contentsOf: part.md5)
            appendLittleEndian(UInt16(part.etag.utf8.count), to: &bytes)
            bytes.append(contentsOf: part.etag.utf8)
        case .unstarted(let chunk):
            bytes.append(10)
            id(chunk)
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> JournalEntry {
        func need(_ count: Int) throws {
            guard bytes.count >= count else { throw SpoolError(code: .corrupt, detail: "short journal entry of kind \(bytes.first ?? 0)") }
        }
        func id() -> ChunkID {
            ChunkID(high: readLittleEndian(bytes, at: 1, as: UInt64.self), low: readLittleEndian(bytes, at: 9, as: UInt64.self))
        }
        try need(1)
        switch bytes[0] {
        case 1:
            try need(39)
            let tagLength = Int(readLittleEndian(bytes, at: 37, as: UInt16.self))
            try need(39 + tagLength)
            guard let tag = String(validating: bytes[39..<(39 + tagLength)], as: UTF8.self) else {
                throw SpoolError(code: .corrupt, detail: "journal entry with a tag that is not UTF-8")
            }
            let key = PartitionKey(tag: tag, timeSlice: readLittleEndian(bytes, at: 17, as: Int64.self))
            return .opened(id(), key, index: Int(readLittleEndian(bytes, at: 25, as: UInt32.self)), createdAt: readLittleEndian(bytes, at: 29, as: Int64.self))
        case 2:
            try need(37)
            return .sealed(id(), .init(
                segmentCount: Int(readLittleEndian(bytes, at: 17, as: UInt32.self)),
                recordCount: try checkedInt(readLittleEndian(bytes, at: 21, as: UInt64.self), "record count"),
                recordBytes: try checkedInt(readLittleEndian(bytes, at: 29, as: UInt64.self), "record bytes")))
        case 3:
            try need(21)
            return .reindexed(id(), index: Int(readLittleEndian(bytes, at: 17, as: UInt32.self)))
        case 4:
            try need(17)
            return .committed(id())
        case 5:
            try need(17)
            return .dropped(id())
        case 6:
            try need(13)
            return .nextIndex(slice: readLittleEndian(bytes, at: 1, as: Int64.self), index: Int(readLittleEndian(bytes, at: 9, as: UInt32.self)))
        case 7:
            try need(19)
            let keyLength = Int(readLittleEndian(bytes, at: 17, as: UInt16.self))
            try need(19 + keyLength)
            guard let key = String(validating: bytes[19..<(19 + keyLength)], as: UTF8.self) else {
                throw SpoolError(code: .corrupt, detail: "journal entry with an object key that is not UTF-8")
            }
            return .uploading(id(), key: key)
        case 8:
            try need(27)
            let length = Int(readLittleEndian(bytes, at: 25, as: UInt16.self))
            try need(27 + length)
            guard let uploadID = String(validating: bytes[27..<(27 + length)], as: UTF8.self) else {
                throw SpoolError(code: .corrupt, detail: "journal entry with an upload id that is not UTF-8")
            }
            return .multipart(id(), uploadID: uploadID, partSize: try checkedInt(readLittleEndian(bytes, at: 17, as: UInt64.self), "part size"))
        case 9:
            try need(47)
            let length = Int(readLittleEndian(bytes, at: 45, as: UInt16.self))
            try need(47 + length)
            guard let etag = String(validating: bytes[47..<(47 + length)], as: UTF8.self) else {
                throw SpoolError(code: .corrupt, detail: "journal entry with an ETag that is not UTF-8")
            }
            let part = FinishedPart(
                etag: etag, length: try checkedInt(readLittleEndian(bytes, at: 21, as: UInt64.self), "part length"),
                md5: Array(bytes[29..<45])
            )
            return .part(id(), number: Int(readLittleEndian(bytes, at: 17, as: UInt32.self)), part)
        case 10:
            try need(17)
            return .unstarted(id())
        default:
            throw SpoolError(code: .corrupt, detail: "unknown journal entry kind \(bytes[0])")
        }
    }
}

/// The journal: replayed at start into the set of live chunks and the next `%{index}` per slice,
/// then appended to as chunks open, seal and commit.
struct ChunkJournal {
    static let fileName = "chunks.journal"
    static let magic: [UInt8] = Array("SLJN".utf8)
    static let version: UInt8 = 1
    static let headerLength = 16
    static let capacity = 64 << 20

    /// What the entries so far say.
    struct State {
        var chunks: [ChunkID: JournaledChunk] = [:]
        var nextIndex: [Int64: Int] = [:]
        /// Chunks committed or dropped since the journal was last compacted: leftover segments of
        /// these are deleted at start, not adopted.
        var finished: Set<ChunkID> = []

        mutating func apply(_ entry: JournalEntry) {
            switch entry {
            case .opened(let chunk, let key, let index, let createdAt):
                chunks[chunk] = JournaledChunk(key: key, index: index, createdAt: createdAt)
                observe(slice: key.timeSlice, index: index)
            case .sealed(let chunk, let seal):
                chunks[chunk]?.seal = seal
            case .reindexed(let chunk, let index):
                chunks[chunk]?.index = index
                chunks[chunk]?.objectKey = nil
                chunks[chunk]?.multipart = nil
                if let key = chunks[chunk]?.key { observe(slice: key.timeSlice, index: index) }
            case .committed(let chunk), .dropped(let chunk):
                chunks.removeValue(forKey: chunk)
                finished.insert(chunk)
            case .nextIndex(let slice, let index):
                nextIndex[slice] = max(nextIndex[slice] ?? 0, index)
            case .uploading(let chunk, let key):
                chunks[chunk]?.objectKey = key
            case .multipart(let chunk, let uploadID, let partSize):
                chunks[chunk]?.multipart = MultipartProgress(uploadID: uploadID, partSize: partSize)
            case .part(let chunk, let number, let part):
                chunks[chunk]?.multipart?.parts[number] = part
            case .unstarted(let chunk):
                chunks[chunk]?.multipart = nil
            }
        }

        mutating func observe(slice: Int64, index: Int) {
            nextIndex[slice] = max(nextIndex[slice] ?? 0, index + 1)
        }
    }

    private var state = State()
    var chunks: [ChunkID: JournaledChunk] { state.chunks }
    var nextIndex: [Int64: Int] { state.nextIndex }
    var finished: Set<ChunkID> { state.finished }
    /// Problems met while replaying (a torn tail, a damaged entry), for the caller to log.
    private(set) var replayNotes: [String] = []
    private var writer: FrameWriter
    private let fileSystem: any SpoolFileSystem
    private let directory: String
    private var deadEntries = 0

    var path: String { directory + "/" + Self.fileName }

    init(directory: String, fileSystem: any SpoolFileSystem) throws {
        self.directory = directory
        self.fileSystem = fileSystem
        let path = directory + "/" + Self.fileName
        let names = try fileSystem.list(directory)
        if names.contains(Self.fileName + ".new") {
            // A compaction that did not reach its rename: the old journal is still whole.
            try fileSystem.remove(path + ".new")
        }
        guard names.contains(Self.fileName) else {
            writer = try Self.createFile(at: path, entries: [], fileSystem: fileSystem)
            try fileSystem.syncDirectory(directory)
            return
        }
        let file = try fileSystem.open(path, writable: true, capacity: Self.capacity)
        let header = try file.read(Self.headerLength, at: 0)
        guard header.count == Self.headerLength, Array(header[0..<4]) == Self.magic else {
            file.close()
            throw SpoolError(code: .corrupt, detail: "no journal header (bad magic or short file)", path: path)
        }
        guard header[4] == Self.version else {
            file.close()
            throw SpoolError(code: .unsupportedVersion, detail: "journal format version \(header[4]); this Sluice reads \(Self.version)", path: path)
        }
        var offset = Self.headerLength
        var entries = 0
        var replayed = State()
        var notes: [String] = []
        scan: while true {
            switch try Frame.read(file, at: offset) {
            case .frame(let payload, let next):
                do {
                    replayed.apply(try JournalEntry.decode(payload))
                } catch {
                    notes.append("skipped a journal entry at offset \(offset): \(error)")
                }
                entries += 1
                offset = next
            case .end:
                break scan
            case .damaged(let reason):
                guard var after = Frame.nextWholeFrame(file, damagedAt: offset) else {
                    notes.append("cut a torn entry at the end of the journal at offset \(offset): \(reason)")
                    break scan
                }
                // Damage in the middle: keep a copy, and learn from the entries after it every index
                // handed out, so none is handed out again.
                notes.append("the journal is damaged at offset \(offset) (\(reason)); a copy is in quarantine/, entries after the damage are read for their indices only")
                Self.copyToQuarantine(file, directory: directory, fileSystem: fileSystem)
                while case .frame(let payload, let next) = try Frame.read(file, at: after) {
                    if let entry = try? JournalEntry.decode(payload) {
                        switch entry {
                        case .opened(_, let key, let index, _): replayed.observe(slice: key.timeSlice, index: index)
                        case .nextIndex(let slice, let index): replayed.observe(slice: slice, index: index - 1)
                        case .reindexed(let chunk, let index):
                            if let key = replayed.chunks[chunk]?.key { replayed.observe(slice: key.timeSlice, index: index) }
                        default: break
                        }
                    }
                    after = next
                }
                break scan
            }
        }
        writer = FrameWriter(file: file, end: offset, capacity: Self.capacity)
        state = replayed
        replayNotes = notes
        deadEntries = max(0, entries - liveEntries.count)
        if offset < file.size {
            // Clear whatever follows the last whole entry, so the next append is not read as torn.
            try file.write([UInt8](repeating: 0, count: min(Frame.headerLength, file.size - offset)), at: offset)
            try file.sync()
        }
    }

    /// Takes into account an index found elsewhere (a chunk adopted from its segments).
    mutating func observe(slice: Int64, index: Int) {
        state.observe(slice: slice, index: index)
    }

    /// Records `entry` durably, then applies it.
    mutating func record(_ entry: JournalEntry) throws {
        let bytes = entry.encoded()
        if writer.room < bytes.count {
            try compact()
        } else if shouldCompact {
            // Compaction needs room for a new file: on a full disk it waits, the entry does not.
            try? compact()
        }
        try bytes.withUnsafeBytes { try writer.append(head: [], body: $0) }
        do {
            try writer.sync()
        } catch {
            writer.rollBack()
            throw error
        }
        switch entry {
        case .committed, .dropped, .reindexed, .sealed, .uploading, .multipart, .part, .unstarted: deadEntries += 1
        default: break
        }
        state.apply(entry)
    }

    /// A new chunk's `%{index}`: the next of its slice, recorded with the chunk's opening.
    mutating func open(_ chunk: ChunkID, key: PartitionKey, createdAt: Int64) throws -> Int {
        let index = nextIndex[key.timeSlice] ?? 0
        try record(.opened(chunk, key, index: index, createdAt: createdAt))
        return index
    }

    mutating func takeIndex(for chunk: ChunkID) throws -> Int {
        guard let known = chunks[chunk] else { throw SpoolError(code: .io, detail: "chunk \(chunk) is not in the journal") }
        let index = nextIndex[known.key.timeSlice] ?? 0
        try record(.reindexed(chunk, index: index))
        return index
    }

    /// Chunks whose end must outlive compaction: their segments could not be deleted yet.
    private var retained: Set<ChunkID> = []

    mutating func retainFinished(_ chunk: ChunkID) {
        retained.insert(chunk)
    }

    /// Syncs the journal file whole (recovery, when compaction cannot run).
    func syncAll() throws {
        try writer.file.syncAll()
    }

    private var shouldCompact: Bool { deadEntries > 4 * chunks.count + 1024 }

    private var liveEntries: [JournalEntry] {
        var entries = nextIndex.sorted { $0.key < $1.key }.map { JournalEntry.nextIndex(slice: $0.key, index: $0.value) }
        for (id, chunk) in chunks.sorted(by: { ($0.value.createdAt, $0.key.hex) < ($1.value.createdAt, $1.key.hex) }) {
            entries.append(.opened(id, chunk.key, index: chunk.index, createdAt: chunk.createdAt))
            if let seal = chunk.seal { entries.append(.sealed(id, seal)) }
            if let key = chunk.objectKey { entries.append(.uploading(id, key: key)) }
            if let multipart = chunk.multipart {
                entries.append(.multipart(id, uploadID: multipart.uploadID, partSize: multipart.partSize))
                for (number, part) in multipart.parts.sorted(by: { $0.key < $1.key }) {
                    entries.append(.part(id, number: number, part))
                }
            }
        }
        for id in retained.sorted(by: { $0.hex < $1.hex }) where state.chunks[id] == nil {
            entries.append(.committed(id))
        }
        return entries
    }

    /// Rewrites the journal with only what is live.
    mutating func compact() throws {
        let temporary = path + ".new"
        try? fileSystem.remove(temporary)
        let fresh = try Self.createFile(at: temporary, entries: liveEntries, fileSystem: fileSystem)
        do {
            try fileSystem.rename(temporary, to: path)
            try fileSystem.syncDirectory(directory)
        } catch {
            fresh.file.close()
            throw error
        }
        writer.file.close()
        writer = fresh
        deadEntries = 0
        state.finished = retained
    }

    func close() {
        writer.file.close()
    }

    private static func copyToQuarantine(_ file: any SpoolFile, directory: String, fileSystem: any SpoolFileSystem) {
        guard let bytes = try? file.readAll() else { return }
        let folder = directory + "/quarantine"
        try? fileSystem.makeDirectory(folder)
        try? fileSystem.writeFile(folder + "/" + fileName + "." + String(WallClock.nanoseconds()), bytes)
    }

    private static func createFile(at path: String, entries: [JournalEntry], fileSystem: any SpoolFileSystem) throws -> FrameWriter {
        let file = try fileSystem.create(path, capacity: capacity)
        do {
            var header = magic + [version, 0]
            appendLittleEndian(UInt16(headerLength), to: &header)
            appendLittleEndian(WallClock.nanoseconds(), to: &header)
            try file.grow(to: FrameWriter.grownSize(current: 0, needed: headerLength, capacity: capacity))
            try file.write(header, at: 0)
            let writer = FrameWriter(file: file, end: headerLength, capacity: capacity)
            for entry in entries {
                try entry.encoded().withUnsafeBytes { try writer.append(head: [], body: $0) }
            }
            try file.sync()
            return FrameWriter(file: file, end: writer.end, capacity: capacity)
        } catch {
            file.close()
            try? fileSystem.remove(path)
            throw error
        }
    }
}
