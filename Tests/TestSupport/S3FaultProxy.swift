import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy on 127.0.0.1 in front of a real S3 API server that injects the failures S3 and
/// networks produce: error answers (503 SlowDown, 500), connections reset before or after the
/// server handled the request (an answer lost), bodies damaged on the way, and delays.
///
/// Requests go to the server unchanged, `Host` and signature included, so the server checks them as
/// it would without the proxy. Every request is recorded with the status the client saw.
public final class S3FaultProxy: Sendable {
    /// What an S3 request is, by method and query.
    public enum Operation: String, Sendable, Hashable {
        case putObject, createMultipartUpload, uploadPart, completeMultipartUpload, abortMultipartUpload
        case listParts, listMultipartUploads, headObject, getObject, other

        static func of(method: HTTPMethod, uri: String) -> Operation {
            let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            let names = Set(query.split(separator: "&").map { String($0.split(separator: "=").first ?? "") })
            switch method {
            case .PUT: return names.contains("partNumber") ? .uploadPart : .putObject
            case .POST: return names.contains("uploads") ? .createMultipartUpload : names.contains("uploadId") ? .completeMultipartUpload : .other
            case .DELETE: return names.contains("uploadId") ? .abortMultipartUpload : .other
            case .GET: return names.contains("uploads") ? .listMultipartUploads : names.contains("uploadId") ? .listParts : .getObject
            case .HEAD: return .headObject
            default: return .other
            }
        }
    }

    public enum Fault: Sendable, Hashable {
        /// Answer with this status and S3 error code; the server never sees the request.
        case respond(status: Int, code: String)
        /// Reset the connection without forwarding.
        case resetBeforeForwarding
        /// Forward, let the server act, then reset the connection instead of answering.
        case loseAnswer
        /// Flip one byte of the body before forwarding.
        case damageBody
        /// Wait this long, then forward.
        case delay(Duration)
    }

    public struct Recorded: Sendable, Hashable {
        public var operation: Operation
        public var uri: String
        /// The status the client saw; nil when its connection was reset.
        public var status: Int?
        public var fault: Fault?
    }

    private struct Rule {
        var operation: Operation?
        var fault: Fault
        var remaining: Int
        /// Requests of the operation to let through first.
        var skip: Int
    }

    private struct State {
        var rules: [Rule] = []
        var recorded: [Recorded] = []
    }

    public let endpoint: URL
    private let upstream: URL
    private let state = Mutex(State())
    private let channel: any Channel
    private let client: HTTPClient

    private init(endpoint: URL, upstream: URL, channel: any Channel, client: HTTPClient) {
        self.endpoint = endpoint
        self.upstream = upstream
        self.channel = channel
        self.client = client
    }

