import Logging
import NIOCore

/// Closes a connection that sent nothing for `ConnectionLimits.idleTimeout` while the receiver was
/// waiting for it: a sender that went silent, vanished without a FIN, or stalled in the middle of a
/// frame. NIO's `IdleStateHandler` keeps the time; this handler decides.
///
/// `IdleStateHandler` counts from the last read, including time when the receiver itself stopped
/// reading because the pipeline was full; closing then would throw away what the sender already
/// wrote into the socket. So a connection counts as idle only from when a read was asked of the
/// socket (NIO's outbound `read`, which backpressure holds back) with nothing arriving since. A
/// connection is therefore closed between one and two `idleTimeout`s after it fell silent.
final class IdleConnectionCloser: ChannelDuplexHandler {
    typealias InboundIn = Any
    typealias InboundOut = Any
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private let timeout: TimeAmount
    private let events: ConnectionEvents
    private let logger: Logger
    /// Since when the socket was asked for data without any arriving; nil while data flows or the
    /// receiver holds reads back.
    private var waitingSince: NIODeadline?

    init(timeout: TimeAmount, events: ConnectionEvents, logger: Logger) {
        self.timeout = timeout
        self.events = events
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        waitingSince = nil
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if waitingSince == nil { waitingSince = .now() }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard let since = waitingSince, .now() - since >= timeout else { return }
        logger.debug(
            "closing an idle syslog connection: nothing received for idle_timeout",
            metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "idle_timeout": "\(timeout)"]
        )
        events.closedIdle()
        context.close(promise: nil)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the idle timeout to a connection's pipeline (nothing when `timeout` is nil). Added before
    /// the framing decoder, it sees every read the connection's socket is asked for.
    public func addIdleTimeout(_ timeout: TimeAmount?, events: ConnectionEvents = .init(), logger: Logger) throws {
        guard let timeout else { return }
        try addHandler(IdleStateHandler(readTimeout: timeout))
        try addHandler(IdleConnectionCloser(timeout: timeout, events: events, logger: logger))
    }
}
