import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Syslog over UDP: one datagram is one message. Datagrams are read in bursts and handed on as batches;
/// while the sink is full the socket is not read and the kernel's receive buffer absorbs the burst.
public final class UDPReceiver: Sendable {
    public let configuration: ReceiverConfiguration
    private let sink: any FrameBatchSink
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex<(channel: (any Channel)?, stopping: Bool, boundPort: Int?)>((nil, false, nil))

    /// The largest datagram read; longer ones are truncated by the kernel and then cut to the limit.
    private static let maximumDatagram = 65_536
    /// Receive buffer asked of the kernel: a burst of datagrams waits there while the pipeline is busy.
    public static let receiveBufferSize = 8 * 1024 * 1024

    public init(configuration: ReceiverConfiguration, sink: any FrameBatchSink, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.sink = sink
        self.group = group
        self.logger = logger
    }

    public var boundPort: Int? { state.withLock { $0.boundPort } }

    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let limit = configuration.messageLengthLimit
        let readAhead = configuration.readAheadBatches
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(Self.receiveBufferSize))
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.maximumDatagram))
            .channelOption(.maxMessagesPerRead, value: 64)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramFrameBatcher(limit: limit))
                    return try NIOAsyncChannel<FrameBatch, Never>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: max(2, readAhead)))
                    )
                }
            }
        let port = channel.channel.localAddress?.port ?? configuration.port
        let stopEarly = state.withLock { state -> Bool in
            state.channel = channel.channel
            state.boundPort = port
            return state.stopping
        }
        if stopEarly { channel.channel.close(promise: nil) }
        logger.info("listening syslog socket on \(configuration.host):\(port) with udp")
        onBound(port)

        do {
            try await channel.executeThenClose { inbound, _ in
                for try await batch in inbound {
                    await sink.deliver(batch)
                }
            }
        } catch is ChannelError {
            // Closed by stop(): what was read has been delivered.
        }
    }

    /// Stops reading; datagrams already read are still delivered.
    public func stop() {
        let channel = state.withLock { state -> (any Channel)? in
            state.stopping = true
            return state.channel
        }
        channel?.close(promise: nil)
    }
}
