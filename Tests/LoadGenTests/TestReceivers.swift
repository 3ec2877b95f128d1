import NIOCore
import NIOPosix
import Synchronization

/// A TCP receiver on 127.0.0.1 that keeps every connection's bytes, in accept order. With `paused`,
/// it accepts but never reads, and its receive buffer is small: a receiver that takes nothing.
final class TCPSink: Sendable {
    let port: Int
    private let server: any Channel
    private let store: ByteStore

    static func start(paused: Bool = false) async throws -> TCPSink {
        let store = ByteStore()
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: !paused)
        if paused {
            bootstrap = bootstrap.serverChannelOption(.socketOption(.so_rcvbuf), value: 16 * 1024)
        }
        let server = try await bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(store: store, key: store.open()))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TCPSink(port: server.localAddress!.port!, server: server, store: store)
    }

    private init(port: Int, server: any Channel, store: ByteStore) {
        self.port = port
        self.server = server
        self.store = store
    }

    /// Each connection's bytes, in accept order.
    var connections: [[UInt8]] { store.all }
    var totalBytes: Int { store.all.reduce(0) { $0 + $1.count } }

    /// Waits (at most `seconds`) until `count` connections have been closed by the peer.
    func waitForClosed(_ count: Int, seconds: Double = 10) async {
        for _ in 0..<Int(seconds * 50) {
            if store.closedCount >= count { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        try? await server.close()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let store: ByteStore
        let key: Int

        init(store: ByteStore, key: Int) {
            self.store = store
            self.key = key
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            store.append(unwrapInboundIn(data).readableBytesView, to: key)
        }

        func channelInactive(context: ChannelHandlerContext) {
            store.closed()
            context.fireChannelInactive()
        }
    }
}

/// A UDP receiver on 127.0.0.1 that keeps every datagram.
final class UDPSink: Sendable {
    let port: Int
    private let channel: any Channel

    static func start() async throws -> UDPSink {
        let sink = UDPSinkBox()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 8 * 1024 * 1024)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramCollector(sink: sink))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return UDPSink(port: channel.localAddress!.port!, channel: channel, box: sink)
    }

    private let box: UDPSinkBox

    private init(port: Int, channel: any Channel, box: UDPSinkBox) {
        self.port = port
        self.channel = channel
        self.box = box
    }

    var received: [[UInt8]] { box.datagrams.withLock { $0 } }

    /// Waits (at most `seconds`) until `count` datagrams have come, or no new one for 300 ms.
    func waitFor(_ count: Int, seconds: Double = 10) async {
        var last = -1
        var quiet = 0
        for _ in 0..<Int(seconds * 50) {
            let now = box.datagrams.withLock { $0.count }
            if now >= count { return }
            quiet = now == last ? quiet + 1 : 0
            if quiet >= 15 { return }
            last = now
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        try? await channel.close()
    }

    private final class DatagramCollector: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let sink: UDPSinkBox
        init(sink: UDPSinkBox) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let datagram = Array(unwrapInboundIn(data).data.readableBytesView)
            sink.datagrams.withLock { $0.append(datagram) }
        }
    }
}

final class UDPSinkBox: Sendable {
    let datagrams = Mutex<[[UInt8]]>([])
}

final class ByteStore: Sendable {
    private struct State {
        var connections: [[UInt8]] = []
        var closed = 0
    }

    private let state = Mutex(State())

    func open() -> Int {
        state.withLock { state in
            state.connections.append([])
            return state.connections.count - 1
        }
    }

    func append(_ bytes: ByteBufferView, to key: Int) {
        state.withLock { $0.connections[key].append(contentsOf: bytes) }
    }

    func closed() {
        state.withLock { $0.closed += 1 }
    }

    var all: [[UInt8]] { state.withLock { $0.connections } }
    var closedCount: Int { state.withLock { $0.closed } }
}
