import NIOCore

/// One RELP frame (rsyslog's Reliable Event Logging Protocol, as librelp speaks it):
///
///     TXNR SP COMMAND SP DATALEN [SP DATA] LF
///
/// TXNR is the transaction number the answer (`rsp`) repeats, 1 to 999,999,999; COMMAND is `open`,
/// `syslog`, `close`, `rsp` or `serverclose`; DATALEN counts the bytes of DATA, which for `syslog` is
/// one syslog message.
public struct RELPFrame: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        case open, syslog, close, rsp, serverclose
        case other(String)

        init(_ name: String) {
            switch name {
            case "open": self = .open
            case "syslog": self = .syslog
            case "close": self = .close
            case "rsp": self = .rsp
            case "serverclose": self = .serverclose
            default: self = .other(name)
            }
        }

        /// The command named by `bytes`; a string is made only for a command this receiver does not know.
        init(_ bytes: UnsafeRawBufferPointer) {
            let syslog: StaticString = "syslog"
            if bytes.count == syslog.utf8CodeUnitCount,
               bytes.elementsEqual(UnsafeRawBufferPointer(start: syslog.utf8Start, count: syslog.utf8CodeUnitCount)) {
                self = .syslog
            } else {
                self.init(String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    public var transaction: Int
    public var command: Command
    public var data: ByteBuffer
    /// DATA was longer than the message length limit and only its first `limit` bytes are here.
    public var wasCut: Bool

    public init(transaction: Int, command: Command, data: ByteBuffer, wasCut: Bool = false) {
        self.transaction = transaction
        self.command = command
        self.data = data
        self.wasCut = wasCut
    }

    /// Appends an answer: `TXNR rsp DATALEN [SP TEXT] LF`, in one write.
    public static func writeResponse(transaction: Int, text: String, to buffer: inout ByteBuffer) {
        precondition(transaction >= 0, "negative transaction number")
        var text = text
        text.withUTF8 { text in
            let transactionDigits = DecimalText.digits(transaction)
            let lengthDigits = DecimalText.digits(text.count)
            let length = transactionDigits + rsp.count + lengthDigits + (text.isEmpty ? 0 : 1 + text.count) + 1
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { room in
                DecimalText.write(transaction, digits: transactionDigits, into: room, at: 0)
                var cursor = transactionDigits
                UnsafeMutableRawBufferPointer(rebasing: room[cursor...]).copyBytes(from: rsp)
                cursor += rsp.count
                DecimalText.write(text.count, digits: lengthDigits, into: room, at: cursor)
                cursor += lengthDigits
                if !text.isEmpty {
                    room[cursor] = UInt8(ascii: " ")
                    UnsafeMutableRawBufferPointer(rebasing: room[(cursor + 1)...]).copyMemory(from: UnsafeRawBufferPointer(text))
                    cursor += 1 + text.count
                }
                room[cursor] = UInt8(ascii: "\n")
                return cursor + 1
            }
        }
    }

    private static let rsp: [UInt8] = Array(" rsp ".utf8)
}

/// A RELP frame that cannot be read: the stream cannot be resynchronised, so the session ends (as
/// librelp ends it) and the sender resends what was not acknowledged.
public struct RELPProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "RELP protocol error: \(detail)" }
}

