#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines to replay instead of generated messages, kept back to back in one array so a connection copies
/// them without touching the allocator. Each line is sent as it is: no numbering is added, so a
/// checker of loss and order needs generated messages (or numbered lines in the file).
public struct Corpus: Sendable, Hashable {
    /// The lines' bytes, back to back, without line ends.
    let bytes: [UInt8]
    /// Start offsets of the lines in `bytes`, plus `bytes.count` at the end.
    let starts: [Int]

    /// Lines without their end (`\n` or `\r\n`); empty lines are dropped. Nil when none is left.
    public init?(lines: some Sequence<some StringProtocol>) {
        self.init(lineBytes: lines.lazy.map { Array($0.utf8) })
    }

    /// Lines as bytes (kept as they are: a corpus need not be UTF-8).
    public init?(lineBytes: some Sequence<some Collection<UInt8>>) {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        for line in lineBytes {
            var line = Array(line)
            while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { line.removeLast() }
            guard !line.isEmpty else { continue }
            starts.append(bytes.count)
            bytes.append(contentsOf: line)
        }
        guard !starts.isEmpty else { return nil }
        starts.append(bytes.count)
        self.bytes = bytes
        self.starts = starts
    }

    /// Reads the lines of a file (up to 1 GiB).
    public init(contentsOfFile path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LoadGenError(code: .unreadableCorpus, detail: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw LoadGenError(code: .unreadableCorpus, detail: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            content.append(contentsOf: chunk[..<count])
            guard content.count <= 1 << 30 else {
                throw LoadGenError(code: .unreadableCorpus, detail: "\(path) is over 1 GiB")
            }
        }
        let lines = content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let corpus = Corpus(lineBytes: lines) else {
            throw LoadGenError(code: .unreadableCorpus, detail: "\(path) has no non-empty line")
        }
        self = corpus
    }

    public var lineCount: Int { starts.count - 1 }

    public var longestLine: Int {
        (0..<lineCount).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
    }
}
