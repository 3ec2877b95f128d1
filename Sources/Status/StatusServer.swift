import CivilTime
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Serves Sluice's counters over HTTP on one address: `GET /metrics` in the Prometheus text format,
/// `GET /api/status` as JSON grouped per input and per output (what `sluice top` reads), and
/// `GET /api/plugins.json` in the shape of Fluentd's monitor_agent.
///
/// Both are rendered from the same registry the pipeline's swift-metrics counters and gauges write
/// to, so they always agree. Requests are answered on the event loop from a snapshot; nothing here
/// holds the pipeline up.
public final class StatusServer: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The port bound (useful when started on port 0).
    public let port: Int
    private let channel: any Channel

    private init(registry: PrometheusCollectorRegistry, port: Int, channel: any Channel) {
        self.registry = registry
        self.port = port
        self.channel = channel
    }

    /// Listens on `host:port`. `startedAt` is the process start (`WallClock.nanoseconds()`), for the uptime.
    public static func start(
        host: String, port: Int, registry: PrometheusCollectorRegistry, startedAt: Int64,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> StatusServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(StatusHandler(registry: registry, startedAt: startedAt))
                }
            }
            .bind(host: host, port: port).get()
        return StatusServer(registry: registry, port: channel.localAddress?.port ?? port, channel: channel)
    }

    public func stop() async {
        try? await channel.close()
    }
}

private final class StatusHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let startedAt: Int64

    init(registry: PrometheusCollectorRegistry, startedAt: Int64) {
        self.registry = registry
        self.startedAt = startedAt
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let (status, contentType, body): (HTTPResponseStatus, String, [UInt8])
        switch (head.method, path) {
        case (.GET, "/metrics"):
            (status, contentType, body) = (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        case (.GET, "/api/status"):
            let document = StatusDocument(prometheusText: registry.emitToString(), uptimeSeconds: Double(WallClock.nanoseconds() - startedAt) / 1e9)
            (status, contentType, body) = (.ok, "application/json", document.json())
        case (.GET, "/api/plugins.json"):
            let document = StatusDocument(prometheusText: registry.emitToString(), uptimeSeconds: Double(WallClock.nanoseconds() - startedAt) / 1e9)
            (status, contentType, body) = (.ok, "application/json", document.monitorAgentJSON())
        case (.GET, "/"):
            (status, contentType, body) = (.ok, "text/plain; charset=utf-8", Array("sluice: GET /metrics (Prometheus), GET /api/status (JSON), GET /api/plugins.json (monitor_agent's shape)\n".utf8))
        case (.GET, _), (.HEAD, _):
            (status, contentType, body) = (.notFound, "text/plain; charset=utf-8", Array("not found: try /metrics or /api/status\n".utf8))
        default:
            (status, contentType, body) = (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET\n".utf8))
        }
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))])
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
            if !keepAlive { context.value.close(promise: nil) }
        }
    }
}
