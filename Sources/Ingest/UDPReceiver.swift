import Logging
import NIOCore
import NIOPosix

/// Syslog over UDP: one datagram is one message. Datagrams are read in bursts and handed on as batches;
/// while the sink is full the socket is not read and the kernel's receive buffer absorbs the burst.
public final class UDPReceiver: Sendable {
    public let configuration: ReceiverConfiguration
    private let sink: any FrameBatchSink
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = ListenerState()
    private let onKernelDrops: @Sendable (Int) -> Void

    /// Datagrams taken per `recvmmsg` call.
    static let vectorRead = 16

    /// The largest UDP payload: 65,527 bytes over IPv6, 65,507 over IPv4. A datagram is one whole
    /// message (RFC 5426), so UDP takes any datagram whole; `messageLengthLimit` bounds what a stream
    /// decoder must hold for a frame not yet complete, which a datagram never is.
    static let maximumDatagram = 65_527

    /// `onKernelDrops` is told how many more datagrams the kernel dropped on the socket, every second
    /// that it dropped some.
    public init(
        configuration: ReceiverConfiguration, sink: any FrameBatchSink, group: any EventLoopGroup, logger: Logger,
        onKernelDrops: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.onKernelDrops = onKernelDrops
        self.configuration = configuration
        self.sink = sink
        self.group = group
        self.logger = logger
    }

    public var boundPort: Int? { state.boundPort }

    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let limit = Self.maximumDatagram
        let keepsSenders = configuration.keepsSenders
        let readAhead = configuration.readAheadBatches
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(configuration.receiveBufferSize))
            // Up to `vectorRead` datagrams per system call (recvmmsg), each in its own slot of one read
            // buffer: one byte over the largest datagram per slot, so only an IPv6 jumbogram could be
            // truncated by the kernel, then seen as too long and counted as cut. That is 1 MiB per read,
            // which frames keep alive until parsed: the price of taking any datagram whole, uncopied.
            .channelOption(.datagramVectorReadMessageCount, value: Self.vectorRead)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: (limit + 1) * Self.vectorRead))
            .channelOption(.maxMessagesPerRead, value: 4)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramFrameBatcher(limit: limit, keepsSenders: keepsSenders))
                    return try NIOAsyncChannel.frameBatches(wrapping: channel, readAhead: readAhead)
                }
            }
        // Past net.core.rmem_max when allowed (CAP_NET_ADMIN, as a collector on port 514 often runs):
        // the kernel otherwise caps the buffer there, and a burst overflows it.
        _ = try? await channel.channel.setOption(
            .socketOption(NIOBSDSocket.Option(rawValue: SO_RCVBUFFORCE)), value: SocketOptionValue(configuration.receiveBufferSize)
        ).get()
        let port = channel.channel.localAddress?.port ?? configuration.port
        state.bound(channel.channel, port: port)
        logger.info("listening syslog socket on \(configuration.host):\(port) with udp")
        onBound(port)

        let watcher = Task { await watchKernelDrops(port: port) }
        defer { watcher.cancel() }
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

    /// Counts and logs (at most every 10 s) the datagrams the kernel dropped while Sluice was not reading.
    private func watchKernelDrops(port: Int) async {
        // The socket is new, so its count starts at 0: drops before the first reading count too (a
        // burst can fill the receive buffer before this task first runs).
        guard UDPDrops.count(port: port) != nil else { return }
        var last = 0
        var unlogged = 0
        var lastLogged = ContinuousClock.now - .seconds(10)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard let now = UDPDrops.count(port: port), now > last else { continue }
            onKernelDrops(now - last)
            unlogged += now - last
            last = now
            if lastLogged.duration(to: .now) >= .seconds(10) {
                logger.warning("the kernel dropped \(unlogged) datagrams on udp port \(port): its receive buffer was full while the pipeline could not take more (buffer full, or parsing behind)")
                unlogged = 0
                lastLogged = .now
            }
        }
    }

    /// Stops reading after the drain time: datagrams already in the socket's buffer are still taken.
    public func stop() {
        state.stop(drain: configuration.drainTimeout)
    }
}
