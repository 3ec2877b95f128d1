import CivilTime
import NIOCore

/// Frames a syslog byte stream (LF or octet-counted, `SyslogFrameDecoder`) and hands the frames of one
/// read burst (several reads) on as one `FrameBatch`, so the pipeline pays its per-element costs (a
/// queue hop, a task switch) once per burst rather than once per message.
///
/// Frames are slices of the reads they arrive in, and reads are never copied: only a frame that a read
/// cuts short is, into storage of its own, joined there with as much of the next read as completes it.
/// (`ByteToMessageHandler` appends every read to what is left of the last one: a copy of every byte
/// received, and, while frames still share the last read's storage, of that storage too.)
final class SyslogStreamFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = FrameBatch

    private var framer: SyslogFrameDecoder
    /// The start of a frame the last read cut short, in storage of its own.
    private var carried: ByteBuffer?
    /// Bytes from a frame's start within which the framer hands it out (cut to the limit if need be):
    /// the limit, an octet count and its space.
    private let frameReach: Int
    private var batch = FrameBatch()
    /// Set from the TLS handshake, before the connection's first frame.
    private var peerIdentity: String?

    init(limit: Int) {
        framer = SyslogFrameDecoder(limit: limit)
        frameReach = limit + 16
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var read = unwrapInboundIn(data)
        // The framer and the batch are worked on as local values and put back after the read: every
        // access to a handler's property is checked at run time, and there is one per frame otherwise.
        var framer = self.framer
        var batch = self.batch
        self.batch = FrameBatch()
        if var joined = carried {
            carried = nil
            let carriedEnd = joined.readerIndex + joined.readableBytes
            var head = read.readSlice(length: min(read.readableBytes, frameReach))!
            joined.writeBuffer(&head)
            Self.takeFrames(from: &joined, upTo: carriedEnd, framer: &framer, into: &batch)
            if joined.readerIndex >= carriedEnd {
                // The carried frame is out; what was joined beyond it is read from the read itself.
                read.moveReaderIndex(to: read.readerIndex - joined.readableBytes)
            } else {
                // Not out yet (the framer reaches no further than `frameReach`, so this is only when
                // the read ended first): the rest of the read joins it.
                joined.writeBuffer(&read)
                read = joined
            }
        }
        Self.takeFrames(from: &read, upTo: .max, framer: &framer, into: &batch)
        if read.readableBytes > 0 {
            read.detachUnreadBytes()
            carried = read
        }
        self.framer = framer
        self.batch = batch
        if batch.frames.count >= FrameBatch.maximumFrames {
            flush(context: context)
        }
    }

    /// Frames from `buffer` into `batch` until it needs more bytes or its reader index reaches `end`.
    private static func takeFrames(
        from buffer: inout ByteBuffer, upTo end: Int, framer: inout SyslogFrameDecoder, into batch: inout FrameBatch
    ) {
        while buffer.readerIndex < end {
            switch framer.decodeNext(from: &buffer) {
            case .frame(let frame): batch.append(frame)
            case .progress: continue
            case .needMoreData: return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    /// At the end of the stream, what is carried is the last message, sent without its LF.
    private func finish(context: ChannelHandlerContext) {
        if var rest = carried, let frame = framer.finish(&rest) {
            batch.append(frame)
        }
        carried = nil
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
