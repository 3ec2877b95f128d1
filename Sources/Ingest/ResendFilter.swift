import CivilTime
import Synchronization

/// Recognises messages a RELP sender sends again that Sluice already stored.
///
/// A RELP sender keeps every message it has no `200 OK` for and, after reconnecting, sends them again,
/// in order, before anything new. Some of them may be stored already: the session broke (or Sluice was
/// killed) between storing a batch and the sender reading its acknowledgement. So when a session ends
/// without a clean `close`, it hands over the digests of its sender's last messages, stored or on their
/// way; after a crash the buffer's receipts give the same list. The sender's next session compares what
/// it resends against that list: the resent messages that were stored are the list's tail, in order, and
/// are acknowledged without being stored again; the first message that does not continue the tail ends
/// the comparison, and the list is dropped.
///
/// Messages are compared by content (RELP numbers transactions, not messages), so two byte-identical
/// messages at the boundary are taken as one resent: a duplicate, never a loss, can follow.
public final class ResendFilter: Sendable {
    /// Digests kept per sender: more than any sender's window of unacknowledged messages (rsyslog's
    /// default is 128). Recovery keeps as many (`RecoveredReceipts.defaultLimit`).
    public static let defaultWindow = 1024
    /// How long an unclaimed list is kept for a sender that does not come back.
    static let retention: Int64 = 3600 * 1_000_000_000

    private struct Entry {
        var digests: [UInt64]
        var since: Int64
    }

    public let window: Int
    private let entries: Mutex<[String: Entry]>

    /// `recovered`: the most recent digests per sender that the buffers hold, oldest first.
    public init(recovered: [String: [UInt64]] = [:], window: Int = ResendFilter.defaultWindow) {
        self.window = window
        let now = WallClock.nanoseconds()
        entries = Mutex(recovered.mapValues { Entry(digests: Array($0.suffix(window)), since: now) })
    }

    /// The list for `sender`, claimed by its new session; nil when there is none.
    func claim(_ sender: String) -> ResendMatch? {
        let now = WallClock.nanoseconds()
        return entries.withLock { entries in
            entries = entries.filter { now - $0.value.since < Self.retention }
            return entries.removeValue(forKey: sender).map { ResendMatch(digests: $0.digests) }
        }
    }

    /// A session of `sender` ended without a clean close: its last messages, oldest first.
    func handOver(_ sender: String, digests: [UInt64]) {
        guard !digests.isEmpty else { return }
        let now = WallClock.nanoseconds()
        entries.withLock { entries in
            var entry = entries[sender] ?? Entry(digests: [], since: now)
            entry.digests.append(contentsOf: digests)
            if entry.digests.count > window { entry.digests.removeFirst(entry.digests.count - window) }
            entry.since = now
            entries[sender] = entry
        }
    }

    /// Messages handed over as on their way turned out not to be stored: the sender's resend must be.
    func withdraw(_ sender: String, digests: [UInt64]) {
        let refused = Set(digests)
        entries.withLock { entries in
            entries[sender]?.digests.removeAll { refused.contains($0) }
        }
    }

    /// Senders with a list waiting (tests, status).
    public var waitingSenders: [String] {
        entries.withLock { Array($0.keys) }
    }
}

/// One new session's comparison of what it receives against its sender's handed-over list.
struct ResendMatch {
    private let digests: [UInt64]
    /// Where the next resent message is expected once the first matched.
    private var next: Int?

    init(digests: [UInt64]) {
        self.digests = digests
    }

    /// The listed messages not resent yet.
    var remaining: ArraySlice<UInt64> { digests[(next ?? 0)...] }

    /// Whether the message is one already stored; false ends the comparison for good.
    mutating func isStored(_ digest: UInt64) -> (stored: Bool, finished: Bool) {
        guard let expected = next else {
            // The first resent message: the latest occurrence, so a repeated message is not taken for
            // one stored further back.
            guard let found = digests.lastIndex(of: digest) else { return (false, true) }
            next = found + 1
            return (true, next == digests.count)
        }
        guard expected < digests.count, digests[expected] == digest else { return (false, true) }
        next = expected + 1
        return (true, next == digests.count)
    }
}
