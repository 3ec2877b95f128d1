import Synchronization

/// One connection's tallies, written by its event loop once per write and read by the progress line.
final class ConnectionCounters: Sendable {
    /// Messages the socket took (for TCP: written to the kernel; for UDP: datagrams accepted by it).
    let sent = Atomic<Int>(0)
    let sentBytes = Atomic<Int>(0)
    /// Messages whose write failed (connection reset, refused datagram).
    let errors = Atomic<Int>(0)
    /// Messages rendered, queued when the bound came and abandoned at the drain time-out.
    let unsent = Atomic<Int>(0)
    /// Messages rendered and handed to the channel, sent or not yet: `queued - sent - errors - unsent`
    /// is what waits in the generator's memory.
    let queued = Atomic<Int>(0)
    /// RELP: messages the receiver answered `200 OK`, and answered otherwise.
    let acknowledged = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    /// Why the connection ended before its bound, if it did.
    let failure = Mutex<String?>(nil)

    init() {}

    func recordFailure(_ description: String) {
        failure.withLock { failure in
            if failure == nil { failure = description }
        }
    }

    var snapshot: Snapshot {
        Snapshot(
            sent: sent.load(ordering: .relaxed),
            sentBytes: sentBytes.load(ordering: .relaxed),
            errors: errors.load(ordering: .relaxed),
            unsent: unsent.load(ordering: .relaxed),
            queued: queued.load(ordering: .relaxed),
            acknowledged: acknowledged.load(ordering: .relaxed),
            refused: refused.load(ordering: .relaxed),
            failure: failure.withLock { $0 }
        )
    }

    struct Snapshot: Sendable {
        var sent: Int
        var sentBytes: Int
        var errors: Int
        var unsent: Int
        var queued: Int
        var acknowledged = 0
        var refused = 0
        var failure: String?
    }
}
