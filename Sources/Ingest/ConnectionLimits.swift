import NIOCore

/// What one stream listener (TCP, TLS, RELP) allows its connections, so that one bad client cannot
/// take what the others need: file descriptors and memory (`maxConnections`), slots held by senders
/// that went silent or vanished (`idleTimeout`).
public struct ConnectionLimits: Sendable, Hashable {
    /// Connections served at once; one more is accepted and closed at once, so its sender sees the
    /// refusal instead of waiting in the listen backlog. Default 4096 (see `defaultMaxConnections`).
    public var maxConnections: Int
    /// A connection asked for data that sends none for this long is closed; nil never closes one.
    /// Time the receiver itself stops reading (the pipeline is full) does not count.
    public var idleTimeout: TimeAmount?

    /// One connection per host for a fleet of a few thousand hosts, within the 20,000 descriptors a
    /// service is commonly given; an idle connection costs a descriptor and about 8 KiB (measured by
    /// the abuse tests), a flooding one at most its read-ahead, so 4096 of them stay well within memory.
    public static let defaultMaxConnections = 4096
    /// Long enough that a quiet host (rsyslog sends only when something is logged) keeps its connection
    /// through most lulls, short enough that slots of vanished peers come back.
    public static let defaultIdleTimeout = TimeAmount.minutes(10)

    public init(maxConnections: Int = Self.defaultMaxConnections, idleTimeout: TimeAmount? = Self.defaultIdleTimeout) {
        precondition(maxConnections > 0, "max_connections must be positive")
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
    }
}

/// What a listener tells about its connections, for metrics. Called on event loops: keep them cheap.
public struct ConnectionEvents: Sendable {
    /// A connection over `maxConnections` was closed on arrival.
    public var refused: @Sendable () -> Void
    /// A connection was closed by `idleTimeout`.
    public var closedIdle: @Sendable () -> Void
    /// A connection began to be served, or stopped (closed by either side). Two events rather than a
    /// count: they come from different event loops, so a count could arrive out of order.
    public var opened: @Sendable () -> Void
    public var closed: @Sendable () -> Void

    public init(
        refused: @escaping @Sendable () -> Void = {},
        closedIdle: @escaping @Sendable () -> Void = {},
        opened: @escaping @Sendable () -> Void = {},
        closed: @escaping @Sendable () -> Void = {}
    ) {
        self.refused = refused
        self.closedIdle = closedIdle
        self.opened = opened
        self.closed = closed
    }
}
