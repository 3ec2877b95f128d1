import Logging
import NIOCore
import Synchronization

/// Caps the connections one listener serves at once (`ConnectionLimits.maxConnections`).
///
/// The check is made on the listening channel, before NIO sets up the accepted one: a connection over
/// the limit is closed at once, so its sender gets a FIN (an RST when it had already sent data) and
/// reconnects later, rather than hanging in the backlog or costing a pipeline. A slot is freed when
/// its connection closes, whoever closes it.
public final class ConnectionGate: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)
    private let events: ConnectionEvents
    private let warnings = WarningThrottle()
    private let listener: String
    private let logger: Logger

    /// - Parameter listener: how log lines name the listener, e.g. `tcp 0.0.0.0:5140`.
    public init(limit: Int, events: ConnectionEvents = .init(), listener: String, logger: Logger) {
        self.limit = limit
        self.events = events
        self.listener = listener
        self.logger = logger
    }

    /// The connections being served now.
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// Takes a slot for `connection`, given back when it closes; when none is left, closes it instead
    /// and returns false.
    func admit(_ connection: any Channel) -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                events.opened()
                connection.closeFuture.whenComplete { _ in
                    self.open.subtract(1, ordering: .relaxed)
                    self.events.closed()
                }
                return true
            }
            current = original
        }
        let peer = connection.remoteAddress
        connection.close(promise: nil)
        events.refused()
        if let heldBack = warnings.admit() {
            let more = heldBack > 0 ? " (and \(heldBack) more since the last warning)" : ""
            logger.warning(
                "refused a syslog connection on \(listener)\(more): max_connections \(limit) are open; raise max_connections (and the open-files limit) if this many senders are expected",
                metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"]
            )
        }
        return false
    }

    /// The handler for the listening channel's pipeline (`serverChannelInitializer`): it sees each
    /// accepted connection before NIO's own accept handling and lets through only those admitted.
    public func makeHandler() -> some ChannelInboundHandler { Handler(gate: self) }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = any Channel
        typealias InboundOut = any Channel

        let gate: ConnectionGate

        init(gate: ConnectionGate) {
            self.gate = gate
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if gate.admit(Self.unwrapInboundIn(data)) {
                context.fireChannelRead(data)
            }
        }
    }
}
