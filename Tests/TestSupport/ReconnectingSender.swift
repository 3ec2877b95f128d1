import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Streams numbered lines over TCP to 127.0.0.1 from a thread of its own, for crash tests: when the
/// receiver goes away it reconnects until the receiver listens again and goes on with the next number.
/// A number is never sent twice, so each connection (a session) carries its own range of numbers.
///
/// A blocking socket on its own thread, not a task: several senders blocking in `send` or `usleep`
/// would hold every thread of the cooperative pool on a small machine.
public final class ReconnectingSender: Sendable {
    public struct Settings: Sendable {
        public var port: Int
        /// Stops after this many numbers (0..<limit).
        public var limit: Int
        /// Lines per `send`; the thread pauses `pause` between batches.
        public var batchSize: Int
        public var pause: Duration
        /// Stops at this point at the latest, wherever it is.
        public var timeLimit: Duration

        public init(port: Int, limit: Int, batchSize: Int, pause: Duration, timeLimit: Duration) {
            self.port = port
            self.limit = limit
            self.batchSize = batchSize
            self.pause = pause
            self.timeLimit = timeLimit
        }
    }

    /// The numbers given to one TCP connection: all of them were passed to `send`, though the last ones
    /// may not have reached the receiver when the connection broke.
    public struct Session: Sendable, Hashable {
        /// What `epoch()` said both before and after the connection was made.
        public var epoch: Int
        public var numbers: Range<Int>
        /// The numbers whose whole line `send` took: `numbers` less the batch whose `send` failed.
        /// The receiver may still have missed the last of these (in its socket buffer when it died,
        /// or sent after it died but before the connection's reset came back).
        public var accepted: Range<Int>
    }

    public enum Ending: Sendable, Hashable {
        case stopped, limitReached, timeLimitReached
    }

    public struct Report: Sendable {
        public var sessions: [Session]
        public var ending: Ending
        public var sent: Int { sessions.reduce(0) { $0 + $1.numbers.count } }
    }

    private struct State {
        var stopRequested = false
        var report: Report?
    }

    private let settings: Settings
    private let line: @Sendable (Int) -> [UInt8]
    private let epoch: @Sendable () -> Int
    private let state = Mutex(State())

    /// `line(n)` is the bytes of number `n`, framing included. `epoch()` names the receiver's current
    /// incarnation; a connection made while it changed is dropped and made again, so every session
    /// belongs to exactly one incarnation.
    public init(settings: Settings, line: @escaping @Sendable (Int) -> [UInt8], epoch: @escaping @Sendable () -> Int) {
        self.settings = settings
        self.line = line
        self.epoch = epoch
    }

    public func start() {
        let thread = Thread { self.run() }
        thread.name = "ReconnectingSender:\(settings.port)"
        thread.start()
    }

    /// Asks the sender to finish its current batch, close its connection and stop, without waiting.
    public func requestStop() {
        state.withLock { $0.stopRequested = true }
    }

    /// Asks the sender to stop and waits until it has, at most `timeout`. Nil if it did not stop in time.
    public func stop(timeout: Duration = .seconds(15)) async -> Report? {
        requestStop()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let report = state.withLock({ $0.report }) { return report }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return state.withLock { $0.report }
    }

    private var stopRequested: Bool { state.withLock { $0.stopRequested } }

    private func run() {
        let deadline = ContinuousClock.now + settings.timeLimit
        var next = 0
        var sessions: [Session] = []
        var connection: (fd: Int32, session: Session)?

        func endSession() {
            guard let open = connection else { return }
            close(open.fd)
            if !open.session.numbers.isEmpty { sessions.append(open.session) }
            connection = nil
        }

        while next < settings.limit && !stopRequested && ContinuousClock.now < deadline {
            guard var open = connection else {
                let before = epoch()
                if let fd = connect(port: settings.port) {
                    if epoch() == before {
                        connection = (fd, Session(epoch: before, numbers: next..<next, accepted: next..<next))
                        continue
                    }
                    close(fd)
                }
                usleep(20_000)
                continue
            }
            let end = min(next + settings.batchSize, settings.limit)
            var bytes: [UInt8] = []
            var lineEnds: [Int] = []
            for number in next..<end {
                bytes += line(number)
                lineEnds.append(bytes.count)
            }
            let sent = sendAll(open.fd, bytes, until: deadline)
            open.session.accepted = open.session.accepted.lowerBound..<(next + lineEnds.prefix { $0 <= sent }.count)
            // Sent or not, these numbers belong to this session: the next connection starts after them.
            next = end
            open.session.numbers = open.session.numbers.lowerBound..<next
            connection = open
            if sent < bytes.count {
                endSession()
                continue
            }
            sleep(for: settings.pause)
        }
        endSession()
        let ending: Ending = next >= settings.limit ? .limitReached : stopRequested ? .stopped : .timeLimitReached
        state.withLock { $0.report = Report(sessions: sessions, ending: ending) }
    }

    /// A connected socket, or nil when nothing listens (or the connection failed).
    private func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        // A receiver that stops reading must not hold this thread past its time limit.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// How many leading bytes `send` took: fewer than all when the connection broke (or the time limit
    /// passed) first.
    private func sendAll(_ fd: Int32, _ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> Int {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let sent = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) && ContinuousClock.now < deadline {
                    continue
                } else {
                    return
                }
            }
        }
        return offset
    }

    private func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
