import Framing
import NIOCore

/// The logic of one RELP session, pure and synchronous: `RELPSessionHandler` tells it what happened
/// (a frame, the end of a read burst, a batch stored or refused, the receiver stopping, the connection
/// gone) and carries out the `Action` it returns (write answers, hand a batch on, close, tell the
/// `ResendFilter`).
///
/// It owns what a session must keep in order: the transactions read but not handed on yet, the batches
/// handed on and awaiting their `DeliveryAcknowledgement`, each answered `200 OK` only once it and every
/// batch before it is stored, and the resend decisions: which resent messages were stored already (the
/// claimed `ResendMatch`) and which digests to hand over when the session breaks.
struct RELPSessionStateMachine {
    static let software = "sluice,1,https://github.com/sluice"

    enum State: Equatable {
        /// Nothing but `open` (and `close`) is taken yet.
        case awaitingOpen
        case open
        /// `close` came: answered once nothing is pending.
        case closing(transaction: Int)
        /// `close` answered, `serverclose` sent, or the connection gone.
        case closed
    }

    /// A batch to hand on; its `DeliveryAcknowledgement` resolves with `batchResolved(id:...)`. Only what
    /// the session knows of it: the handler adds the rest of a `FrameBatch`. (Kept small: every `Action`
    /// is as large as this, and one is returned per frame.)
    struct Forward {
        /// The messages to store: those read, less resent ones stored already.
        var frames: [ByteBuffer]
        /// A digest of each message read, stored or not.
        var digests: [UInt64]
        var byteCount: Int
        var cutFrames: Int
        var id: Int
    }

    /// Answers to write, in one go.
    enum Answer {
        case none
        /// Write and flush.
        case write(ByteBuffer)
        /// Write and flush, then close once written: `close` answered, or `serverclose` sent.
        case writeThenClose(ByteBuffer)
        /// A batch could not be stored (`messages` of them): write the answers before it if there are
        /// any, then close at once, leaving it unanswered so the sender resends it.
        case refuse(answered: ByteBuffer, messages: Int)
    }

    enum Action {
        case none
        case answer(Answer)
        /// A command refused: write the answer and close at once.
        case reject(ByteBuffer)
        /// Hand the batch on, then answer.
        case forward(Forward, then: Answer)
        /// A resent message recognised as stored: answered with its batch, not stored again. (Resent
        /// messages come before any new one, so a batch this fills has no message to hand on.)
        case recognisedResend(transaction: Int, then: Answer)
        /// Digests handed over as on their way turned out not to be stored: take them back from the
        /// filter, so that the sender's resend is stored.
        case withdraw([UInt64])
    }

    enum InactiveAction {
        case none
        /// Hand on what was read last, if anything; give the filter the sender's last messages (stored
        /// or on their way) if there are any, for its next session.
        case wrapUp(forward: Forward?, handOver: [UInt64])
    }

    enum ReadAction: Equatable {
        case read
        /// Wait: answers cannot be written (the sender does not read them), or the receiver stops.
        case holdBack
    }

    /// Transactions handed on together, answered together.
    struct Pending {
        var transactions: [Int]
        var digests: [UInt64]
        /// nil until the acknowledgement resolves.
        var stored: Bool?
    }

    private(set) var state = State.awaitingOpen
    /// The receiver stops: read no more, answer what is pending, then send `serverclose`.
    private(set) var stopping = false
    private var readHeldBack = false

    private var incoming = Incoming()
    private(set) var pending = CircularBuffer<Pending>()
    /// The id of `pending.first`; ids count batches over the session.
    private var firstPendingID = 0
    /// Digests of the last messages acknowledged, oldest first: handed over if the session breaks, since
    /// the sender may not have read those answers.
    private var recent = CircularBuffer<UInt64>()
    private let window: Int
    private var resend: ResendMatch?
    private let allocator: ByteBufferAllocator

    /// `window`: how many digests of acknowledged messages are kept for a hand-over
    /// (`ResendFilter.window`).
    init(window: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.window = window
        self.allocator = allocator
    }

    // MARK: - Events

    /// The connection is up; `resend` is its sender's handed-over list, claimed from the filter.
    mutating func channelActive(resend: ResendMatch?) {
        self.resend = resend
    }

