import Framing
import NIOCore

/// Renders one connection's messages straight into write buffers: a header cached per second, the
/// sequence number written in place, padding copied from a filler, framing around each message.
///
/// A generated message is `<header>seq=<connection>:<number>`, then, when `size` asks for more bytes,
/// one space and filler characters up to exactly `size` bytes. Both numbers are decimal without leading
/// zeros; connections count from 0, messages of each connection from 0.
struct MessageRenderer {
    enum Framing {
        /// One message per datagram.
        case none
        case lf
        case octetCounted
        /// `TXNR syslog LEN MSG LF`, transactions numbered from 2 (`RELPClientSession` sends `open` as 1).
        case relp
    }

    private let configuration: LoadGenerator.Configuration
    private let framing: Framing
    private let connectionText: [UInt8]
    /// Header of the current second, `seq=` and `<connection>:`.
    private var prefix: [UInt8] = []
    private var prefixSecond: Int64 = .min
    /// Space and filler, at least `size` bytes long.
    private let padding: [UInt8]
    private let corpus: Corpus?

    /// The number of the next generated message (or the index of the next corpus line, modulo the count).
    private(set) var sequence = 0

    /// The most bytes one framed message can take: a write buffer must hold at least one.
    let largestFramedMessage: Int

    init(configuration: LoadGenerator.Configuration, connection: Int) {
        self.configuration = configuration
        switch configuration.transport {
        case .udp: framing = .none
        case .tcp, .tls: framing = configuration.framing == .lf ? .lf : .octetCounted
        case .relp: framing = .relp
        }
        connectionText = Array("\(connection):".utf8)
        corpus = configuration.corpus
        var padding: [UInt8] = [UInt8(ascii: " ")]
        let filler = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        while padding.count < configuration.size { padding.append(filler[(padding.count - 1) % filler.count]) }
        self.padding = padding
        let header = SyslogHeader.render(
            format: configuration.format, wallSeconds: 0, priority: configuration.priority,
            hostname: configuration.hostname, appName: configuration.appName, processID: configuration.processID
        )
        // The header grows by at most a few digits of the year; 40 covers them, the sequence number,
        // the octet count and its space, and the line feed.
        let body = corpus?.longestLine ?? max(configuration.size, header.count + connectionText.count + 40)
        largestFramedMessage = body + 40
    }

    /// Renders the header for the wall-clock second `wallSeconds` if it changed.
    mutating func refresh(wallSeconds: Int64) {
        guard corpus == nil, wallSeconds != prefixSecond else { return }
        prefixSecond = wallSeconds
        prefix = SyslogHeader.render(
            format: configuration.format, wallSeconds: wallSeconds, priority: configuration.priority,
            hostname: configuration.hostname, appName: configuration.appName, processID: configuration.processID
        )
        prefix += connectionText
    }

    /// Appends up to `count` framed messages to `buffer`, stopping before the one that would take it past
    /// `maximumBytes` more bytes (at least one is always rendered). The framed length of each message is
    /// appended to `lengths` (datagrams are cut from the buffer by them). Returns the number rendered.
    mutating func render(count: Int, maximumBytes: Int, into buffer: inout ByteBuffer, lengths: inout [Int]) -> Int {
        precondition(count > 0)
        let room = max(maximumBytes, largestFramedMessage)
        var rendered = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { output in
            var offset = 0
            while rendered < count {
                let written = corpus == nil
                    ? renderGenerated(into: output, at: offset, limit: room)
                    : renderCorpusLine(into: output, at: offset, limit: room)
                guard written > 0 else { break }
                offset += written
                rendered += 1
                sequence += 1
                lengths.append(written)
            }
            return offset
        }
        return rendered
    }

    /// Writes message `sequence` at `offset`; 0 when it would pass `limit` (and it is not the first).
    private func renderGenerated(into output: UnsafeMutableRawBufferPointer, at offset: Int, limit: Int) -> Int {
        let digits = DecimalText.digits(sequence)
        let natural = prefix.count + digits
        let body = max(natural, configuration.size)
        let framed = framedLength(body: body)
        guard offset == 0 || offset + framed <= limit else { return 0 }
        var cursor = offset
        cursor = writeFramingHead(body: body, into: output, at: cursor)
        prefix.withUnsafeBytes { output.baseAddress!.advanced(by: cursor).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        cursor += prefix.count
        DecimalText.write(sequence, digits: digits, into: output, at: cursor)
        cursor += digits
        if body > natural {
            padding.withUnsafeBytes {
                output.baseAddress!.advanced(by: cursor).copyMemory(from: $0.baseAddress!, byteCount: body - natural)
            }
            cursor += body - natural
        }
        cursor = writeFramingTail(into: output, at: cursor)
        return cursor - offset
    }

    private func renderCorpusLine(into output: UnsafeMutableRawBufferPointer, at offset: Int, limit: Int) -> Int {
        let corpus = corpus!
        let line = sequence % corpus.lineCount
        let start = corpus.starts[line]
        let body = corpus.starts[line + 1] - start
        let framed = framedLength(body: body)
        guard offset == 0 || offset + framed <= limit else { return 0 }
        var cursor = writeFramingHead(body: body, into: output, at: offset)
        corpus.bytes.withUnsafeBytes {
            output.baseAddress!.advanced(by: cursor).copyMemory(from: $0.baseAddress! + start, byteCount: body)
        }
        cursor += body
        cursor = writeFramingTail(into: output, at: cursor)
        return cursor - offset
    }

    private func framedLength(body: Int) -> Int {
        switch framing {
        case .none: body
        case .lf: body + 1
        case .octetCounted: DecimalText.digits(body) + 1 + body
        case .relp: DecimalText.digits(RELPClientSession.transaction(ofMessage: sequence)) + Self.relpCommand.count + DecimalText.digits(body) + 1 + body + 1
        }
    }

    private static let relpCommand = Array(" syslog ".utf8)

    private func writeFramingHead(body: Int, into output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var offset = offset
        if framing == .relp {
            let transaction = RELPClientSession.transaction(ofMessage: sequence)
            let digits = DecimalText.digits(transaction)
            DecimalText.write(transaction, digits: digits, into: output, at: offset)
            offset += digits
            Self.relpCommand.withUnsafeBytes { output.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += Self.relpCommand.count
        } else if framing != .octetCounted {
            return offset
        }
        let digits = DecimalText.digits(body)
        DecimalText.write(body, digits: digits, into: output, at: offset)
        output[offset + digits] = UInt8(ascii: " ")
        return offset + digits + 1
    }

    /// The LF that ends an LF-framed message and a RELP frame.
    private func writeFramingTail(into output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        guard framing == .lf || framing == .relp else { return offset }
        output[offset] = UInt8(ascii: "\n")
        return offset + 1
    }
}
