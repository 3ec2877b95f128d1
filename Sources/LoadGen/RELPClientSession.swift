import Framing
import Ingest
import NIOCore

/// The client side of a RELP session for the load generator, between the socket and the `LoadWriter`:
/// opens the session before the first message, counts the `200 OK` answers, and turns the writer's close
/// into RELP's `close`, so a run ends once the receiver has answered everything (or nothing came for the
/// stall time-out).
///
/// The writer renders `TXNR syslog LEN MSG` frames itself (numbered from 2, after `open`); this handler
/// only reads answers. Transactions are not windowed: the receiver's answers and TCP flow control pace
/// the writer.
final class RELPClientSession: ChannelDuplexHandler {
    typealias InboundIn = RELPFrame
    typealias InboundOut = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let offers = "relp_version=0\nrelp_software=sluice-loadgen,1,https://github.com/sluice\ncommands=syslog"

    private let counters: ConnectionCounters
    /// How long the answer to `close` is waited for: answers may lag the writes by a whole pipeline.
    private let answerTimeout: TimeAmount
    private var opened = false
    /// The writer asked to close: `close` is sent, its answer awaited.
    private var closing: (transaction: Int, promise: EventLoopPromise<Void>?)?
    private var closeTimer: Scheduled<Void>?

    init(counters: ConnectionCounters, answerTimeout: TimeAmount) {
        self.counters = counters
        self.answerTimeout = answerTimeout
    }

    /// The transaction number of the `n`th message (0-based): 1 is `open`, and numbers wrap as librelp's.
    static func transaction(ofMessage n: Int) -> Int {
        n % 999_999_998 + 2
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        buffer.writeString("1 open \(Self.offers.utf8.count) \(Self.offers)\n")
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.command {
        case .rsp:
            let ok = frame.data.readableBytesView.starts(with: "200".utf8)
            if frame.transaction == 1 && !opened {
                opened = true
                if !ok { refuse(context, "the receiver refused the RELP session: \(String(buffer: frame.data))") }
            } else if let closing, frame.transaction == closing.transaction {
                finishClosing(context)
            } else if ok {
                counters.acknowledged.add(1, ordering: .relaxed)
            } else {
                counters.refused.add(1, ordering: .relaxed)
                counters.recordFailure("the receiver refused transaction \(frame.transaction): \(String(buffer: frame.data))")
            }
        case .serverclose:
            // librelp's server says it after answering our close too: only before it is it a failure.
            guard closing == nil else { return }
            counters.recordFailure("the receiver ended the RELP session (serverclose)")
            context.close(promise: nil)
        default:
            refuse(context, "unexpected RELP command from the receiver: \(frame.command)")
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, closing == nil, context.channel.isActive else {
            return context.close(mode: mode, promise: promise)
        }
        let transaction = Self.transaction(ofMessage: counters.queued.load(ordering: .relaxed))
        closing = (transaction, promise)
        var buffer = context.channel.allocator.buffer(capacity: 24)
        buffer.writeString("\(transaction) close 0\n")
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        // Answers still owed when the time is up are not waited for.
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: answerTimeout) { self.finishClosing(context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let unanswered = counters.queued.load(ordering: .relaxed) - counters.acknowledged.load(ordering: .relaxed)
            - counters.refused.load(ordering: .relaxed)
        if unanswered > 0 {
            counters.recordFailure("the RELP session ended with \(unanswered) messages unanswered")
        }
        closeTimer?.cancel()
        if let closing {
            self.closing = (closing.transaction, nil)
            closing.promise?.succeed()
        }
        context.fireChannelInactive()
    }

    private func finishClosing(_ context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        let promise = closing?.promise
        closing = closing.map { ($0.transaction, nil) }
        context.close(mode: .all, promise: promise)
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        counters.recordFailure(reason)
        context.close(promise: nil)
    }
}