    /// Inlined into the handler's read loop, so that the common case (a message, nothing to do) costs
    /// no call and no `Action` to copy or destroy.
    @inline(__always)
    mutating func frameReceived(_ frame: RELPFrame) -> Action {
        if case .syslog = frame.command, case .open = state {
            return receive(frame)
        }
        return commandReceived(frame)
    }

    private mutating func commandReceived(_ frame: RELPFrame) -> Action {
        switch (frame.command, state) {
        case (.open, .awaitingOpen):
            return open(frame)
        case (.open, _):
            return .answer(.write(response(frame.transaction, "200 connection already open - ignored")))
        case (.syslog, .open):
            return receive(frame)
        case (.syslog, _):
            return .reject(response(frame.transaction, "500 session not open"))
        case (.close, .open), (.close, .awaitingOpen):
            let handedOn = handOn()
            state = .closing(transaction: frame.transaction)
            return answering(after: handedOn)
        case (.rsp, _), (.serverclose, _), (.close, _):
            // Answers to what a server never asks, or a second close: nothing to do.
            return .none
        case (.other(let name), _):
            return .answer(.write(response(frame.transaction, "500 command '\(name)' not supported")))
        }
    }

    /// A read burst ended: what it brought goes on as one batch.
    mutating func readComplete() -> Action {
        handingOn()
    }

    /// The receiver stops: read no more (the sender keeps what it has not sent), answer what is pending,
    /// then tell the sender with `serverclose` and close.
    mutating func receiverStopping() -> Action {
        stopping = true
        return answering(after: handOn())
    }

    /// The acknowledgement of batch `id` resolved.
    mutating func batchResolved(id: Int, stored: Bool, channelIsActive: Bool) -> Action {
        let index = id - firstPendingID
        guard index >= 0, index < pending.count else { return .none }
        let position = pending.index(pending.startIndex, offsetBy: index)
        pending[position].stored = stored
        guard channelIsActive else {
            // Handed over as on their way when the session broke: not so.
            return stored ? .none : .withdraw(pending[position].digests)
        }
        return .answer(answerAcknowledged())
    }

    /// The connection is gone. Unless the session ended cleanly its sender will resend what it has no
    /// answer for: those of its messages that are stored, or on their way, are handed over.
    mutating func channelInactive() -> InactiveAction {
        let forward: Forward?
        switch handOn() {
        case .forward(let batch): forward = batch
        case .nothing, .resolved: forward = nil
        }
        var digests: [UInt64] = []
        if state != .closed {
            digests = handOverDigests()
        }
        state = .closed
        return forward == nil && digests.isEmpty ? .none : .wrapUp(forward: forward, handOver: digests)
    }

    /// Reads are asked for: read no further than the sender reads its answers.
    mutating func readRequested(channelIsWritable: Bool) -> ReadAction {
        if stopping { return .holdBack }
        if channelIsWritable { return .read }
        readHeldBack = true
        return .holdBack
    }

    mutating func writabilityChanged(channelIsWritable: Bool) -> ReadAction {
        guard channelIsWritable, readHeldBack, !stopping else { return .holdBack }
        readHeldBack = false
        return .read
    }

    // MARK: - Commands

    private mutating func open(_ frame: RELPFrame) -> Action {
        let offers = String(decoding: frame.data.readableBytesView, as: UTF8.self).split(separator: "\n")
        let commands = offers.first { $0.hasPrefix("commands=") }.map { $0.dropFirst("commands=".count).split(separator: ",") }
        if let commands, !commands.contains("syslog") {
            return .reject(response(frame.transaction, "500 required command not supported by client"))
        }
        state = .open
        return .answer(.write(response(frame.transaction, "200 OK\nrelp_version=0\nrelp_software=\(Self.software)\ncommands=syslog")))
    }

    /// The hot path: a message joins the batch being read.
    @inline(__always)
    private mutating func receive(_ frame: RELPFrame) -> Action {
        let digest = frame.data.withUnsafeReadableBytes { MessageDigest.of($0) }
        if resend != nil { return receiveAfterBreak(frame, digest: digest) }
        guard incoming.add(frame, digest: digest, alreadyStored: false) >= FrameBatch.maximumFrames else { return .none }
        return handingOn()
    }

