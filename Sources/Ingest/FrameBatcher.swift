import Framing
import CivilTime
import NIOCore

/// Frames a syslog byte stream (LF or octet-counted, `SyslogFrameDecoder`) in place (`ReadFramer`) and
/// hands the frames of one read burst (several reads) on as one `FrameBatch`, so the pipeline pays its
/// per-element costs (a queue hop, a task switch) once per burst rather than once per message.
final class SyslogStreamFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = FrameBatch

    private var framer: ReadFramer<SyslogFrameDecoder>
    private var batch = FrameBatch()
    /// Set from the TLS handshake, before the connection's first frame.
    private var peerIdentity: String?

    init(limit: Int) {
        framer = ReadFramer(SyslogFrameDecoder(limit: limit))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The framer and the batch are worked on as local values and put back after the read: every
        // access to a handler's property is checked at run time, and there is one per frame otherwise.
        var framer = self.framer
        var batch = self.batch
        self.batch = FrameBatch()
        framer.frames(in: unwrapInboundIn(data)) { batch.append($0) }
        self.framer = framer
        self.batch = batch
        if batch.frames.count >= FrameBatch.maximumFrames {
            flush(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    /// At the end of the stream, what is carried is the last message, sent without its LF.
    private func finish(context: ChannelHandlerContext) {
        if var rest = framer.takeCarried(), let frame = framer.decoder.finish(&rest) {
            batch.append(frame)
        }
        flush(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let identity = event as? TLSPeerIdentity { peerIdentity = identity.subject }
        if event as? ChannelEvent == .inputClosed { finish(context: context) }
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
        if batch.frames.count >= FrameBatch.maximumFrames {
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
