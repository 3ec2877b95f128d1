import Framing
import Ingest
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Opens one connection of the configured transport with a `LoadWriter` at the end of its pipeline.
/// TLS goes here as a `NIOSSLClientHandler` before the writer; RELP as a `RELPClientSession` that opens
/// the session, counts the `rsp` acknowledgements and closes it.
enum Connector {
    static func connect(
        configuration: LoadGenerator.Configuration, connection: Int, quota: Int?, counters: ConnectionCounters,
        group: any EventLoopGroup, tlsContext: NIOSSLContext? = nil
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
        // Every stream transport: the same connect timeout, no Nagle delay, the same queue bound.
        let stream = {
            ClientBootstrap(group: group)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.writeBufferWaterMark, value: waterMark)
        }
        switch configuration.transport {
        case .tls:
            guard let tlsContext else { preconditionFailure("a TLS run makes its context before connecting") }
            // SNI takes a name, never an address; for an address the certificate is checked against it.
            let serverName = (try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil ? configuration.host : nil
            // The writer starts once the handshake is done: before, NIOSSL would take every write into
            // its own buffer while the channel stays writable, and a refused handshake is a failed
            // connection rather than messages counted as sent.
            let handshake = group.next().makePromise(of: Void.self)
            do {
                let channel = try await stream()
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let pipeline = channel.pipeline.syncOperations
                            try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                            try pipeline.addHandler(HandshakeWaiter(done: handshake))
                        }.flatMap { initializer(channel) }
                    }
                    .connect(host: configuration.host, port: configuration.port)
                    .get()
                do {
                    try await handshake.futureResult.get()
                } catch {
                    channel.close(promise: nil)
                    throw error
                }
                return channel
            } catch {
                handshake.fail(error)
                throw error
            }
        case .relp:
            return try await stream()
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(ByteToMessageHandler(RELPFrameDecoder(limit: 4096)))
                        try pipeline.addHandler(RELPClientSession(counters: counters, answerTimeout: configuration.stallTimeout))
                    }.flatMap { initializer(channel) }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        case .tcp:
            return try await stream()
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

/// Completes `done` when the TLS handshake completes, or fails it with the error or close that ends it.
private final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct ClosedDuringHandshake: Error, CustomStringConvertible {
        var description: String { "the receiver closed the connection during the TLS handshake" }
    }

    private let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { done.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ClosedDuringHandshake())
        context.fireChannelInactive()
    }
}
