#if canImport(Glibc)
import Glibc
#endif

/// Hands out `%{index}` numbers: per time slice, each new chunk gets the next number, and a number is
/// never handed out twice, also after its chunk was uploaded and deleted and Sluice restarted. Without
/// this, a restart would reuse `_0` and overwrite an object already in the bucket.
///
/// File `index.ledger`: one line `<time slice> <index>` per chunk created, appended and synced before
/// the chunk is used. Loading keeps the highest index per slice, and rewrites the file to one line per
/// slice (a temporary file, synced, renamed over it) when it has grown to many more lines than that.
struct ChunkIndexLedger {
    static let fileName = "index.ledger"

    private let path: String
    private var next: [Int64: Int] = [:]

    init(directory: String) throws {
        path = directory + "/" + Self.fileName
        let fd = try FileIO.open(path, flags: O_RDWR | O_CREAT)
        defer { close(fd) }
        let size = try FileIO.size(fd, path: path)
        let bytes = try FileIO.read(fd, count: size, at: 0, path: path)
        // A torn last line (crash while appending) is ignored, since its chunk was never used, and cut
        // off: otherwise the next line would be appended to it and lost on the next start.
        let complete = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        if complete < bytes.count {
            try FileIO.truncate(fd, to: complete, path: path)
            try FileIO.sync(fd, path: path)
        }
        for line in bytes[..<complete].split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2,
                let slice = Int64(String(decoding: fields[0], as: UTF8.self)),
                let index = Int(String(decoding: fields[1], as: UTF8.self))
            else { continue }
            next[slice] = max(next[slice] ?? 0, index + 1)
        }
        let lines = lineCount(bytes[..<complete])
        if lines > 2 * next.count + 64 {
            try compact()
        }
    }

    /// Rewrites the ledger as one line per slice holding its highest index.
    private func compact() throws {
        let temporary = path + ".tmp"
        let fd = try FileIO.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        let text = next.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value - 1)\n" }.joined()
        try FileIO.writeAll(fd, Array(text.utf8), path: temporary)
        try FileIO.sync(fd, path: temporary)
        try FileIO.rename(temporary, path)
    }

    /// Takes into account a chunk found on disk (its ledger line may have been torn).
    mutating func observe(slice: Int64, index: Int) {
        next[slice] = max(next[slice] ?? 0, index + 1)
    }

    /// The next index for `slice`, recorded durably before it is returned.
    mutating func take(slice: Int64) throws -> Int {
        let index = next[slice] ?? 0
        let fd = try FileIO.open(path, flags: O_WRONLY | O_APPEND | O_CREAT)
        defer { close(fd) }
        try FileIO.writeAll(fd, Array("\(slice) \(index)\n".utf8), path: path)
        try FileIO.sync(fd, path: path)
        next[slice] = index + 1
        return index
    }
}