    /// Listens on 127.0.0.1 on a free port, in front of `upstream`.
    public static func start(upstream: URL) async throws -> S3FaultProxy {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(120))))
        let holder = Mutex<S3FaultProxy?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 1 << 30),
                        ProxyHandler(proxy: { holder.withLock { $0 } }),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        let proxy = S3FaultProxy(endpoint: URL(string: "http://127.0.0.1:\(port)")!, upstream: upstream, channel: channel, client: client)
        holder.withLock { $0 = proxy }
        return proxy
    }

    /// Applies `fault` to the next `times` requests of `operation` (any operation when nil), after
    /// letting `skip` of them through.
    public func inject(_ fault: Fault, on operation: Operation?, times: Int = 1, skip: Int = 0) {
        state.withLock { $0.rules.append(Rule(operation: operation, fault: fault, remaining: times, skip: skip)) }
    }

    /// Removes every fault not applied yet.
    public func clearFaults() {
        state.withLock { $0.rules.removeAll() }
    }

    public var recorded: [Recorded] { state.withLock { $0.recorded } }

    public func count(_ operation: Operation) -> Int {
        recorded.filter { $0.operation == operation }.count
    }

    public func stop() async {
        try? await channel.close()
        try? await client.shutdown()
    }

    fileprivate func fault(for operation: Operation) -> Fault? {
        state.withLock { state in
            for index in state.rules.indices where state.rules[index].operation == nil || state.rules[index].operation == operation {
                if state.rules[index].skip > 0 {
                    state.rules[index].skip -= 1
                    continue
                }
                let fault = state.rules[index].fault
                state.rules[index].remaining -= 1
                if state.rules[index].remaining == 0 { state.rules.remove(at: index) }
                return fault
            }
            return nil
        }
    }

    fileprivate func record(_ entry: Recorded) {
        state.withLock { $0.recorded.append(entry) }
    }

    /// Forwards the request as it came; returns the server's answer.
    fileprivate func forward(head: HTTPRequestHead, body: ByteBuffer?) async throws -> (HTTPResponseHead, ByteBuffer) {
        var request = HTTPClientRequest(url: upstream.absoluteString.trimmingSuffix("/") + head.uri)
        request.method = head.method
        for (name, value) in head.headers where !["connection", "transfer-encoding"].contains(name.lowercased()) {
            request.headers.add(name: name, value: value)
        }
        if let body, body.readableBytes > 0 { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 1 << 30)
        var headers = HTTPHeaders()
        for (name, value) in response.headers where !["connection", "transfer-encoding", "content-length"].contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        return (HTTPResponseHead(version: .http1_1, status: response.status, headers: headers), bytes)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

private final class ProxyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let proxy: @Sendable () -> S3FaultProxy?

    init(proxy: @escaping @Sendable () -> S3FaultProxy?) {
        self.proxy = proxy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        guard let proxy = proxy() else {
            context.close(promise: nil)
            return
        }
        let operation = S3FaultProxy.Operation.of(method: request.head.method, uri: request.head.uri)
        let fault = proxy.fault(for: operation)
        let channel = context.channel
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        var body = request.body
        Task {
            // Recorded before the client hears anything, so a test reading `recorded` after its
            // request returned finds it.
            func record(_ status: Int?) { proxy.record(.init(operation: operation, uri: request.head.uri, status: status, fault: fault)) }
            do {
                switch fault {
                case .respond(let code, let awsCode):
                    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(awsCode)</Code><Message>injected by the test proxy</Message><RequestId>proxy</RequestId></Error>"
                    var headers = HTTPHeaders([("Content-Type", "application/xml"), ("Content-Length", String(xml.utf8.count))])
                    if request.head.method == .HEAD { headers.replaceOrAdd(name: "Content-Length", value: "0") }
                    record(code)
                    try await Self.answer(loopBound, channel: channel, HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers), request.head.method == .HEAD ? ByteBuffer() : ByteBuffer(string: xml))
                    return
                case .resetBeforeForwarding:
                    record(nil)
                    Self.reset(channel)
                    return
                case .delay(let duration):
                    try await Task.sleep(for: duration)
                case .damageBody:
                    if var damaged = body, damaged.readableBytes > 0 {
                        let index = damaged.readerIndex + damaged.readableBytes / 2
                        damaged.setInteger(damaged.getInteger(at: index, as: UInt8.self)! ^ 0x01, at: index)
                        body = damaged
                    }
                case .loseAnswer, nil:
                    break
                }
                let (head, bytes) = try await proxy.forward(head: request.head, body: body)
                if fault == .loseAnswer {
                    record(nil)
                    Self.reset(channel)
                    return
                }
                record(Int(head.status.code))
                try await Self.answer(loopBound, channel: channel, head, request.head.method == .HEAD ? ByteBuffer() : bytes)
            } catch {
                record(nil)
                Self.reset(channel)
            }
        }
    }

    private static func answer(_ context: NIOLoopBound<ChannelHandlerContext>, channel: any Channel, _ head: HTTPResponseHead, _ body: ByteBuffer) async throws {
        try await channel.eventLoop.submit {
            let context = context.value
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            if body.readableBytes > 0 { context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }.get()
    }

    /// Closes with SO_LINGER 0: the client sees a reset, as from a broken network.
    private static func reset(_ channel: any Channel) {
        channel.eventLoop.execute {
            guard let provider = channel as? any SocketOptionProvider else {
                channel.close(promise: nil)
                return
            }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
