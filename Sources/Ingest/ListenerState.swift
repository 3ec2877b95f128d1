import NIOCore
import Synchronization

/// What a receiver tracks to stop cleanly: its listening channel, the connections it serves, and when
/// they close once a stop came (possibly before the bind finished).
///
/// A stop does not close sockets at once: what a sender wrote just before is in the kernel's buffers,
/// already accepted, and would be thrown away with the socket. Until the drain deadline the listener
/// keeps accepting (connections waiting in its backlog hold data too) and every socket keeps being
/// read; at the deadline all close. A connection whose sender closes first ends earlier.
final class ListenerState: Sendable {
    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        /// Set by `stop`: when every channel closes.
        var closeAt: NIODeadline?
        var boundPort: Int?
    }

    private let state = Mutex(State())

    var boundPort: Int? { state.withLock { $0.boundPort } }

    /// Records the bound channel.
    func bound(_ channel: any Channel, port: Int) {
        let closeAt = state.withLock { state -> NIODeadline? in
            state.listener = channel
            state.boundPort = port
            return state.closeAt
        }
        if let closeAt { Self.close(channel, at: closeAt) }
    }

    /// Registers a new connection; during a drain it is read until the deadline like the others.
    func admit(_ connection: any Channel) {
        let closeAt = state.withLock { state -> NIODeadline? in
            state.connections[ObjectIdentifier(connection)] = connection
            return state.closeAt
        }
        if let closeAt { Self.close(connection, at: closeAt) }
    }

    func remove(_ connection: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Closes the listener and every connection `drain` from now.
    func stop(drain: TimeAmount) {
        let closeAt = NIODeadline.now() + drain
        let channels = state.withLock { state -> [any Channel] in
            guard state.closeAt == nil else { return [] }
            state.closeAt = closeAt
            return Array(state.connections.values) + (state.listener.map { [$0] } ?? [])
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ReceiverStopping())
            Self.close(channel, at: closeAt)
        }
    }

    private static func close(_ channel: any Channel, at deadline: NIODeadline) {
        channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
    }
}

/// Told to every connection when its receiver stops: a session that can end cleanly (RELP) does.
struct ReceiverStopping: Sendable {}

extension NIOAsyncChannel where Inbound == FrameBatch, Outbound == Never {
    /// Wraps a receiver's channel: at most `readAhead` batches wait in it before NIO stops reading.
    static func frameBatches(wrapping channel: any Channel, readAhead: Int) throws -> Self {
        try Self(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: max(2, readAhead)))
        )
    }
}
