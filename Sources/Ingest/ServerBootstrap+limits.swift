import NIOCore
import NIOPosix

extension ServerBootstrap {
    /// What every stream receiver's listener applies: the connection gate, and reads bounded per
    /// connection.
    ///
    /// An event loop serves many connections in turn; each wake-up reads a connection at most
    /// `readsPerWakeup` times into buffers of at most `maximumReadSize`, so a sender that never pauses
    /// gets 256 KiB before the loop moves to the next connection, and holds no larger buffer. (NIO's
    /// defaults today; set here so that a change of default cannot undo it.)
    public func limitingConnections(_ gate: ConnectionGate) -> ServerBootstrap {
        self.serverChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(gate.makeHandler())
            }
        }
        .childChannelOption(.maxMessagesPerRead, value: ConnectionGate.readsPerWakeup)
        .childChannelOption(
            .recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: ConnectionGate.maximumReadSize)
        )
    }
}

extension ConnectionGate {
    static let readsPerWakeup: UInt = 4
    static let maximumReadSize = 64 << 10
}
