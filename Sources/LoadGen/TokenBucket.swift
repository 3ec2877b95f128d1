import NIOCore

/// A connection's rate limit: tokens accrue at `rate` per second from the monotonic clock, one message
/// takes one. The bucket holds 50 ms of tokens (at least two wake-ups' worth), so a late timer costs
/// nothing while a stall (a paused receiver) does not turn into a burst afterwards.
struct TokenBucket {
    let rate: Double
    let capacity: Double
    /// Tokens to wait for before waking up: about 5 ms' worth at high rates, one at low rates, so the
    /// timer fires at most ~200 times a second.
    let wakeBatch: Int
    private(set) var tokens: Double
    private var last: NIODeadline

    init(rate: Int, now: NIODeadline) {
        precondition(rate > 0)
        self.rate = Double(rate)
        wakeBatch = max(1, rate / 200)
        capacity = max(Double(wakeBatch) * 4, self.rate / 20)
        // The first message goes at once.
        tokens = 1
        last = now
    }

    /// Takes up to `wanted` whole tokens, or none while fewer than `minimum` are there (so that a fast
    /// loop does not send a trickle of tiny writes); returns how many were taken.
    mutating func take(upTo wanted: Int, minimum: Int = 1, now: NIODeadline) -> Int {
        refill(now: now)
        guard tokens >= Double(min(minimum, wanted)) else { return 0 }
        let taken = min(wanted, Int(tokens))
        tokens -= Double(taken)
        return taken
    }

    /// Returns tokens taken but not used.
    mutating func giveBack(_ count: Int) {
        tokens = min(capacity, tokens + Double(count))
    }

    /// When `wakeBatch` tokens will be there.
    func nextWake(after now: NIODeadline) -> NIODeadline {
        let missing = Double(wakeBatch) - tokens
        guard missing > 0 else { return now }
        return now + .nanoseconds(Int64((missing / rate * 1e9).rounded(.up)))
    }

    private mutating func refill(now: NIODeadline) {
        guard now > last else { return }
        let elapsed = Double((now - last).nanoseconds) / 1e9
        tokens = min(capacity, tokens + elapsed * rate)
        last = now
    }
}
