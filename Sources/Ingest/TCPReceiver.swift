import Framing
import Logging
import NIOCore
import NIOPosix

/// What a stream receiver speaks.
public enum StreamProtocol: Sendable {
    /// Syslog frames, octet-counted or LF-terminated (RFC 6587), never answered.
    case syslog
    /// RELP sessions: each message answered once it is stored.
    case relp(RELPConfiguration)

    var name: String { name(tls: false) }

    func name(tls: Bool) -> String {
        switch self {
        case .syslog: tls ? "tls" : "tcp"
        case .relp: tls ? "relp over tls" : "relp"
        }
    }
}

/// Syslog over TCP: one NIO channel per connection, frames split by `SyslogFrameDecoder` (or RELP
/// sessions, `RELPSessionHandler`), batches handed to the sink. Each connection has its own task; while the sink is full that task waits, its
/// NIOAsyncChannel buffer fills, NIO stops reading the socket and TCP flow control slows the sender.
///
/// With `configuration.tls` the connections speak TLS (RFC 5425): TLS comes first in each pipeline and
/// the same decoder splits the plaintext, RFC 5425's octet counting being detected per frame.
public final class TCPReceiver: Sendable {
    public let configuration: ReceiverConfiguration
    private let sink: any FrameBatchSink
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = ListenerState()
    private let streamProtocol: StreamProtocol
    /// Built once here from `configuration.tls`; a failure waits for `verifyTLSSetup` or `run`.
    private let tls: Result<TLSServer, any Error>?
    private let connectionEvents: ConnectionEvents

    public init(
        configuration: ReceiverConfiguration, protocol streamProtocol: StreamProtocol = .syslog, sink: any FrameBatchSink,
        group: any EventLoopGroup, logger: Logger, connectionEvents: ConnectionEvents = .init()
    ) {
        self.connectionEvents = connectionEvents
        self.configuration = configuration
        self.streamProtocol = streamProtocol
        self.sink = sink
        self.group = group
        self.logger = logger
        self.tls = configuration.tls.map { tls in Result { try TLSServer(configuration: tls, logger: logger) } }
    }

    /// Throws the `TLSSetupError` met reading the TLS files, so a caller can refuse to start before
    /// anything listens; `run` throws it too.
    public func verifyTLSSetup() throws {
        _ = try tls?.get()
    }

    /// The port bound, once `run` has bound it.
    public var boundPort: Int? { state.boundPort }

    /// Binds, then accepts and reads connections until `stop()`; returns once every connection's
    /// frames are delivered.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let limit = configuration.messageLengthLimit
        let readAhead = configuration.readAheadBatches
        let streamProtocol = self.streamProtocol
        let tls = try self.tls?.get()
        let idleTimeout = configuration.connectionLimits.idleTimeout
        let (events, logger) = (connectionEvents, logger)
        let gate = ConnectionGate(
            limit: configuration.connectionLimits.maxConnections, events: events,
            listener: "\(streamProtocol.name) \(configuration.host):\(configuration.port)", logger: logger
        )
        let server = try await ServerBootstrap(group: group)
            .limitingConnections(gate)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    try tls?.addTLSHandlers(to: handlers)
                    try handlers.addIdleTimeout(idleTimeout, events: events, logger: logger)
                    switch streamProtocol {
                    case .syslog:
                        try handlers.addHandler(SyslogStreamFramer(limit: limit))
                    case .relp(let relp):
                        try handlers.addHandler(RELPSessionHandler(configuration: relp, limit: limit, logger: logger))
                    }
                    return try NIOAsyncChannel.frameBatches(wrapping: channel, readAhead: readAhead)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        state.bound(server.channel, port: port)
        logger.info("listening syslog socket on \(configuration.host):\(port) with \(streamProtocol.name(tls: tls != nil))")
        onBound(port)

        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    state.admit(connection.channel)
                    group.addTask {
                        await self.serve(connection)
                        self.state.remove(connection.channel)
                    }
                }
            }
        }
    }

    /// Stops after the drain time: until then connections are still accepted and read, so what senders
    /// wrote before the stop is delivered; then the listener and every connection close.
    public func stop() {
        state.stop(drain: configuration.drainTimeout)
    }

    private func serve(_ connection: NIOAsyncChannel<FrameBatch, Never>) async {
        let peer = connection.channel.remoteAddress
        logger.debug("accepted syslog connection", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"])
        do {
            try await connection.executeThenClose { inbound, _ in
                for try await batch in inbound {
                    await sink.deliver(batch)
                }
            }
            logger.debug("syslog connection closed by the sender", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"])
        } catch {
            logger.debug("syslog connection ended", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")", "error": "\(error)"])
        }
    }
}
