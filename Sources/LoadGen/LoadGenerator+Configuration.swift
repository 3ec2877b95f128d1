import NIOCore

extension LoadGenerator {
    /// What to send, where, how fast and for how long. Defaults are those of `sluice loadgen`.
    public struct Configuration: Sendable {
        /// The receiver's address. Default `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// The receiver's port. Default 5140 (Sluice's embedded default).
        public var port: Int = 5140
        /// Default TCP: the transport on which loss, duplicates and order can all be checked.
        public var transport: Transport = .tcp
        /// Trust and client certificate for `transport` tls. Default: the system's CAs, no certificate.
        public var tls = TLSOptions()
        /// How messages are delimited on a stream transport; ignored for UDP (one datagram, one message).
        /// Default LF, as rsyslog's `omfwd` sends.
        public var framing: Framing = .lf
        /// Header shape of generated messages. Default RFC 3164, as rsyslog forwards.
        public var format: Format = .rfc3164
        /// Messages per second per connection; 0 sends as fast as the receiver takes them. Default 0.
        public var rate: Int = 0
        /// Parallel connections (UDP: sockets), each with its own numbering. Default 1.
        public var connections: Int = 1
        /// When to stop; the run always stops by itself. Default: after 10 seconds.
        public var bound: Bound = .defaultBound
        /// Length of each generated message in bytes, framing excluded: a shorter message is padded
        /// with a space and filler up to it; a longer one is sent whole. 0: no padding. Default 130,
        /// the line length of the reference figures in issue 6.
        public var size: Int = 130
        /// Lines replayed round-robin instead of generated messages (`--corpus`); nil generates.
        public var corpus: Corpus?
        /// HOSTNAME of generated messages. Default `loadgen`.
        public var hostname: String = "loadgen"
        /// APP-NAME (RFC 5424) or tag (RFC 3164) of generated messages. Default `app`.
        public var appName: String = "app"
        /// PROCID of generated messages. Default 123; the command passes its process id.
        public var processID: Int = 123
        /// PRI of generated messages. Default 134 (local0.info).
        public var priority: Int = 134
        /// Bytes rendered per stream write (one syscall when the socket takes it). Default 64 KiB.
        public var writeSize: Int = 64 * 1024
        /// Bytes queued per connection in NIO before the generator waits for the socket: what a slow
        /// receiver can make the generator hold. Default 256 KiB (plus one write).
        public var maximumQueuedBytes: Int = 256 * 1024
        /// How long queued messages may take to leave once the bound is reached, before the connection
        /// is closed on them (they count as unsent). Default 2 s.
        public var drainTimeout: TimeAmount = .seconds(2)
        /// How long a connection may stay unwritable (the receiver takes nothing) before it stops as at the
        /// bound, so that a run bounded by a count alone still ends. Default 30 s.
        public var stallTimeout: TimeAmount = .seconds(30)
        /// How long a connection may take to open. Default 5 s.
        public var connectTimeout: TimeAmount = .seconds(5)

        public init() {}

        /// Throws `LoadGenError.invalidConfiguration` naming the option that is wrong.
        public func validate() throws {
            func invalid(_ detail: String) -> LoadGenError { LoadGenError(code: .invalidConfiguration, detail: detail) }
            guard !host.isEmpty else { throw invalid("--host is empty") }
            guard (1...65535).contains(port) else { throw invalid("--port \(port) is not in 1...65535") }
            guard rate >= 0 else { throw invalid("--rate \(rate) is negative; use 0 for unlimited") }
            guard (1...10_000).contains(connections) else { throw invalid("--connections \(connections) is not in 1...10000") }
            switch bound {
            case .count(let count), .countOrDuration(let count, _):
                guard count >= 0 else { throw invalid("--count \(count) is negative") }
            case .duration:
                break
            }
            if let duration = bound.duration, duration <= .zero {
                throw invalid("--duration must be positive")
            }
            let largest = transport == .udp ? Self.largestDatagram : Self.largestStreamMessage
            guard size >= 0 && size <= largest else {
                throw invalid("--size \(size) is not in 0...\(largest) for \(transport)")
            }
            if let corpus, transport == .udp, corpus.longestLine > Self.largestDatagram {
                throw invalid("--corpus has a line of \(corpus.longestLine) bytes, longer than a UDP datagram (\(Self.largestDatagram))")
            }
            guard (0...191).contains(priority) else { throw invalid("priority \(priority) is not in 0...191") }
            for (name, field) in [("hostname", hostname), ("app name", appName)] {
                guard !field.isEmpty, field.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                    throw invalid("\(name) '\(field)' must be printable ASCII without spaces")
                }
            }
            guard processID >= 0 else { throw invalid("process id \(processID) is negative") }
            guard stallTimeout > .zero, drainTimeout >= .zero, connectTimeout > .zero else {
                throw invalid("time-outs must be positive")
            }
            guard writeSize >= 512 else { throw invalid("write size \(writeSize) is under 512 bytes") }
            guard maximumQueuedBytes >= writeSize else { throw invalid("queued bytes \(maximumQueuedBytes) are under the write size") }
        }

        /// The largest UDP payload over IPv4.
        public static let largestDatagram = 65_507
        /// A sanity bound for one stream message.
        public static let largestStreamMessage = 1 << 20
    }

    /// The wire under the syslog frames.
    public enum Transport: String, Sendable, CaseIterable, CustomStringConvertible {
        case udp
        case tcp
        /// TCP with TLS (RFC 5425), set up by `tls`.
        case tls
        /// RELP (rsyslog's acknowledged protocol) over TCP: every message answered, counted as acknowledged.
        case relp
        public var description: String { rawValue }
    }

    /// Stream framing (RFC 6587): a line feed after each message, or `<length> ` before it.
    public enum Framing: String, Sendable, CaseIterable, CustomStringConvertible {
        case lf
        case octetCounted = "octet-counted"
        public var description: String { rawValue }
    }

    public enum Format: String, Sendable, CaseIterable, CustomStringConvertible {
        case rfc3164
        case rfc5424
        public var description: String { rawValue }
    }

    /// When a run stops: after a number of messages in all (split evenly over the connections, the
    /// first ones taking the remainder), after a time, or at whichever comes first.
    public enum Bound: Sendable, Hashable {
        case count(Int)
        case duration(TimeAmount)
        case countOrDuration(Int, TimeAmount)

        public static let defaultBound = Bound.duration(.seconds(10))

        public var count: Int? {
            switch self {
            case .count(let count), .countOrDuration(let count, _): count
            case .duration: nil
            }
        }

        public var duration: TimeAmount? {
            switch self {
            case .duration(let duration), .countOrDuration(_, let duration): duration
            case .count: nil
            }
        }

        /// The share of connection `index` (0-based) of `count` messages over `connections`.
        static func share(of count: Int, connection index: Int, connections: Int) -> Int {
            count / connections + (index < count % connections ? 1 : 0)
        }
    }
}
