import Ingest
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

let quietLogger = Logger(label: "sluice.ingest.test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Records every batch; optionally holds `deliver` until released, like a full pipeline.
final class RecordingSink: FrameBatchSink {
    struct State {
        var frames: [[UInt8]] = []
        var batches: [FrameBatch] = []
        var deliverCalls = 0
        var frameBytes = 0
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let state: Mutex<State>

    init(held: Bool = false) {
        state = Mutex(State(held: held))
    }

    func deliver(_ batch: FrameBatch) async {
        let mustWait = state.withLock { state -> Bool in
            state.deliverCalls += 1
            return state.held
        }
        if mustWait {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.held else { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        state.withLock { state in
            state.batches.append(batch)
            state.frames += batch.frames.map { Array($0.readableBytesView) }
            state.frameBytes += batch.frames.reduce(0) { $0 + $1.readableBytes }
        }
    }

    func release() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.held = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var frames: [[UInt8]] { state.withLock { $0.frames } }
    var frameCount: Int { state.withLock { $0.frames.count } }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A receiver running in a task, with the port it bound.
struct Running {
    var port: Int
    var task: Task<Void, any Error>
    var stop: @Sendable () -> Void

    /// Stops the receiver and waits (bounded) for `run` to return.
    func stopAndWait(seconds: Double = 60) async throws -> Bool {
        stop()
        let finished = Mutex(false)
        let waiter = Task {
            _ = try? await task.value
            finished.withLock { $0 = true }
        }
        let returned = await eventually(within: seconds) { finished.withLock { $0 } }
        if !returned { waiter.cancel() }
        return returned
    }
}

func startTCP(_ sink: RecordingSink, limit: Int = 8192) async throws -> (TCPReceiver, Running) {
    let receiver = TCPReceiver(
        configuration: ReceiverConfiguration(host: "127.0.0.1", port: 0, messageLengthLimit: limit),
        sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
    let port = try await boundPort { onBound in try await receiver.run(onBound: onBound) }
    return (receiver, Running(port: port.0, task: port.1, stop: { receiver.stop() }))
}

func startUDP(
    _ sink: RecordingSink, limit: Int = 8192, receiveBufferSize: Int = 8 << 20, keepsSenders: Bool = false,
    onKernelDrops: @escaping @Sendable (Int) -> Void = { _ in }
) async throws -> (UDPReceiver, Running) {
    var configuration = ReceiverConfiguration(host: "127.0.0.1", port: 0, messageLengthLimit: limit, receiveBufferSize: receiveBufferSize)
    configuration.keepsSenders = keepsSenders
    let receiver = UDPReceiver(
        configuration: configuration,
        sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger, onKernelDrops: onKernelDrops)
    let port = try await boundPort { onBound in try await receiver.run(onBound: onBound) }
    return (receiver, Running(port: port.0, task: port.1, stop: { receiver.stop() }))
}

func boundPort(
    _ run: @escaping @Sendable (@escaping @Sendable (Int) -> Void) async throws -> Void
) async throws -> (Int, Task<Void, any Error>) {
    let port = Mutex<Int?>(nil)
    let task = Task { try await run { bound in port.withLock { $0 = bound } } }
    let bound = await eventually(within: 60) { port.withLock { $0 } != nil }
    try #require(bound, "the receiver did not bind within 60 s")
    let value = try #require(port.withLock { $0 })
    #expect(value > 0)
    return (value, task)
}

func message(_ connection: Int, _ n: Int, padding: Int = 0) -> String {
    "<13>Nov 14 22:13:20 host app[\(connection)]: c\(connection) n\(n)" + String(repeating: "p", count: padding)
}

@Suite("Receivers on 127.0.0.1", .serialized)
struct ReceiverTests {
    @Test("TCP: every frame of every connection arrives, in order per connection", arguments: [1, 4])
    func tcpFrames(connections: Int) async throws {
        let sink = RecordingSink()
        let (_, running) = try await startTCP(sink)
        let perConnection = 3000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<connections {
                group.addTask {
                    let fd = try Loopback.connectTCP(port: running.port)
                    defer { close(fd) }
                    var stream: [UInt8] = []
                    for n in 0..<perConnection {
                        // Alternate the two framings within one connection.
                        let text = message(c, n, padding: n % 50)
                        stream += Array((n % 2 == 0 ? text + "\n" : "\(text.utf8.count) \(text)").utf8)
                    }
                    // Several writes of odd sizes, so frames straddle reads.
                    var offset = 0
                    while offset < stream.count {
                        let end = min(offset + 7919, stream.count)
                        try Loopback.sendAll(fd, Array(stream[offset..<end]))
                        offset = end
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = await eventually(within: 30) { sink.frameCount >= connections * perConnection }
        #expect(all, "received \(sink.frameCount) of \(connections * perConnection) frames")
        let frames = sink.frames.map { String(decoding: $0, as: UTF8.self) }
        #expect(frames.count == connections * perConnection)
        for c in 0..<connections {
            let mine = frames.filter { $0.contains("app[\(c)]") }
            #expect(mine == (0..<perConnection).map { message(c, $0, padding: $0 % 50) }, "connection \(c) out of order or incomplete")
        }
        let batches = sink.state.withLock { $0.batches }
        #expect(batches.allSatisfy { $0.peer != nil && $0.receivedAt > 0 && $0.cutFrames == 0 })
        #expect(try await running.stopAndWait(), "run() did not return after stop()")
    }

    @Test("TCP: an oversize frame arrives cut and counted")
    func tcpCut() async throws {
        let sink = RecordingSink()
        let (_, running) = try await startTCP(sink, limit: 100)
        let fd = try Loopback.connectTCP(port: running.port)
        try Loopback.sendAll(fd, Array(("<13>" + String(repeating: "L", count: 5000) + "\n<14>short\n").utf8))
        close(fd)
        #expect(await eventually(within: 10) { sink.frameCount >= 2 })
        #expect(sink.frames.map(\.count) == [100, 9])
        #expect(sink.state.withLock { $0.batches.reduce(0) { $0 + $1.cutFrames } } == 1)
        #expect(try await running.stopAndWait())
    }

    @Test("UDP: datagrams the kernel drops while the pipeline cannot take more are counted, and nothing else is lost")
    func udpKernelDropsAreCounted() async throws {
        let sink = RecordingSink(held: true)
        let reported = Mutex(0)
        // A small receive buffer (it would take more than 20,000 datagrams to fill the default 8 MiB).
        let (_, running) = try await startUDP(sink, receiveBufferSize: 256 << 10, onKernelDrops: { count in reported.withLock { $0 += count } })
        let datagrams = (0..<20_000).map { Array("<14>Nov 27 10:00:00 host app: datagram \($0) padded to about a hundred bytes ...........".utf8) }
        try SyslogSender.sendUDP(port: running.port, datagrams)
        let dropped = await eventually(within: 10) { reported.withLock { $0 } > 0 }
        #expect(dropped, "a held pipeline and a full receive buffer make the kernel drop datagrams")
        let kernel = try #require(UDPDrops.count(port: running.port))
        #expect(await eventually(within: 5) { reported.withLock { $0 } == kernel }, "the count follows /proc/net/udp")
        sink.release()
        // Every datagram is either delivered or counted as dropped.
        let accounted = await eventually(within: 10) { sink.frameCount + reported.withLock { $0 } == datagrams.count }
        #expect(accounted, "\(sink.frameCount) delivered + \(reported.withLock { $0 }) dropped of \(datagrams.count)")
        #expect(try await running.stopAndWait())
    }

    @Test("UDP: every datagram is one frame; trailing LF and NUL dropped; longer than the stream limit kept whole")
    func udpFrames() async throws {
        let sink = RecordingSink()
        let (_, running) = try await startUDP(sink, limit: 200)
        let fd = try Loopback.udpSocket()
        defer { close(fd) }
        let count = 500
        var expected: [String] = []
        for n in 0..<count {
            let text = message(0, n, padding: n % 7)
            let trailer = ["", "\n", "\0", "\r\n\0"][n % 4]
            try Loopback.sendDatagram(fd, Array((text + trailer).utf8), port: running.port)
            expected.append(n % 4 == 3 ? text + "\r" : text)
            if n % 50 == 49 { try await Task.sleep(for: .milliseconds(5)) }
        }
        try Loopback.sendDatagram(fd, Array("\n".utf8), port: running.port)  // empty: no frame
        // Over the 200-byte limit, which is for streams: a datagram is one message, taken whole.
        try Loopback.sendDatagram(fd, Array(("<13>" + String(repeating: "U", count: 1000)).utf8), port: running.port)
        expected.append("<13>" + String(repeating: "U", count: 1000))

        #expect(await eventually(within: 20) { sink.frameCount >= expected.count })
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == expected)
        #expect(sink.state.withLock { $0.batches.reduce(0) { $0 + $1.cutFrames } } == 0)
        #expect(try await running.stopAndWait(), "run() did not return after stop()")
    }

    @Test("UDP: a datagram up to the largest IPv4 payload arrives whole whatever message_length_limit says", arguments: [
        // (datagram size, message_length_limit)
        (20_000, 8192),
        (20_000, 65_536),
        (65_507, 1024),
    ])
    func udpLongDatagramsWhole(size: Int, limit: Int) async throws {
        let sink = RecordingSink()
        let (_, running) = try await startUDP(sink, limit: limit)
        let fd = try Loopback.udpSocket()
        defer { close(fd) }
        let header = Array("<13>Dec  8 00:01:02 host app: ".utf8)
        // Numbered filler, so a lost or repeated slot of the read buffer would show.
        var datagram = header
        while datagram.count < size { datagram += Array(String(datagram.count % 10).utf8) }
        datagram = Array(datagram.prefix(size))
        // Small ones around it, read in the same recvmmsg call as the long one.
        let before = Array("<13>Dec  8 00:01:02 host app: before".utf8)
        let after = Array("<13>Dec  8 00:01:02 host app: after".utf8)
        for bytes in [before, datagram, after] { try Loopback.sendDatagram(fd, bytes, port: running.port) }

        #expect(await eventually(within: 20) { sink.frameCount >= 3 })
        let frames = sink.frames
        #expect(frames.map(\.count) == [before.count, size, after.count])
        #expect(frames == [before, datagram, after])
        #expect(sink.state.withLock { $0.batches.reduce(0) { $0 + $1.cutFrames } } == 0)
        #expect(try await running.stopAndWait(), "run() did not return after stop()")
    }

    @Test("UDP: when records name their sender, each datagram's sender is kept beside its frame")
    func udpSendersKept() async throws {
        let sink = RecordingSink()
        let (_, running) = try await startUDP(sink, keepsSenders: true)
        let sockets = try (0..<2).map { _ in try Loopback.udpSocket() }
        defer { sockets.forEach { close($0) } }
        for n in 0..<10 { try Loopback.sendDatagram(sockets[n % 2], Array(message(n % 2, n).utf8), port: running.port) }
        #expect(await eventually(within: 20) { sink.frameCount == 10 })
        let batches = sink.state.withLock { $0.batches }
        #expect(batches.allSatisfy { $0.framePeers?.count == $0.frames.count })
        var portsBySender: [Int: Set<Int>] = [:]
        for batch in batches {
            for (frame, peer) in zip(batch.frames, batch.framePeers ?? []) {
                let sender = String(buffer: frame).contains("app[0]") ? 0 : 1
                portsBySender[sender, default: []].insert(peer.port ?? 0)
                #expect(peer.ipAddress == "127.0.0.1")
            }
        }
        #expect(portsBySender[0]?.count == 1 && portsBySender[1]?.count == 1 && portsBySender[0] != portsBySender[1])
        #expect(try await running.stopAndWait())
    }

    @Test("TCP backpressure: a held sink stalls the sender; after release all 20 MB arrive in order")
    func tcpBackpressure() async throws {
        let sink = RecordingSink(held: true)
        let (_, running) = try await startTCP(sink)
        let fd = try Loopback.connectTCP(port: running.port, sendBuffer: 64 * 1024)
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)

        let frameCount = 20_000
        var stream: [UInt8] = []
        stream.reserveCapacity(21 << 20)
        for n in 0..<frameCount { stream += Array((message(0, n, padding: 960) + "\n").utf8) }
        #expect(stream.count > 20_000_000)

        // Send until the kernel takes nothing for 1 s.
        var sent = 0
        var lastProgress = ContinuousClock.now
        let start = ContinuousClock.now
        while sent < stream.count, ContinuousClock.now - lastProgress < .seconds(1), ContinuousClock.now - start < .seconds(30) {
            let n = stream.withUnsafeBytes { send(fd, $0.baseAddress! + sent, min(65536, stream.count - sent), Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                lastProgress = ContinuousClock.now
            } else {
                try #require(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "send failed: errno \(errno)")
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let delivered = sink.state.withLock { (calls: $0.deliverCalls, bytes: $0.frameBytes) }
        #expect(sent < stream.count, "the sender never stalled: the receiver read everything")
        #expect(sent < 16 << 20, "\(sent) bytes went out before the sender stalled")
        #expect(delivered.calls == 1, "one deliver() is held; the receiver waits for it")
        #expect(delivered.bytes == 0)

        sink.release()
        let resumed = ContinuousClock.now
        while sent < stream.count, ContinuousClock.now - resumed < .seconds(60) {
            let n = stream.withUnsafeBytes { send(fd, $0.baseAddress! + sent, min(65536, stream.count - sent), Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else {
                try #require(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "send failed: errno \(errno)")
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        #expect(sent == stream.count)
        #expect(await eventually(within: 60) { sink.frameCount >= frameCount }, "received \(sink.frameCount) of \(frameCount)")
        let frames = sink.frames
        #expect(frames.count == frameCount)
        #expect(frames.elementsEqual((0..<frameCount).lazy.map { Array(message(0, $0, padding: 960).utf8) }))
        #expect(try await running.stopAndWait())
    }

    @Test("TCP stop() with a connection open: frames already read are delivered and run() returns")
    func tcpStopWithOpenConnection() async throws {
        let sink = RecordingSink(held: true)
        let (receiver, running) = try await startTCP(sink)
        let fd = try Loopback.connectTCP(port: running.port)
        defer { close(fd) }
        try Loopback.sendAll(fd, Array((0..<50).map { message(0, $0) + "\n" }.joined().utf8))
        #expect(await eventually(within: 10) { sink.state.withLock { $0.deliverCalls } == 1 })
        try Loopback.sendAll(fd, Array((50..<100).map { message(0, $0) + "\n" }.joined().utf8))
        try await Task.sleep(for: .milliseconds(300))  // read by the receiver, waiting behind the held batch

        receiver.stop()
        sink.release()
        #expect(try await running.stopAndWait(), "run() did not return after stop()")
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == (0..<100).map { message(0, $0) })
        // The listener is gone: a new connection is refused.
        let again = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(again) }
        var address = Loopback.address(port: running.port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(again, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(status != 0)
    }

    /// What a sender wrote before stop() sits in the kernel's buffers, accepted: the receiver keeps
    /// reading it during the drain instead of discarding it with the socket.
    @Test("TCP stop() right after a burst still delivers everything the sender wrote")
    func tcpStopDrainsKernelBuffers() async throws {
        let sink = RecordingSink(held: true)
        let (receiver, running) = try await startTCP(sink)
        let fd = try Loopback.connectTCP(port: running.port)
        // About 450 KB: fits in the kernel's socket buffers and the receiver's read-ahead, so the
        // blocking send returns while the held sink keeps it unread.
        let total = 5_000
        try Loopback.sendAll(fd, Array((0..<total).map { message(0, $0, padding: 40) + "\n" }.joined().utf8))
        close(fd)
        // The held sink means most of the burst is still unread when the stop comes.
        receiver.stop()
        sink.release()
        #expect(try await running.stopAndWait(), "run() did not return after stop()")
        #expect(sink.frameCount == total)
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == (0..<total).map { message(0, $0, padding: 40) })
    }

    @Test("UDP stop() makes run() return")
    func udpStop() async throws {
        let sink = RecordingSink()
        let (_, running) = try await startUDP(sink)
        let fd = try Loopback.udpSocket()
        defer { close(fd) }
        try Loopback.sendDatagram(fd, Array("<13>before stop".utf8), port: running.port)
        #expect(await eventually(within: 10) { sink.frameCount == 1 })
        #expect(try await running.stopAndWait())
        #expect(sink.frames == [Array("<13>before stop".utf8)])
    }
}
