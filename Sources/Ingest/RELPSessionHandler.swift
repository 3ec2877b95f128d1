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
final class RELPSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = FrameBatch
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let software = "sluice,1,https://github.com/sluice"

    private enum State {
        case awaitingOpen
        case open
        /// `close` came: answered once nothing is pending.
        case closing(transaction: Int)
        case closed
    }

    /// The transactions read since the last hand-on and the batch of their messages, changed through
    /// one call per frame: each access to a class's property is checked at run time.
    private struct Incoming {
        var batch = FrameBatch()
        var transactions: [Int] = []

        /// Adds a transaction; its message joins the batch unless it is stored already (a resend).
        /// Returns how many transactions there are now.
        mutating func add(_ frame: RELPFrame, digest: UInt64, alreadyStored: Bool) -> Int {
            transactions.append(frame.transaction)
            batch.digests.append(digest)
            if !alreadyStored {
                batch.frames.append(frame.data)
                batch.byteCount += frame.data.readableBytes
                if frame.wasCut { batch.cutFrames += 1 }
            }
            return transactions.count
        }
    }

    /// Transactions handed on together, answered together.
    private struct Pending {
        var transactions: [Int]
        var digests: [UInt64]
        /// nil until the acknowledgement resolves.
        var stored: Bool?
    }

    private let configuration: RELPConfiguration
    private let logger: Logger
    private var state = State.awaitingOpen
    private var sender = ""
    private var context: ChannelHandlerContext?

    private var incoming = Incoming()
    private var pending = CircularBuffer<Pending>()
    /// The id of `pending.first`; ids count batches over the session.
    private var firstPendingID = 0
    /// Digests of the last messages acknowledged, oldest first: handed over if the session breaks, since
    /// the sender may not have read those answers.
    private var recent = CircularBuffer<UInt64>()
    private var resend: ResendMatch?
    private var readHeldBack = false
    private var stopping = false
    /// The subject of the sender's verified TLS client certificate (RELP over TLS).
    private var peerIdentity: String?

    /// Frames the session's reads; nil while a read is being framed, and for good once a malformed
    /// frame has ended the session.
    private var framer: ReadFramer<RELPFrameDecoder>?

    /// `limit`: the longest message kept; longer DATA is cut to it.
    init(configuration: RELPConfiguration, limit: Int, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
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
        resend = configuration.resendFilter.claim(sender)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Worked on as a local value: every access to a handler's property is checked at run time.
        guard var framer = self.framer else { return }  // a malformed frame ended the session
        self.framer = nil
        do {
            try framer.frames(in: unwrapInboundIn(data)) { handle($0, context: context) }
            self.framer = framer
        } catch {
            logger.warning("RELP session from \(sender) ended: \(error)")
            context.close(promise: nil)
        }
    }

    private func handle(_ frame: RELPFrame, context: ChannelHandlerContext) {
        switch (frame.command, state) {
        case (.open, .awaitingOpen):
            open(frame, context: context)
        case (.open, _):
            respond(frame.transaction, "200 connection already open - ignored", context: context)
        case (.syslog, .open):
            receive(frame, context: context)
        case (.syslog, _):
            respond(frame.transaction, "500 session not open", context: context)
            context.close(promise: nil)
        case (.close, .open), (.close, .awaitingOpen):
            handOn(context: context)
            state = .closing(transaction: frame.transaction)
            answerAcknowledged(context: context)
        case (.rsp, _), (.serverclose, _), (.close, _):
            // Answers to what a server never asks, or a second close: nothing to do.
            break
        case (.other(let name), _):
            respond(frame.transaction, "500 command '\(name)' not supported", context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        handOn(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handOn(context: context)
        if case .closed = state {
        } else {
            handOver()
        }
        state = .closed
        context.fireChannelInactive()
    }

    /// A verified TLS client certificate: its subject goes with every batch. The receiver stops: read no
    /// more (the sender keeps what it has not sent), answer what is pending, then tell the sender with
    /// `serverclose` and close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let identity = event as? TLSPeerIdentity {
            peerIdentity = identity.subject
            return context.fireUserInboundEventTriggered(event)
        }
        guard event is ReceiverStopping else { return context.fireUserInboundEventTriggered(event) }
        stopping = true
        handOn(context: context)
        answerAcknowledged(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("RELP session from \(sender) ended: \(error)")
        context.close(promise: nil)
    }

    // MARK: - Reading no further than the sender reads its answers

    func read(context: ChannelHandlerContext) {
        if stopping { return }
        if context.channel.isWritable {
            context.read()
        } else {
            readHeldBack = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readHeldBack && !stopping {
            readHeldBack = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Commands

    private func open(_ frame: RELPFrame, context: ChannelHandlerContext) {
        let offers = String(decoding: frame.data.readableBytesView, as: UTF8.self).split(separator: "\n")
        let commands = offers.first { $0.hasPrefix("commands=") }.map { $0.dropFirst("commands=".count).split(separator: ",") }
        if let commands, !commands.contains("syslog") {
            respond(frame.transaction, "500 required command not supported by client", context: context)
            context.close(promise: nil)
            return
        }
        state = .open
        respond(frame.transaction, "200 OK\nrelp_version=0\nrelp_software=\(Self.software)\ncommands=syslog", context: context)
    }

    private func receive(_ frame: RELPFrame, context: ChannelHandlerContext) {
        let digest = frame.data.withUnsafeReadableBytes { MessageDigest.of($0) }
        var alreadyStored = false
        if resend != nil {
            let (stored, finished) = resend!.isStored(digest)
            if finished { resend = nil }
            if stored {
                logger.debug("acknowledging a resent message already stored", metadata: ["sender": "\(sender)", "txnr": "\(frame.transaction)"])
                alreadyStored = true
            }
        }
        if incoming.add(frame, digest: digest, alreadyStored: alreadyStored) >= FrameBatch.maximumFrames {
            handOn(context: context)
        }
    }

    private func respond(_ transaction: Int, _ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count + 24)
        RELPFrame.writeResponse(transaction: transaction, text: text, to: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: - Batches and their acknowledgements

    /// Hands the transactions read so far on as one batch.
    private func handOn(context: ChannelHandlerContext) {
        guard !incoming.transactions.isEmpty else { return }
        let id = firstPendingID + pending.count
        var outgoing = incoming.batch
        pending.append(Pending(transactions: incoming.transactions, digests: outgoing.digests, stored: nil))
        incoming = Incoming()
        guard !outgoing.frames.isEmpty else {
            // Only messages stored before: answered as soon as everything before them is.
            acknowledged(id, stored: true)
            return
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        outgoing.acknowledgement = DeliveryAcknowledgement { stored in
            eventLoop.execute { handler.value.acknowledged(id, stored: stored) }
        }
        outgoing.sender = sender
        outgoing.peerIdentity = peerIdentity
        outgoing.receivedAt = WallClock.nanoseconds()
        outgoing.peer = context.channel.remoteAddress
        context.fireChannelRead(wrapInboundOut(outgoing))
    }

    private func acknowledged(_ id: Int, stored: Bool) {
        let index = id - firstPendingID
        guard index >= 0, index < pending.count else { return }
        let position = pending.index(pending.startIndex, offsetBy: index)
        pending[position].stored = stored
        guard let context, context.channel.isActive else {
            // Handed over as on their way when the session broke: not so.
            if !stored { configuration.resendFilter.withdraw(sender, digests: pending[position].digests) }
            return
        }
        answerAcknowledged(context: context)
    }

    /// Answers, in order, every transaction whose batch is resolved; then `close`, once nothing is left.
    private func answerAcknowledged(context: ChannelHandlerContext) {
        var answers = context.channel.allocator.buffer(capacity: 0)
        while let head = pending.first, let stored = head.stored {
            guard stored else {
                logger.warning("could not store \(head.transactions.count) messages from RELP sender \(sender); closing the session unanswered so it sends them again")
                if answers.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(answers), promise: nil) }
                context.close(promise: nil)
                return
            }
            pending.removeFirst()
            firstPendingID += 1
            for transaction in head.transactions {
                RELPFrame.writeResponse(transaction: transaction, text: "200 OK", to: &answers)
            }
            remember(head.digests)
        }
        if case .closing(let transaction) = state, pending.isEmpty {
            RELPFrame.writeResponse(transaction: transaction, text: "", to: &answers)
            state = .closed
            let closing = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(answers)).whenComplete { _ in closing.value.close(promise: nil) }
            return
        }
        if stopping, pending.isEmpty, case .open = state {
            answers.writeString("0 serverclose 0\n")
            state = .closed
            let closing = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(answers)).whenComplete { _ in closing.value.close(promise: nil) }
            return
        }
        if answers.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(answers), promise: nil)
        }
    }

    private func remember(_ digests: [UInt64]) {
        let window = configuration.resendFilter.window
        // Worked on as a local value: each access to a class's property is checked at run time.
        var recent = self.recent
        self.recent = []
        for digest in digests.suffix(window) {
            if recent.count == window { recent.removeFirst() }
            recent.append(digest)
        }
        self.recent = recent
    }

    /// The session broke: its sender will resend what it has no answer for. Those of its messages that
    /// are stored, or on their way, are handed to the filter for its next session.
    private func handOver() {
        var digests = Array(recent)
        for batch in pending where batch.stored != false {
            digests += batch.digests
        }
        if let resend {
            // Broken while resending: what was not resent yet is still stored and still unanswered.
            digests += resend.remaining
        }
        configuration.resendFilter.handOver(sender, digests: digests)
        recent.removeAll()
        resend = nil
    }
}
