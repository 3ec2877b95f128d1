import NIOCore

/// What a receiver listens on and how much it takes.
public struct ReceiverConfiguration: Sendable {
    /// The address to bind, e.g. `0.0.0.0` or `127.0.0.1`.
    public var host: String
    /// The port; 0 asks the kernel for a free one (tests), reported by `boundPort`.
    public var port: Int
    /// The longest message kept, in bytes; longer ones are cut to it and counted.
    public var messageLengthLimit: Int
    /// Batches read ahead per connection before the receiver stops reading its socket.
    public var readAheadBatches: Int
    /// On stop, how long open connections are still read before they are closed: data a sender wrote
    /// just before is in the kernel's buffers, acknowledged, and would be lost with the socket.
    public var drainTimeout: TimeAmount
    /// UDP: the socket's receive buffer, where a burst waits while the pipeline is busy. Asked past
    /// `net.core.rmem_max` when the process may (CAP_NET_ADMIN), else capped there by the kernel.
    public var receiveBufferSize: Int
    /// UDP: keep each datagram's sender in `FrameBatch.framePeers` (records that name their sender).
    public var keepsSenders = false
    /// TCP: speak TLS (RFC 5425) instead of plain TCP; nil for plain.
    public var tls: TLSServerConfiguration?
    /// Streams: how many connections are served at once and how long one may stay silent.
    public var connectionLimits: ConnectionLimits

    public init(
        host: String = "0.0.0.0",
        port: Int = 5140,
        messageLengthLimit: Int = 8192,
        readAheadBatches: Int = 4,
        drainTimeout: TimeAmount = .seconds(2),
        receiveBufferSize: Int = 8 << 20,
        tls: TLSServerConfiguration? = nil,
        connectionLimits: ConnectionLimits = .init()
    ) {
        self.tls = tls
        self.connectionLimits = connectionLimits
        self.receiveBufferSize = receiveBufferSize
        self.host = host
        self.port = port
        self.messageLengthLimit = messageLengthLimit
        self.readAheadBatches = readAheadBatches
        self.drainTimeout = drainTimeout
    }
}