    /// A message while the sender may be resending what the last session left unanswered: it is not
    /// stored again if it is one stored already.
    private mutating func receiveAfterBreak(_ frame: RELPFrame, digest: UInt64) -> Action {
        let (stored, finished) = resend!.isStored(digest)
        if finished { resend = nil }
        let full = incoming.add(frame, digest: digest, alreadyStored: stored) >= FrameBatch.maximumFrames
        if !stored {
            return full ? handingOn() : .none
        }
        guard full else { return .recognisedResend(transaction: frame.transaction, then: .none) }
        switch handingOn() {
        case .answer(let answer): return .recognisedResend(transaction: frame.transaction, then: answer)
        case let action: return action
        }
    }

    private func response(_ transaction: Int, _ text: String) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: text.utf8.count + 24)
        RELPFrame.writeResponse(transaction: transaction, text: text, to: &buffer)
        return buffer
    }

    // MARK: - Batches and their acknowledgements

    /// The transactions read since the last hand-on and the batch of their messages.
    private struct Incoming {
        var transactions: [Int] = []
        var frames: [ByteBuffer] = []
        var digests: [UInt64] = []
        var byteCount = 0
        var cutFrames = 0

        /// Adds a transaction; its message joins the batch unless it is stored already (a resend).
        /// Returns how many transactions there are now.
        mutating func add(_ frame: RELPFrame, digest: UInt64, alreadyStored: Bool) -> Int {
            transactions.append(frame.transaction)
            digests.append(digest)
            if !alreadyStored {
                frames.append(frame.data)
                byteCount += frame.data.readableBytes
                if frame.wasCut { cutFrames += 1 }
            }
            return transactions.count
        }
    }

    private enum HandOn {
        case nothing
        case forward(Forward)
        /// Only messages stored before: resolved at once, answered as soon as everything before them is.
        case resolved
    }

    /// Hands the transactions read so far on as one batch.
    private mutating func handOn() -> HandOn {
        guard !incoming.transactions.isEmpty else { return .nothing }
        let id = firstPendingID + pending.count
        let read = incoming
        incoming = Incoming()
        let allStoredBefore = read.frames.isEmpty
        pending.append(Pending(transactions: read.transactions, digests: read.digests, stored: allStoredBefore ? true : nil))
        if allStoredBefore { return .resolved }
        return .forward(Forward(frames: read.frames, digests: read.digests, byteCount: read.byteCount, cutFrames: read.cutFrames, id: id))
    }

    /// At the end of a read burst or of a full batch: hands on, and answers only a batch resolved at once.
    @inline(never)
    private mutating func handingOn() -> Action {
        switch handOn() {
        case .nothing: return .none
        case .forward(let forward): return .forward(forward, then: .none)
        case .resolved: return .answer(answerAcknowledged())
        }
    }

    /// After `close` or a stop: whatever was handed on, answers what can be.
    private mutating func answering(after handedOn: HandOn) -> Action {
        switch handedOn {
        case .nothing, .resolved: return .answer(answerAcknowledged())
        case .forward(let forward): return .forward(forward, then: answerAcknowledged())
        }
    }

    /// Answers, in order, every transaction whose batch is resolved; then `close` (or `serverclose` when
    /// the receiver stops) once nothing is left.
    private mutating func answerAcknowledged() -> Answer {
        var answers = allocator.buffer(capacity: 0)
        while let head = pending.first, let stored = head.stored {
            guard stored else { return .refuse(answered: answers, messages: head.transactions.count) }
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
            return .writeThenClose(answers)
        }
        if stopping, pending.isEmpty, case .open = state {
            answers.writeString("0 serverclose 0\n")
            state = .closed
            return .writeThenClose(answers)
        }
        return answers.readableBytes > 0 ? .write(answers) : .none
    }

    private mutating func remember(_ digests: [UInt64]) {
        for digest in digests.suffix(window) {
            if recent.count == window { recent.removeFirst() }
            recent.append(digest)
        }
    }

    /// The sender's last messages, oldest first: those acknowledged lately, those stored or on their
    /// way, and, when the session broke while the sender was resending, those not resent yet (still
    /// stored, still unanswered).
    private mutating func handOverDigests() -> [UInt64] {
        var digests = Array(recent)
        for batch in pending where batch.stored != false {
            digests += batch.digests
        }
        if let resend {
            digests += resend.remaining
        }
        recent.removeAll()
        resend = nil
        return digests
    }
}
