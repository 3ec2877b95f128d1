import DequeModule
import Synchronization

/// When a producer must wait: `send` suspends once `high` elements are queued and resumes when the
/// consumers have brought the queue down to `low`. The gap keeps producers from waking per element.
public struct BackpressureStrategy: Sendable, Hashable {
    public var low: Int
    public var high: Int

    public static func watermark(low: Int, high: Int) -> BackpressureStrategy {
        precondition(low >= 0 && high > low, "watermarks need 0 <= low < high")
        return BackpressureStrategy(low: low, high: high)
    }
}

/// Thrown by `send` on a queue that was finished.
public struct QueueFinishedError: Error, Hashable, Sendable {}

/// A bounded multi-producer, multi-consumer async queue joining two pipeline stages.
///
/// Unlike `AsyncStream`, a full queue suspends its producers, which is what carries backpressure from a
/// slow stage back to the sockets. `finish()` lets consumers drain what is queued and then end, which is
/// how a graceful shutdown flows down the pipeline. Continuations are resumed outside the lock.
public final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        var elements: Deque<Element> = []
        var consumers: Deque<(id: UInt64, continuation: CheckedContinuation<Element?, Never>)> = []
        var producers: Deque<(id: UInt64, continuation: CheckedContinuation<Void, any Error>)> = []
        var finished = false
        var nextID: UInt64 = 0
    }

    /// What a send does, decided under the lock and carried out after it.
    private enum Delivery {
        case resumeConsumer(CheckedContinuation<Element?, Never>, Element)
        case queued(mustWait: Bool)
        case rejected
    }

    /// What a take does, likewise.
    private enum Take {
        case element(Element, wake: [CheckedContinuation<Void, any Error>])
        case end
        case wait
    }

    public let strategy: BackpressureStrategy
    private let state = Mutex(State())

    public init(_ strategy: BackpressureStrategy) {
        self.strategy = strategy
    }

    /// Elements queued now.
    public var count: Int { state.withLock { $0.elements.count } }

    /// Queues `element`, suspending while the queue is above its high watermark.
    public func send(_ element: Element) async throws {
        let action = state.withLock { state -> Delivery in
            guard !state.finished else { return .rejected }
            if let consumer = state.consumers.popFirst() {
                return .resumeConsumer(consumer.continuation, element)
            }
            state.elements.append(element)
            return .queued(mustWait: state.elements.count >= strategy.high)
        }
        switch action {
        case .rejected:
            throw QueueFinishedError()
        case .resumeConsumer(let continuation, let element):
            continuation.resume(returning: element)
        case .queued(mustWait: false):
            return
        case .queued(mustWait: true):
            try await waitForRoom()
        }
    }

    /// Queues `element` only if that needs no waiting; returns false when the queue is full or finished.
    public func trySend(_ element: Element) -> Bool {
        let action = state.withLock { state -> Delivery in
            guard !state.finished, state.elements.count < strategy.high else { return .rejected }
            if let consumer = state.consumers.popFirst() {
                return .resumeConsumer(consumer.continuation, element)
            }
            state.elements.append(element)
            return .queued(mustWait: false)
        }
        switch action {
        case .resumeConsumer(let continuation, let element):
            continuation.resume(returning: element)
            return true
        case .queued:
            return true
        case .rejected:
            return false
        }
    }

    private func waitForRoom() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.finished || state.elements.count <= strategy.low || Task.isCancelled { return true }
                    state.producers.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.producers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.producers.remove(at: index).continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// The next element; nil once the queue is finished and drained, or the task is cancelled.
    public func next() async -> Element? {
        let action = state.withLock { state -> Take in
            if let element = state.elements.popFirst() {
                return .element(element, wake: Self.producersToWake(&state, low: strategy.low))
            }
            return state.finished ? .end : .wait
        }
        switch action {
        case .element(let element, let wake):
            for producer in wake { producer.resume() }
            return element
        case .end:
            return nil
        case .wait:
            return await waitForElement()
        }
    }

    private func waitForElement() async -> Element? {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let action = state.withLock { state -> Take in
                    if let element = state.elements.popFirst() {
                        return .element(element, wake: Self.producersToWake(&state, low: strategy.low))
                    }
                    if state.finished || Task.isCancelled { return .end }
                    state.consumers.append((id, continuation))
                    return .wait
                }
                switch action {
                case .element(let element, let wake):
                    for producer in wake { producer.resume() }
                    continuation.resume(returning: element)
                case .end:
                    continuation.resume(returning: nil)
                case .wait:
                    break
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Element?, Never>? in
                guard let index = state.consumers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.consumers.remove(at: index).continuation
            }
            continuation?.resume(returning: nil)
        }
    }

    private static func producersToWake(_ state: inout State, low: Int) -> [CheckedContinuation<Void, any Error>] {
        guard state.elements.count <= low, !state.producers.isEmpty else { return [] }
        let waiting = state.producers.map(\.continuation)
        state.producers.removeAll()
        return waiting
    }

    /// No more elements will be sent: later sends fail, waiting producers return, consumers drain the queue and then get nil.
    public func finish() {
        let (consumers, producers) = state.withLock { state in
            state.finished = true
            let consumers = state.elements.isEmpty ? state.consumers.map(\.continuation) : []
            if state.elements.isEmpty { state.consumers.removeAll() }
            let producers = state.producers.map(\.continuation)
            state.producers.removeAll()
            return (consumers, producers)
        }
        for consumer in consumers { consumer.resume(returning: nil) }
        // Their elements are queued and will be drained.
        for producer in producers { producer.resume() }
    }
}
