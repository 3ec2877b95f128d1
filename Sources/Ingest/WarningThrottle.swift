import Synchronization

/// Lets a repeated warning through at most once per interval and counts what it held back, so a
/// flood of refused connections costs a log line every few seconds, not one per connection.
final class WarningThrottle: Sendable {
    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var heldBack = 0
    }

    private let interval: Duration
    private let state = Mutex(State())

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Nil when the warning is to be held back; else how many were held back since the last one logged.
    func admit() -> Int? {
        let now = ContinuousClock.now
        return state.withLock { state -> Int? in
            if let last = state.lastLogged, last.duration(to: now) < interval {
                state.heldBack += 1
                return nil
            }
            defer { state.heldBack = 0 }
            state.lastLogged = now
            return state.heldBack
        }
    }
}
