import NIOCore
import NIOPosix

/// Opens one connection of the configured transport with a `LoadWriter` at the end of its pipeline.
/// TLS goes here as a `NIOSSLClientHandler` before the writer; RELP as a session handler that opens the
/// session, numbers frames and counts the `rsp` acknowledgements.
enum Connector {
    static func connect(
        configuration: LoadGenerator.Configuration, connection: Int, quota: Int?, counters: ConnectionCounters,
        group: any EventLoopGroup
    ) async throws -> any Channel {
        let waterMark = ChannelOptions.Types.WriteBufferWaterMark(
            low: configuration.maximumQueuedBytes / 2, high: configuration.maximumQueuedBytes
        )
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    LoadWriter(configuration: configuration, connection: connection, quota: quota, counters: counters)
                )
            }
        }
        switch configuration.transport {
        case .tcp:
            return try await ClientBootstrap(group: group)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.writeBufferWaterMark, value: waterMark)
                .channelInitializer(initializer)
                .connect(host: configuration.host, port: configuration.port)
                .get()
        case .udp:
            return try await DatagramBootstrap(group: group)
                .channelOption(.writeBufferWaterMark, value: waterMark)
                .channelInitializer(initializer)
                .connect(host: configuration.host, port: configuration.port)
                .get()
        }
    }
}
