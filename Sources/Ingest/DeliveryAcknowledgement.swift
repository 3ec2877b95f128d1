import Synchronization

/// A promise to tell a sender whether a batch of its messages was stored: resolved once every stage
/// holding part of the batch has let go. A receiver that acknowledges (RELP) makes one per batch; the
/// parser workers take one hold per output the batch's records go to, and each output releases its
/// hold once its records are durable in its buffer, or refused.
public final class DeliveryAcknowledgement: Sendable {
    private struct State {
        /// The batch itself holds the first, released by the parser worker when it is done with it.
        var holders = 1
        var stored = true
    }

    private let state = Mutex(State())
    private let completion: @Sendable (_ stored: Bool) -> Void

    /// `completion` runs once, on whichever thread lets go last, with whether every holder stored its part.
    public init(completion: @escaping @Sendable (_ stored: Bool) -> Void) {
        self.completion = completion
    }

    /// One more stage holds part of the batch.
    public func hold() {
        state.withLock { $0.holders += 1 }
    }

    /// A stage is done with its part: stored, or not.
    public func release(stored: Bool) {
        let outcome = state.withLock { state -> Bool? in
            state.holders -= 1
            state.stored = state.stored && stored
            return state.holders == 0 ? state.stored : nil
        }
        if let outcome { completion(outcome) }
    }
}
