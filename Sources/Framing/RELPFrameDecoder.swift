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

    /// Appends an answer: `TXNR rsp DATALEN [SP TEXT] LF`.
    public static func writeResponse(transaction: Int, text: String, to buffer: inout ByteBuffer) {
        let length = text.utf8.count
        buffer.writeString(length == 0 ? "\(transaction) rsp 0\n" : "\(transaction) rsp \(length) \(text)\n")
    }
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

    private let limit: Int
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
        let view = buffer.readableBytesView
        var index = view.startIndex
        func number(_ what: String) throws -> Int? {
            var value = 0
            var digits = 0
            while index < view.endIndex, view[index] >= UInt8(ascii: "0"), view[index] <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= Self.maximumDigits else { throw RELPProtocolError(detail: "\(what) has more than \(Self.maximumDigits) digits") }
                value = value * 10 + Int(view[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index < view.endIndex else { return nil }
            guard digits > 0 else { throw RELPProtocolError(detail: "\(what) is not a number") }
            return value
        }
        func space(after what: String) throws -> Bool {
            guard index < view.endIndex else { return false }
            guard view[index] == UInt8(ascii: " ") else { throw RELPProtocolError(detail: "no space after \(what)") }
            index += 1
            return true
        }
        guard let transaction = try number("the transaction number"), try space(after: "the transaction number") else { return nil }
        let commandStart = index
        while index < view.endIndex, view[index] != UInt8(ascii: " "), view[index] != UInt8(ascii: "\n") {
            guard index - commandStart < Self.maximumCommandLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(view[index]) else {
                throw RELPProtocolError(detail: "bad command")
            }
            index += 1
        }
        guard index < view.endIndex else { return nil }
        guard index > commandStart, view[index] == UInt8(ascii: " ") else { throw RELPProtocolError(detail: "bad command") }
        let command = RELPFrame.Command(String(decoding: view[commandStart..<index], as: UTF8.self))
        index += 1
        guard let length = try number("the data length") else { return nil }
        if length > 0 {
            guard try space(after: "the data length") else { return nil }
        } else if view[index] == UInt8(ascii: " ") {
            // Some senders write a space before an empty DATA.
            index += 1
        }
        return (transaction, command, length, index - view.startIndex)
    }
}
