import NIOCore

/// Drives one connection on its event loop: renders messages into a buffer, writes it, and goes on while
/// the channel is writable, the rate allows and the bound is not reached. Nothing is queued past the
/// channel's high watermark (plus one write): when the receiver is slow the channel turns unwritable and
/// the writer waits for `channelWritabilityChanged`.
///
/// Once the bound is reached (count, deadline or `Stop`), the writer drains: it waits for the queued
/// writes to leave, then closes; after the drain time-out it closes on them and counts them unsent.
final class LoadWriter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Starts the run; the deadline is shared by all connections.
    struct Start: Sendable {
        var deadline: NIODeadline
    }

    /// Ends the run early (Ctrl-C): drain and close as at the bound.
    struct Stop: Sendable {}

    private enum State {
        case waitingToStart
        case running
        case draining
        /// Closing on our own, after the drain or at its time-out.
        case closing
        case finished
    }

    private var state = State.waitingToStart
    private var renderer: MessageRenderer
    private var bucket: TokenBucket?
    private let rate: Int
    private var remaining: Int
    private var deadline = NIODeadline.distantFuture
    private let isDatagram: Bool
    private let writeSize: Int
    private let drainTimeout: TimeAmount
    private let counters: ConnectionCounters
    private var context: ChannelHandlerContext?
    /// Writes handed to the channel whose promise has not completed.
    private var outstandingWrites = 0
    private var wakeUp: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?
    private var drainTimer: Scheduled<Void>?
    private var stallTimer: Scheduled<Void>?
    private let stallTimeout: TimeAmount
    private var lengths: [Int] = []

    /// Writes per turn of the event loop before yielding to other channels and timers on it.
    private static let writesPerTurn = 16
    /// Datagrams per flush (one `sendmmsg`): NIO sends at most 1024 at once.
    private static let datagramsPerFlush = 256

    init(configuration: LoadGenerator.Configuration, connection: Int, quota: Int?, counters: ConnectionCounters) {
        renderer = MessageRenderer(configuration: configuration, connection: connection)
        rate = configuration.rate
        remaining = quota ?? .max
        isDatagram = configuration.transport == .udp
        writeSize = configuration.writeSize
        drainTimeout = configuration.drainTimeout
        stallTimeout = configuration.stallTimeout
        self.counters = counters
        lengths.reserveCapacity(Self.datagramsPerFlush)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let start as Start:
            guard case .waitingToStart = state else { return }
            state = .running
            deadline = start.deadline
            let now = NIODeadline.now()
            if rate > 0 { bucket = TokenBucket(rate: rate, now: now) }
            if deadline != .distantFuture {
                deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.reachBound() }
            }
            pump()
        case is Stop:
            switch state {
            case .waitingToStart, .running: reachBound()
            case .draining, .closing, .finished: break
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
            if case .running = state { pump() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .waitingToStart, .running, .draining:
            counters.recordFailure("the connection closed before the run's end")
        case .closing, .finished:
            break
        }
        state = .finished
        cancelTimers()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .closing, .finished:
            break
        case .waitingToStart, .running, .draining:
            counters.recordFailure("\(error)")
            context.close(promise: nil)
        }
    }

    // MARK: Writing

    private func pump() {
        guard case .running = state, let context else { return }
        var writes = 0
        while context.channel.isWritable {
            guard remaining > 0 else { return reachBound() }
            let now = NIODeadline.now()
            guard now < deadline else { return reachBound() }
            var allowed = remaining
            if bucket != nil {
                allowed = bucket!.take(upTo: allowed, minimum: bucket!.wakeBatch, now: now)
                if allowed == 0 {
                    scheduleWakeUp(at: bucket!.nextWake(after: now))
                    return
                }
            }
            renderer.refresh(wallSeconds: SyslogHeader.wallSecondsNow())
            let rendered = isDatagram ? writeDatagrams(upTo: allowed, context: context) : writeStream(upTo: allowed, context: context)
            bucket?.giveBack(allowed - rendered)
            remaining -= rendered
            guard remaining > 0 else { return reachBound() }
            writes += 1
            if writes == Self.writesPerTurn {
                // Let the other channels and the timers of this event loop run, then go on.
                context.eventLoop.assumeIsolated().execute { self.pump() }
                return
            }
        }
        // Unwritable: the receiver is slow. Wait for it, but not for ever.
        if stallTimer == nil {
            let timeout = stallTimeout
            stallTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.stallTimer = nil
                self.counters.recordFailure("the receiver took nothing for \(timeout.nanoseconds / 1_000_000) ms")
                self.reachBound()
            }
        }
    }

    private func writeStream(upTo count: Int, context: ChannelHandlerContext) -> Int {
        var buffer = context.channel.allocator.buffer(capacity: max(writeSize, renderer.largestFramedMessage))
        lengths.removeAll(keepingCapacity: true)
        let rendered = renderer.render(count: count, maximumBytes: writeSize, into: &buffer, lengths: &lengths)
        write(buffer, messages: rendered, context: context)
        context.flush()
        return rendered
    }

    private func writeDatagrams(upTo count: Int, context: ChannelHandlerContext) -> Int {
        var buffer = context.channel.allocator.buffer(capacity: max(writeSize, renderer.largestFramedMessage))
        lengths.removeAll(keepingCapacity: true)
        let rendered = renderer.render(
            count: min(count, Self.datagramsPerFlush), maximumBytes: writeSize, into: &buffer, lengths: &lengths
        )
        // Every datagram but the last goes without a promise: one promise accounts for the batch.
        for length in lengths.dropLast() {
            context.write(wrapOutboundOut(buffer.readSlice(length: length)!), promise: nil)
        }
        write(buffer, messages: rendered, context: context)
        context.flush()
        return rendered
    }

    private func write(_ buffer: ByteBuffer, messages: Int, context: ChannelHandlerContext) {
        let bytes = lengths.reduce(0, +)
        counters.queued.add(messages, ordering: .relaxed)
        outstandingWrites += 1
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.writeCompleted(messages: messages, bytes: bytes, result: result)
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    private func writeCompleted(messages: Int, bytes: Int, result: Result<Void, any Error>) {
        outstandingWrites -= 1
        switch result {
        case .success:
            counters.sent.add(messages, ordering: .relaxed)
            counters.sentBytes.add(bytes, ordering: .relaxed)
        case .failure(let error):
            if case .closing = state {
                counters.unsent.add(messages, ordering: .relaxed)
            } else {
                counters.errors.add(messages, ordering: .relaxed)
                counters.recordFailure("\(error)")
            }
        }
        if case .draining = state, outstandingWrites == 0 { close() }
    }

    private func scheduleWakeUp(at time: NIODeadline) {
        guard wakeUp == nil, let context else { return }
        wakeUp = context.eventLoop.assumeIsolated().scheduleTask(deadline: min(time, deadline)) {
            self.wakeUp = nil
            self.pump()
        }
    }

    // MARK: Ending

    private func reachBound() {
        switch state {
        case .waitingToStart, .running:
            state = .draining
            cancelTimers()
            if outstandingWrites == 0 {
                close()
            } else if let context {
                drainTimer = context.eventLoop.assumeIsolated().scheduleTask(in: drainTimeout) { self.close() }
            }
        case .draining, .closing, .finished:
            break
        }
    }

    private func close() {
        guard case .draining = state, let context else { return }
        state = .closing
        cancelTimers()
        context.close(promise: nil)
    }

    private func cancelTimers() {
        wakeUp?.cancel()
        wakeUp = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        drainTimer?.cancel()
        drainTimer = nil
        stallTimer?.cancel()
        stallTimer = nil
    }
}