/// Splits a RELP byte stream into frames. Memory stays bounded by `limit` whatever a client sends: the
/// DATA of a longer frame is cut to `limit` bytes and the rest discarded as it arrives.
public struct RELPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RELPFrame

    static let maximumDigits = 9
    static let maximumCommandLength = 32
    private enum State {
        case header
        /// DATA of `length` bytes, then the LF trailer.
        case data(transaction: Int, command: RELPFrame.Command, length: Int)
        /// Discarding the rest of a cut DATA; the frame comes out after its trailer.
        case discarding(remaining: Int, frame: RELPFrame)
        /// A frame whole but for its LF: only a frame with its trailer is handed out, so how the
        /// stream was cut into reads never changes what comes out.
        case trailer(RELPFrame)
    }

    let limit: Int
    private var state = State.header

    public init(limit: Int) {
        precondition(limit > 0, "message length limit must be positive")
        self.limit = limit
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try decodeNext(from: &buffer) else {
            if buffer.readerIndex > 0 { buffer.detachUnreadBytes() }
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut short by the end of the connection was never complete: nothing to acknowledge.
        while let frame = try decodeNext(from: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The next whole frame in `buffer`, or nil when more bytes are needed; throws on a malformed frame.
    /// The pure state machine `decode` drives (the fuzz target calls it directly).
    public mutating func decodeNext(from buffer: inout ByteBuffer) throws -> RELPFrame? {
        while true {
            switch state {
            case .header:
                guard let (transaction, command, length, headerLength) = try header(in: buffer) else { return nil }
                buffer.moveReaderIndex(forwardBy: headerLength)
                state = length == 0
                    ? .trailer(RELPFrame(transaction: transaction, command: command, data: ByteBuffer()))
                    : .data(transaction: transaction, command: command, length: length)
            case .data(let transaction, let command, let length):
                let kept = min(length, limit)
                guard buffer.readableBytes >= kept else { return nil }
                let frame = RELPFrame(transaction: transaction, command: command, data: buffer.readSlice(length: kept)!, wasCut: length > kept)
                state = length > kept ? .discarding(remaining: length - kept, frame: frame) : .trailer(frame)
            case .discarding(let remaining, let frame):
                let count = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: count)
                guard count == remaining else {
                    state = .discarding(remaining: remaining - count, frame: frame)
                    return nil
                }
                state = .trailer(frame)
            case .trailer(let frame):
                guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
                guard byte == UInt8(ascii: "\n") else {
                    throw RELPProtocolError(detail: "frame not ended by LF (found byte \(byte))")
                }
                state = .header
                return frame
            }
        }
    }

    /// TXNR SP COMMAND SP DATALEN, then SP before DATA or the LF trailer when DATALEN is 0 (left unread).
    private func header(in buffer: ByteBuffer) throws -> (Int, RELPFrame.Command, Int, Int)? {
        // Read through one pointer: a ByteBufferView read per byte checks the buffer's storage each time.
        try buffer.withUnsafeReadableBytes { bytes in
            var scanner = HeaderScanner(bytes: bytes)
            guard let transaction = try scanner.number("the transaction number"), try scanner.space(after: "the transaction number") else {
                return nil
            }
            guard let command = try scanner.command() else { return nil }
            guard let length = try scanner.number("the data length") else { return nil }
            if length > 0 {
                guard try scanner.space(after: "the data length") else { return nil }
            } else if bytes[scanner.index] == UInt8(ascii: " ") {
                // Some senders write a space before an empty DATA.
                scanner.index += 1
            }
            return (transaction, command, length, scanner.index)
        }
    }
}

/// Reads a frame header's fields front to back; nil from a reader means the header is not all there yet.
private struct HeaderScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func number(_ what: String) throws -> Int? {
        var value = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            digits += 1
            guard digits <= RELPFrameDecoder.maximumDigits else {
                throw RELPProtocolError(detail: "\(what) has more than \(RELPFrameDecoder.maximumDigits) digits")
            }
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index < bytes.count else { return nil }
        guard digits > 0 else { throw RELPProtocolError(detail: "\(what) is not a number") }
        return value
    }

    mutating func space(after what: String) throws -> Bool {
        guard index < bytes.count else { return false }
        guard bytes[index] == UInt8(ascii: " ") else { throw RELPProtocolError(detail: "no space after \(what)") }
        index += 1
        return true
    }

    /// A lower-case command of at most `maximumCommandLength` letters and the space after it.
    mutating func command() throws -> RELPFrame.Command? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\n") {
            guard index - start < RELPFrameDecoder.maximumCommandLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[index]) else {
                throw RELPProtocolError(detail: "bad command")
            }
            index += 1
        }
        guard index < bytes.count else { return nil }
        guard index > start, bytes[index] == UInt8(ascii: " ") else { throw RELPProtocolError(detail: "bad command") }
        let command = RELPFrame.Command(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        index += 1
        return command
    }
}
