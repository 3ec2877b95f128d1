import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for the EC2 instance metadata service (IMDSv2) and the ECS credentials endpoint,
/// on 127.0.0.1, for credential provider tests.
///
/// It is a stand-in, not the real thing: no IMDS that enforces IMDSv2 tokens can run here
/// (moto serves the same paths but hands out a fixed token and never checks it). This one
/// enforces what the real service does, as documented by AWS:
///
/// - `PUT /latest/api/token` needs `X-aws-ec2-metadata-token-ttl-seconds` of 1...21600 (else
///   400) and answers a fresh token valid for that long; a GET there is 405.
/// - Every `GET /latest/meta-data/...` needs a live `X-aws-ec2-metadata-token` (else 401).
/// - `.../iam/security-credentials/` lists the role; `.../ROLE` answers the JSON document with
///   new keys on every call, expiring `expiresIn` from now.
/// - `GET /ecs/credentials` (the container endpoint) needs `Authorization` equal to
///   `containerToken` (else 401) and answers the same document.
public final class MetadataStandIn: Sendable {
    public struct Request: Sendable, Hashable {
        public var method: String
        public var path: String
        /// The token header's value, if any; tests check it was sent, never print it.
        public var token: String?
        public var ttlHeader: String?
        public var authorization: String?
    }

    private struct State {
        var tokens: [String: Date] = [:]
        var requests: [Request] = []
        var issued = 0
        var role: String? = "sluice-instance-role"
        var expiresIn: TimeInterval = 6 * 3600
        var failures = 0
    }

    public let endpoint: URL
    public let containerToken = "container-auth-\(UUID().uuidString.prefix(8))"
    private let state = Mutex(State())
    private let channel: any Channel

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.endpoint = URL(string: "http://127.0.0.1:\(port)")!
    }

    public static func start() async throws -> MetadataStandIn {
        let box = Mutex<MetadataStandIn?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(server: { box.withLock { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = MetadataStandIn(channel: channel, port: channel.localAddress!.port!)
        box.withLock { $0 = server }
        return server
    }

    public func stop() async {
        try? await channel.close()
    }

    public var requests: [Request] { state.withLock { $0.requests } }
    /// Credential documents handed out so far.
    public var issuedCount: Int { state.withLock { $0.issued } }
    public func setExpiresIn(_ seconds: TimeInterval) { state.withLock { $0.expiresIn = seconds } }
    /// nil: an instance without a role (the list answers 404).
    public func setRole(_ role: String?) { state.withLock { $0.role = role } }
    /// The next `count` requests answer 500.
    public func failNext(_ count: Int) { state.withLock { $0.failures = count } }

    fileprivate func answer(method: HTTPMethod, uri: String, headers: HTTPHeaders) -> (HTTPResponseStatus, String) {
        state.withLock { state in
            let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
            let request = Request(
                method: method.rawValue, path: path, token: headers.first(name: "X-aws-ec2-metadata-token"),
                ttlHeader: headers.first(name: "X-aws-ec2-metadata-token-ttl-seconds"),
                authorization: headers.first(name: "Authorization")
            )
            state.requests.append(request)
            if state.failures > 0 {
                state.failures -= 1
                return (.internalServerError, "")
            }
            let now = Date()
            if path == "/latest/api/token" {
                guard method == .PUT else { return (.methodNotAllowed, "") }
                guard let ttl = request.ttlHeader.flatMap(Int.init), (1...21600).contains(ttl) else { return (.badRequest, "") }
                let token = "standin-token-\(UUID().uuidString)"
                state.tokens[token] = now.addingTimeInterval(TimeInterval(ttl))
                return (.ok, token)
            }
            if path == "/ecs/credentials" {
                guard request.authorization == containerToken else { return (.unauthorized, "") }
                return (.ok, Self.document(&state, now: now))
            }
            guard path.hasPrefix("/latest/meta-data/") else { return (.notFound, "") }
            guard method == .GET else { return (.methodNotAllowed, "") }
            guard let token = request.token, let expiry = state.tokens[token], expiry > now else { return (.unauthorized, "") }
            let credentialsPath = "/latest/meta-data/iam/security-credentials/"
            guard let role = state.role, path.hasPrefix(credentialsPath) else { return (.notFound, "") }
            if path == credentialsPath { return (.ok, role) }
            guard path == credentialsPath + role else { return (.notFound, "") }
            return (.ok, Self.document(&state, now: now))
        }
    }

    private static func document(_ state: inout State, now: Date) -> String {
        state.issued += 1
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let fields: [String: String] = [
            "Code": "Success", "Type": "AWS-HMAC", "LastUpdated": formatter.string(from: now),
            "AccessKeyId": "ASIASTANDIN\(state.issued)", "SecretAccessKey": "standin-secret-\(state.issued)",
            "Token": "standin-session-\(state.issued)",
            "Expiration": formatter.string(from: now.addingTimeInterval(state.expiresIn)),
        ]
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let server: @Sendable () -> MetadataStandIn?
        private var head: HTTPRequestHead?

        init(server: @escaping @Sendable () -> MetadataStandIn?) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
            case .body:
                break
            case .end:
                guard let head, let server = server() else { return }
                let (status, body) = server.answer(method: head.method, uri: head.uri, headers: head.headers)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: String(body.utf8.count))
                headers.add(name: "Content-Type", value: "text/plain")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                self.head = nil
            }
        }
    }
}

/// A TCP port on 127.0.0.1 that never completes a connection: its listen queue (backlog 0) is
/// already full, so the kernel drops further SYNs and a client's connect times out, as it
/// does for 169.254.169.254 off EC2, without sending anything off this machine.
public final class UnansweredPort: Sendable {
    public let port: Int
    private let descriptors: [Int32]

    public init() throws {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let listener = socket(AF_INET, stream, 0)
        guard listener >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard listening else { close(listener); throw TestFailure("bind/listen on 127.0.0.1 failed") }
        // One connection fills a backlog of 0; it is never accepted.
        let filler = socket(AF_INET, stream, 0)
        let connected = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) == 0 }
        }
        guard connected else { close(filler); close(listener); throw TestFailure("could not fill the listen queue") }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptors = [listener, filler]
    }

    deinit {
        descriptors.forEach { close($0) }
    }
}
