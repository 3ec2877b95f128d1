import CivilTime
import NIOCore

/// The stream framer run over each read: the read's frames go on as one `FrameBatch`, so they cross
/// the channel pipeline once per read rather than one by one (a boxed, dynamically cast value and a
/// handler call each).
struct SyslogBatchDecoder: ByteToMessageDecoder {
    typealias InboundOut = FrameBatch

    private var framer: SyslogFrameDecoder

    init(limit: Int) {
        framer = SyslogFrameDecoder(limit: limit)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var batch = FrameBatch()
        decoding: while true {
            switch framer.decodeNext(from: &buffer) {
            case .frame(let frame): batch.append(frame)
            case .progress: continue
            case .needMoreData: break decoding
            }
        }
        if !batch.frames.isEmpty {
            context.fireChannelRead(Self.wrapInboundOut(batch))
            buffer.detachUnreadBytes()
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        if seenEOF, let frame = framer.finish(&buffer) {
            var last = FrameBatch()
            last.append(frame)
            context.fireChannelRead(Self.wrapInboundOut(last))
        }
        return .needMoreData
    }
}

/// Gathers the frames of one read burst (several reads) into a `FrameBatch`, so the pipeline pays its
/// per-element costs (a queue hop, a task switch) once per burst rather than once per message.
final class StreamFrameBatcher: ChannelInboundHandler {
    typealias InboundIn = FrameBatch
    typealias InboundOut = FrameBatch

    /// A burst larger than this is handed on in parts, so one batch stays small.
    static let maximumFrames = 1024

    private var batch = FrameBatch()
    /// Set from the TLS handshake, before the connection's first frame.
    private var peerIdentity: String?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let read = unwrapInboundIn(data)
        if batch.frames.isEmpty {
            batch = read
        } else {
            batch.frames += read.frames
            batch.byteCount += read.byteCount
            batch.cutFrames += read.cutFrames
        }
        if batch.frames.count >= Self.maximumFrames {
            flush(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let identity = event as? TLSPeerIdentity { peerIdentity = identity.subject }
        context.fireUserInboundEventTriggered(event)
    }

    private func flush(context: ChannelHandlerContext) {
        guard !batch.frames.isEmpty else { return }
        batch.receivedAt = WallClock.nanoseconds()
        batch.peer = context.channel.remoteAddress
        batch.peerIdentity = peerIdentity
        context.fireChannelRead(wrapInboundOut(batch))
        batch = FrameBatch()
    }
}

/// The datagram counterpart: one datagram is one message (RFC 5426). A trailing LF, which some senders
/// add, is not part of the message.
final class DatagramFrameBatcher: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = FrameBatch

    private let limit: Int
    private let keepsSenders: Bool
    private var batch = FrameBatch()

    init(limit: Int, keepsSenders: Bool = false) {
        self.limit = limit
        self.keepsSenders = keepsSenders
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        var datagram = envelope.data
        batch.byteCount += datagram.readableBytes
        while datagram.readableBytes > 0,
            let last = datagram.getInteger(at: datagram.writerIndex - 1, as: UInt8.self),
            last == UInt8(ascii: "\n") || last == 0
        {
            datagram.moveWriterIndex(to: datagram.writerIndex - 1)
        }
        guard datagram.readableBytes > 0 else { return }
        if datagram.readableBytes > limit {
            datagram.moveWriterIndex(to: datagram.readerIndex + limit)
            batch.cutFrames += 1
        }
        batch.frames.append(datagram)
        if keepsSenders {
            if batch.framePeers == nil { batch.framePeers = [] }
            batch.framePeers!.append(envelope.remoteAddress)
        }
        if batch.frames.count >= StreamFrameBatcher.maximumFrames {
            flush(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    private func flush(context: ChannelHandlerContext) {
        guard !batch.frames.isEmpty else { return }
        batch.receivedAt = WallClock.nanoseconds()
        context.fireChannelRead(wrapInboundOut(batch))
        batch = FrameBatch()
    }
}
