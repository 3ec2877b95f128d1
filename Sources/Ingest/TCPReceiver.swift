import Logging
import NIOCore
import NIOPosix

/// Syslog over TCP: one NIO channel per connection, frames split by `SyslogFrameDecoder`, batches
/// handed to the sink. Each connection has its own task; while the sink is full that task waits, its
/// NIOAsyncChannel buffer fills, NIO stops reading the socket and TCP flow control slows the sender.
public final class TCPReceiver: Sendable {
    public let configuration: ReceiverConfiguration
    private let sink: any FrameBatchSink
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = ListenerState()
    private let connectionEvents: ConnectionEvents

    public init(
        configuration: ReceiverConfiguration, sink: any FrameBatchSink, group: any EventLoopGroup, logger: Logger,
        connectionEvents: ConnectionEvents = .init()
    ) {
        self.connectionEvents = connectionEvents
        self.configuration = configuration
        self.sink = sink
        self.group = group
        self.logger = logger
    }

    /// The port bound, once `run` has bound it.
    public var boundPort: Int? { state.boundPort }

    /// Binds, then accepts and reads connections until `stop()`; returns once every connection's
    /// frames are delivered.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let limit = configuration.messageLengthLimit
        let readAhead = configuration.readAheadBatches
        let idleTimeout = configuration.connectionLimits.idleTimeout
        let (events, logger) = (connectionEvents, logger)
        let gate = ConnectionGate(
            limit: configuration.connectionLimits.maxConnections, events: events,
            listener: "tcp \(configuration.host):\(configuration.port)", logger: logger
        )
        let server = try await ServerBootstrap(group: group)
            .limitingConnections(gate)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addIdleTimeout(idleTimeout, events: events, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SyslogFrameDecoder(limit: limit)))
                    try channel.pipeline.syncOperations.addHandler(StreamFrameBatcher())
                    return try NIOAsyncChannel.frameBatches(wrapping: channel, readAhead: readAhead)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        state.bound(server.channel, port: port)
        logger.info("listening syslog socket on \(configuration.host):\(port) with tcp")
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
