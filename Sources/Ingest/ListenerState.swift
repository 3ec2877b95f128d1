import NIOCore
import Synchronization

/// What a receiver tracks to stop cleanly: its listening channel, the connections it serves, and
/// whether a stop came (possibly before the bind finished).
final class ListenerState: Sendable {
    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var stopping = false
        var boundPort: Int?
    }

    private let state = Mutex(State())

    var boundPort: Int? { state.withLock { $0.boundPort } }

    /// Records the bound channel; closes it at once when a stop came first.
    func bound(_ channel: any Channel, port: Int) {
        let stopEarly = state.withLock { state -> Bool in
            state.listener = channel
            state.boundPort = port
            return state.stopping
        }
        if stopEarly { channel.close(promise: nil) }
    }

    /// Registers a new connection; false (and the connection closed) once stopping.
    func admit(_ connection: any Channel) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        if !admitted { connection.close(promise: nil) }
        return admitted
    }

    func remove(_ connection: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Closes the listener at once (a datagram socket, which is its own listener, after `drain`), and
    /// every connection after `drain`: until then they keep being read, so what a sender has already
    /// written (and the kernel has accepted) is not thrown away with the socket. A connection whose
    /// sender closes first ends earlier.
    func stop(drain: TimeAmount, drainListener: Bool = false) {
        let (listener, connections) = state.withLock { state -> ((any Channel)?, [any Channel]) in
            state.stopping = true
            return (state.listener, Array(state.connections.values))
        }
        var draining = connections
        if let listener {
            if drainListener { draining.append(listener) } else { listener.close(promise: nil) }
        }
        for channel in draining {
            channel.eventLoop.scheduleTask(in: drain) { channel.close(promise: nil) }
        }
    }
}

extension NIOAsyncChannel where Inbound == FrameBatch, Outbound == Never {
    /// Wraps a receiver's channel: at most `readAhead` batches wait in it before NIO stops reading.
    static func frameBatches(wrapping channel: any Channel, readAhead: Int) throws -> Self {
        try Self(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: max(2, readAhead)))
        )
    }
}
