import Framing
import NIOCore

/// Frames read from one socket in one read burst: the unit that crosses from a receiver to the parsers.
///
/// Frames are slices of the buffers NIO read into, so batching copies no message bytes.
public struct FrameBatch: Sendable {
    /// A read burst with more frames than this is handed on in parts, so one batch stays small.
    static let maximumFrames = 1024

    /// One syslog message each, without framing (no octet count, no trailing LF).
    public var frames: [ByteBuffer]
    /// Frames in this batch that were longer than `message_length_limit` and were cut to it.
    public var cutFrames: Int
    /// Bytes read off the socket for this batch, framing included.
    public var byteCount: Int
    /// When the batch was handed on, in nanoseconds since the Unix epoch.
    public var receivedAt: Int64
    /// The sender, for a stream; nil for datagrams, which may come from many senders.
    public var peer: SocketAddress?
    /// Datagrams: each frame's sender, when the receiver was asked to keep them
    /// (`ReceiverConfiguration.keepsSenders`); nil otherwise.
    public var framePeers: [SocketAddress]?
    /// For a receiver that acknowledges (RELP): resolved once the batch's records are stored.
    public var acknowledgement: DeliveryAcknowledgement?
    /// For a receiver that recognises resent messages (RELP): the sender's name and a `MessageDigest` of
    /// each message, kept in the buffer beside the records.
    public var sender: String?
    public var digests: [UInt64] = []
    /// The subject of the sender's verified TLS client certificate; nil without one.
    public var peerIdentity: String?

    /// Adds a decoded stream frame.
    mutating func append(_ frame: DecodedFrame) {
        frames.append(frame.bytes)
        byteCount += frame.bytes.readableBytes
        if frame.wasCut { cutFrames += 1 }
    }

    public init(
        frames: [ByteBuffer] = [],
        cutFrames: Int = 0,
        byteCount: Int = 0,
        receivedAt: Int64 = 0,
        peer: SocketAddress? = nil
    ) {
        self.frames = frames
        self.cutFrames = cutFrames
        self.byteCount = byteCount
        self.receivedAt = receivedAt
        self.peer = peer
    }
}

/// Where receivers deliver batches. `deliver` suspends while the pipeline is full: a TCP receiver then
/// stops reading its socket, which is how a slow pipeline slows its senders instead of growing memory.
public protocol FrameBatchSink: Sendable {
    func deliver(_ batch: FrameBatch) async
}
