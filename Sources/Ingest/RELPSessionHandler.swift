import Framing
import CivilTime
import Logging
import NIOCore

/// What a RELP receiver's sessions share.
public struct RELPConfiguration: Sendable {
    /// The receiver's name in senders' keys and logs, e.g. `relp/0.0.0.0:2514`: stable across restarts,
    /// since receipts in the buffer name senders by it.
    public var name: String
    public var resendFilter: ResendFilter

    public init(name: String, resendFilter: ResendFilter) {
        self.name = name
        self.resendFilter = resendFilter
    }
}

/// The server side of one RELP session, as librelp's server speaks it to rsyslog's `omrelp`.
///
/// `open` is answered at once with the offers; `syslog` frames of one read burst go on as one
/// `FrameBatch` carrying a `DeliveryAcknowledgement`, and each transaction is answered `200 OK` only
/// once its message is durable in every buffer it went to, in the order the transactions came. `close`
/// is answered once everything before it is. A batch that could not be stored closes the session
/// unanswered: the sender resends it after reconnecting.
///
/// Answers queue in the channel; while they cannot be written (a sender that does not read) the
/// session stops reading, so a sender gets no further than its answers.
///
/// The session frames its reads itself (`ReadFramer`), in place: no read is copied, and a frame does
/// not cross the channel pipeline on its own. A malformed frame ends the session (librelp does the
/// same), and the sender resends what was not answered.
///
/// The handler is an adapter: what to answer, when to hand a batch on and what the `ResendFilter` is
/// told are decided by `RELPSessionStateMachine`; the handler carries out its actions on the channel.
final class RELPSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = FrameBatch
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: RELPConfiguration
    private let logger: Logger
    private var machine: RELPSessionStateMachine
    private var sender = ""
    private var context: ChannelHandlerContext?
    /// The subject of the sender's verified TLS client certificate (RELP over TLS).
    private var peerIdentity: String?

    /// Frames the session's reads; nil while a read is being framed, and for good once a malformed
    /// frame has ended the session.
    private var framer: ReadFramer<RELPFrameDecoder>?

    /// `limit`: the longest message kept; longer DATA is cut to it.
    init(configuration: RELPConfiguration, limit: Int, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.machine = RELPSessionStateMachine(window: configuration.resendFilter.window)
        self.framer = ReadFramer(RELPFrameDecoder(limit: limit))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sender = "\(configuration.name) \(context.channel.remoteAddress?.ipAddress ?? "?")"
        machine.channelActive(resend: configuration.resendFilter.claim(sender))
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Worked on as a local value: every access to a handler's property is checked at run time.
        guard var framer = self.framer else { return }  // a malformed frame ended the session
        self.framer = nil
        do {
            try framer.frames(in: unwrapInboundIn(data)) { frame in
                let action = machine.frameReceived(frame)
                if case .none = action { return }
                perform(action, context: context)
            }
            self.framer = framer
        } catch {
            logger.warning("RELP session from \(sender) ended: \(error)")
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        perform(machine.readComplete(), context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .wrapUp(let forward, let digests) = machine.channelInactive() {
            if let forward { self.forward(forward, context: context) }
            configuration.resendFilter.handOver(sender, digests: digests)
        }
        context.fireChannelInactive()
    }

    /// A verified TLS client certificate: its subject goes with every batch. The receiver stops: see
    /// `RELPSessionStateMachine.receiverStopping()`.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let identity = event as? TLSPeerIdentity {
            peerIdentity = identity.subject
            return context.fireUserInboundEventTriggered(event)
        }
        guard event is ReceiverStopping else { return context.fireUserInboundEventTriggered(event) }
        perform(machine.receiverStopping(), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("RELP session from \(sender) ended: \(error)")
        context.close(promise: nil)
    }

    // MARK: - Reading no further than the sender reads its answers

    func read(context: ChannelHandlerContext) {
        if machine.readRequested(channelIsWritable: context.channel.isWritable) == .read {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if machine.writabilityChanged(channelIsWritable: context.channel.isWritable) == .read {
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Carrying out the session's actions

    private func perform(_ action: RELPSessionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .answer(let answer):
            self.answer(answer, context: context)
        case .reject(let response):
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
            context.close(promise: nil)
        case .forward(let forward, let answer):
            self.forward(forward, context: context)
            self.answer(answer, context: context)
        case .recognisedResend(let transaction, let answer):
            logger.debug("acknowledging a resent message already stored", metadata: ["sender": "\(sender)", "txnr": "\(transaction)"])
            self.answer(answer, context: context)
        case .withdraw(let digests):
            configuration.resendFilter.withdraw(sender, digests: digests)
        }
    }

    private func answer(_ answer: RELPSessionStateMachine.Answer, context: ChannelHandlerContext) {
        switch answer {
        case .none:
            break
        case .write(let answers):
            context.writeAndFlush(wrapOutboundOut(answers), promise: nil)
        case .writeThenClose(let answers):
            let closing = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(answers)).whenComplete { _ in closing.value.close(promise: nil) }
        case .refuse(let answers, let messages):
            logger.warning("could not store \(messages) messages from RELP sender \(sender); closing the session unanswered so it sends them again")
            if answers.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(answers), promise: nil) }
            context.close(promise: nil)
        }
    }

    /// Hands a batch on down the pipeline with an acknowledgement that reports back on the event loop.
    private func forward(_ forward: RELPSessionStateMachine.Forward, context: ChannelHandlerContext) {
        var batch = FrameBatch(frames: forward.frames, cutFrames: forward.cutFrames, byteCount: forward.byteCount)
        batch.digests = forward.digests
        let (id, handler, eventLoop) = (forward.id, NIOLoopBound(self, eventLoop: context.eventLoop), context.eventLoop)
        batch.acknowledgement = DeliveryAcknowledgement { stored in
            eventLoop.execute { handler.value.batchResolved(id, stored: stored) }
        }
        batch.sender = sender
        batch.peerIdentity = peerIdentity
        batch.receivedAt = WallClock.nanoseconds()
        batch.peer = context.channel.remoteAddress
        context.fireChannelRead(wrapInboundOut(batch))
    }

    private func batchResolved(_ id: Int, stored: Bool) {
        let action = machine.batchResolved(id: id, stored: stored, channelIsActive: context?.channel.isActive ?? false)
        if case .withdraw(let digests) = action {
            configuration.resendFilter.withdraw(sender, digests: digests)
        } else if let context {
            perform(action, context: context)
        }
    }
}
