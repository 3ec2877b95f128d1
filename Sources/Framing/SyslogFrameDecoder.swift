#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One decoded stream frame.
public struct DecodedFrame: Sendable, Equatable {
    public var bytes: ByteBuffer
    /// True when the frame was longer than the limit and only its first `limit` bytes are here.
    public var wasCut: Bool

    public init(bytes: ByteBuffer, wasCut: Bool) {
        self.bytes = bytes
        self.wasCut = wasCut
    }
}

/// Splits a syslog byte stream into messages, detecting the framing of each frame (RFC 6587):
/// octet counting (`<length> <message>`) when a frame starts with a length, a space and `<`,
/// otherwise non-transparent framing terminated by LF.
///
/// Memory stays bounded by `limit` whatever a client sends: a longer frame is cut to `limit` bytes and
/// the rest of it is discarded as it arrives, so a sender of endless bytes without a newline costs at most
/// one frame of buffer. Empty frames (bare LF, CR LF or NUL between frames) are skipped.
public struct SyslogFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = DecodedFrame

    /// The longest octet count accepted as one: ten digits already exceed any sane limit.
    private static let maximumCountDigits = 10

    private enum State {
        case frameStart
        /// Discarding the rest of a cut frame: a known number of bytes (octet counting) or up to the next LF.
        case discarding(remaining: Int?)
    }

    let limit: Int
    private var state = State.frameStart

    public init(limit: Int) {
        precondition(limit > 0, "message length limit must be positive")
        self.limit = limit
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch decodeNext(from: &buffer) {
        case .frame(let frame):
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        case .progress:
            return .continue
        case .needMoreData:
            return .needMoreData
        }
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        guard state == .needMoreData, seenEOF else { return state }
        if let frame = finish(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        return .needMoreData
    }

    /// At the end of the stream, once `decodeNext` needs more data: what is left is the last message,
    /// sent without its terminating LF (nothing while the rest of a cut frame was being discarded).
    /// Consumes the buffer.
    public mutating func finish(_ buffer: inout ByteBuffer) -> DecodedFrame? {
        defer { buffer.moveReaderIndex(to: buffer.writerIndex) }
        guard case .frameStart = state else { return nil }
        return trailingFrame(from: &buffer)
    }

    /// What one decoding step found.
    public enum Step: Equatable {
        case frame(DecodedFrame)
        /// Bytes were consumed (separators or a discarded remainder) without completing a frame.
        case progress
        case needMoreData
    }

    /// One decoding step, without a channel: the pure state machine that `decode` drives.
    public mutating func decodeNext(from buffer: inout ByteBuffer) -> Step {
        switch state {
        case .discarding(let remaining):
            return discard(remaining: remaining, from: &buffer)
        case .frameStart:
            if skipSeparators(in: &buffer) { return .progress }
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return .needMoreData }
            if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
                switch octetCountHeader(in: buffer) {
                case .needMoreData: return .needMoreData
                case .count(let count, let headerLength): return octetCountedFrame(count, headerLength, from: &buffer)
                case .notOctetCounted: break
                }
            }
            return lineFrame(from: &buffer)
        }
    }

    /// The frame left in `buffer` at end of stream, if any.
    public func trailingFrame(from buffer: inout ByteBuffer) -> DecodedFrame? {
        guard buffer.readableBytes > 0 else { return nil }
        // An octet-counted frame cut short by the end of the stream: its message, without the count.
        if let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9"),
            case .count(_, let headerLength) = octetCountHeader(in: buffer)
        {
            buffer.moveReaderIndex(forwardBy: headerLength)
        }
        let length = min(buffer.readableBytes, limit)
        let bytes = buffer.readSlice(length: length)!
        return DecodedFrame(bytes: bytes, wasCut: buffer.readableBytes > 0)
    }

    // MARK: - Steps

    private func skipSeparators(in buffer: inout ByteBuffer) -> Bool {
        // Through one pointer: a ByteBufferView read per byte checks the buffer's storage each time.
        let skipped = buffer.withUnsafeReadableBytes { bytes in
            bytes.prefix { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == 0 }.count
        }
        buffer.moveReaderIndex(forwardBy: skipped)
        return skipped > 0
    }

    private enum OctetCountHeader {
        case count(Int, headerLength: Int)
        case notOctetCounted
        case needMoreData
    }

    /// `DIGITS SP <`: a length, then a message that starts with its PRI. Requiring the `<` keeps
    /// LF-framed lines that happen to start with a number out of octet counting.
    private func octetCountHeader(in buffer: ByteBuffer) -> OctetCountHeader {
        var count = 0
        var digits = 0
        var index = buffer.readerIndex
        while let byte = buffer.getInteger(at: index, as: UInt8.self) {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= Self.maximumCountDigits else { return .notOctetCounted }
                count = count * 10 + Int(byte - UInt8(ascii: "0"))
                index += 1
                continue
            }
            guard byte == UInt8(ascii: " ") else { return .notOctetCounted }
            guard let next = buffer.getInteger(at: index + 1, as: UInt8.self) else { return .needMoreData }
            return next == UInt8(ascii: "<") ? .count(count, headerLength: digits + 1) : .notOctetCounted
        }
        return .needMoreData
    }

    private mutating func octetCountedFrame(_ count: Int, _ headerLength: Int, from buffer: inout ByteBuffer) -> Step {
        let kept = min(count, limit)
        guard buffer.readableBytes >= headerLength + kept else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: headerLength)
        let bytes = buffer.readSlice(length: kept)!
        if count > kept {
            state = .discarding(remaining: count - kept)
        }
        return .frame(DecodedFrame(bytes: bytes, wasCut: count > kept))
    }

    private mutating func lineFrame(from buffer: inout ByteBuffer) -> Step {
        if let length = Self.newlineOffset(in: buffer, within: limit + 1) {
            if length <= limit {
                let bytes = buffer.readSlice(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                return .frame(DecodedFrame(bytes: bytes, wasCut: false))
            }
        }
        guard buffer.readableBytes > limit else { return .needMoreData }
        // No LF within the limit: keep the first `limit` bytes, drop the rest of the line as it comes.
        let bytes = buffer.readSlice(length: limit)!
        state = .discarding(remaining: nil)
        return .frame(DecodedFrame(bytes: bytes, wasCut: true))
    }

    /// Where the first LF is among the first `count` readable bytes (memchr: the scan is most of the
    /// framer's work on LF-framed streams).
    static func newlineOffset(in buffer: ByteBuffer, within count: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, let found = memchr(base, 0x0A, min(count, bytes.count)) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    private mutating func discard(remaining: Int?, from buffer: inout ByteBuffer) -> Step {
        if let remaining {
            let count = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: count)
            state = count == remaining ? .frameStart : .discarding(remaining: remaining - count)
            return count == remaining ? .progress : .needMoreData
        }
        if let newline = Self.newlineOffset(in: buffer, within: buffer.readableBytes) {
            buffer.moveReaderIndex(forwardBy: newline + 1)
            state = .frameStart
            return .progress
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
