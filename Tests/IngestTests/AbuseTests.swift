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

/// Counts frames per sender key without keeping them, so that the sink costs no memory under a flood.
/// Frames look like `<13>KEY N ...`; a key's numbers must come in order from 0.
final class CountingSink: FrameBatchSink {
    struct Counts {
        var frames: [String: Int] = [:]
        var outOfOrder = 0
        var cutFrames = 0
        var cutLengths: [Int] = []
    }

    let counts = Mutex(Counts())

    func deliver(_ batch: FrameBatch) async {
        counts.withLock { counts in
            counts.cutFrames += batch.cutFrames
            for frame in batch.frames {
                let head = String(decoding: frame.readableBytesView.prefix(40), as: UTF8.self).dropFirst(4).split(separator: " ")
                let key = head.first.map(String.init) ?? ""
                let number = head.dropFirst().first.flatMap { Int($0) }
                if number != counts.frames[key, default: 0] { counts.outOfOrder += 1 }
                counts.frames[key, default: 0] += 1
                if frame.readableBytes >= 4096 { counts.cutLengths.append(frame.readableBytes) }
            }
        }
    }

    func frames(_ key: String) -> Int { counts.withLock { $0.frames[key, default: 0] } }
}

/// What a receiver reported about its connections.
final class ConnectionCounts: Sendable {
    let refused = Atomic(0)
    let closedIdle = Atomic(0)
    let opened = Atomic(0)
    let closed = Atomic(0)

    var open: Int { opened.load(ordering: .relaxed) - closed.load(ordering: .relaxed) }

    var events: ConnectionEvents {
        ConnectionEvents(
            refused: { self.refused.add(1, ordering: .relaxed) },
            closedIdle: { self.closedIdle.add(1, ordering: .relaxed) },
            opened: { self.opened.add(1, ordering: .relaxed) },
            closed: { self.closed.add(1, ordering: .relaxed) }
        )
    }
}

private func startLimitedTCP(
    _ sink: any FrameBatchSink, _ counts: ConnectionCounts, limits: ConnectionLimits
) async throws -> Running {
    let receiver = TCPReceiver(
        configuration: ReceiverConfiguration(host: "127.0.0.1", port: 0, connectionLimits: limits),
        sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger, connectionEvents: counts.events)
    let port = Mutex<Int?>(nil)
    let task = Task { try await receiver.run { bound in port.withLock { $0 = bound } } }
    try #require(await eventually(within: 60) { port.withLock { $0 } != nil }, "the receiver did not bind")
    return Running(port: try #require(port.withLock { $0 }), task: task, stop: { receiver.stop() })
}

/// `count` LF-framed messages `<13>KEY N pad`, numbered from `start`.
private func lines(_ key: String, _ range: Range<Int>, padding: Int = 60) -> [UInt8] {
    Array(range.map { "<13>\(key) \($0) " + String(repeating: "x", count: padding) + "\n" }.joined().utf8)
}

/// What a client sees of a server that may have closed its socket: true when the server closed it
/// (EOF or reset), false while it is open.
private func serverClosed(_ fd: Int32) -> Bool {
    var byte: UInt8 = 0
    let got = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
}

private func kib(_ memory: ProcessMemory?) -> Int { memory?.anonymousKiB ?? 0 }

/// One bad client must not hurt the others: many idle connections, too many connections, an endless
/// line, a silent or stalled sender. Memory is read from /proc/self/status (this process runs both the
/// receiver and the clients; the clients' sockets are plain file descriptors).
@Suite("Abuse on 127.0.0.1", .serialized)
struct AbuseTests {
    @Test("2,000 idle connections cost little and do not slow a busy one: every message arrives")
    func manyIdleConnections() async throws {
        let sink = CountingSink()
        let counts = ConnectionCounts()
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits(maxConnections: 4096, idleTimeout: nil))
        let before = ProcessMemory.of()

        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<2000 { idle.append(try Loopback.connectTCP(port: running.port)) }
        #expect(await eventually(within: 60) { counts.open == 2000 }, "\(counts.open) of 2000 served")
        let withIdle = ProcessMemory.of()

        let total = 50_000
        let busy = try Loopback.connectTCP(port: running.port)
        defer { close(busy) }
        try await offThePool { try Loopback.sendAll(busy, lines("busy", 0..<total)) }
        #expect(await eventually(within: 60) { sink.frames("busy") == total }, "\(sink.frames("busy")) of \(total)")
        let after = ProcessMemory.of()
        #expect(sink.counts.withLock { $0.outOfOrder } == 0)
        #expect(counts.refused.load(ordering: .relaxed) == 0)

        let perConnection = (kib(withIdle) - kib(before)) * 1024 / 2000
        print("2,000 idle connections: anonymous memory \(kib(before)) KiB before, \(kib(withIdle)) KiB with them (\(perConnection) bytes each, client and server side), \(kib(after)) KiB after \(total) messages on another connection; \(String(describing: after))")
        // Generous: an idle connection should cost kilobytes, not the 64 KiB of a read buffer.
        // Printed, not asserted: this process runs other suites at the same time. The bound is asserted on
        // the sluice binary alone in EndToEndTests/ConnectionAbuseTests.
        #expect(try await running.stopAndWait())
    }

    @Test("Over max_connections a connection is closed at once and counted; the connected client keeps going, and a closed connection frees its slot")
    func tooManyConnections() async throws {
        let sink = CountingSink()
        let counts = ConnectionCounts()
        let limit = 500
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits(maxConnections: limit, idleTimeout: nil))

        let good = try Loopback.connectTCP(port: running.port)
        defer { close(good) }
        try Loopback.sendAll(good, lines("good", 0..<1000))

        var others: [Int32] = []
        defer { others.forEach { close($0) } }
        let attempts = 2000
        // The good client sends on while the others pile in.
        let sender = Task {
            try await offThePool {
                for round in 1..<20 { try Loopback.sendAll(good, lines("good", (round * 1000)..<((round + 1) * 1000))) }
            }
        }
        for _ in 0..<attempts { others.append(try Loopback.connectTCP(port: running.port)) }
        try await sender.value
        let refusedExpected = attempts - (limit - 1)
        #expect(await eventually(within: 60) { counts.refused.load(ordering: .relaxed) == refusedExpected }, "refused \(counts.refused.load(ordering: .relaxed)) of \(refusedExpected)")
        #expect(await eventually(within: 60) { sink.frames("good") == 20_000 }, "\(sink.frames("good")) of 20,000")
        #expect(counts.open == limit)

        // The refused ones see the close at once (a FIN, or a reset): their connect succeeded, the
        // server closed them.
        var closedByServer = 0
        let seen = await eventually(within: 30) {
            closedByServer = others.filter(serverClosed).count
            return closedByServer == refusedExpected
        }
        #expect(seen, "\(closedByServer) of \(refusedExpected) refused connections see the close")

        // A slot comes back when a connection closes.
        let admitted = try #require(others.first { !serverClosed($0) })
        close(admitted)
        others.removeAll { $0 == admitted }
        #expect(await eventually(within: 30) { counts.open == limit - 1 })
        let next = try Loopback.connectTCP(port: running.port)
        defer { close(next) }
        try Loopback.sendAll(next, lines("next", 0..<10))
        #expect(await eventually(within: 30) { sink.frames("next") == 10 })
        #expect(counts.refused.load(ordering: .relaxed) == refusedExpected)
        #expect(!serverClosed(next))
        print("max_connections \(limit): \(attempts) more connections, \(counts.refused.load(ordering: .relaxed)) refused and closed, the good client's 20,000 messages all delivered")
        #expect(try await running.stopAndWait())
    }

    @Test("1 GB without a newline: memory stays bounded, one cut frame, another client flows meanwhile")
    func endlessLine() async throws {
        let sink = CountingSink()
        let counts = ConnectionCounts()
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits())
        let before = ProcessMemory.of()
        let peak = Mutex(before)

        let flooder = try Loopback.connectTCP(port: running.port)
        defer { close(flooder) }
        let total = 1 << 30
        let sent = Mutex(0)
        let done = Mutex(false)
        let flood = Task {
            defer { done.withLock { $0 = true } }
            try await offThePool {
                let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 << 10)
                try Loopback.sendAll(flooder, Array("<13>flood 0 ".utf8))
                // Bounded in count (1 GiB) and in time (5 minutes, far above what it takes).
                let deadline = ContinuousClock.now + .seconds(300)
                while sent.withLock({ $0 }) < total, ContinuousClock.now < deadline {
                    try Loopback.sendAll(flooder, chunk)
                    sent.withLock { $0 += chunk.count }
                }
                try Loopback.sendAll(flooder, Array("\n<13>flood 1 after the endless line\n".utf8))
            }
        }
        // Another client sends while the flood goes on.
        let other = try Loopback.connectTCP(port: running.port)
        defer { close(other) }
        var batches = 0
        while !done.withLock({ $0 }), batches < 200 {
            try Loopback.sendAll(other, lines("other", (batches * 100)..<((batches + 1) * 100)))
            batches += 1
            if let now = ProcessMemory.of() { peak.withLock { if kib($0) < now.anonymousKiB { $0 = now } } }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Sample memory until the flood is over (it ends itself, by count or by its deadline).
        while !done.withLock({ $0 }) {
            if let now = ProcessMemory.of() { peak.withLock { if kib($0) < now.anonymousKiB { $0 = now } } }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await flood.value
        #expect(sent.withLock { $0 } == total, "the flood stopped at \(sent.withLock { $0 }) bytes")
        #expect(await eventually(within: 60) { sink.frames("flood") == 2 && sink.frames("other") == batches * 100 })
        let result = sink.counts.withLock { $0 }
        #expect(result.cutFrames == 1, "the endless line is cut once")
        #expect(result.cutLengths == [8192], "cut to message_length_limit")
        #expect(result.outOfOrder == 0)
        #expect(sink.frames("other") == batches * 100, "\(sink.frames("other")) of \(batches * 100) while the flood went on")
        let highest = peak.withLock { $0 }
        print("1 GiB without a newline: anonymous memory \(kib(before)) KiB before, at most \(kib(highest)) KiB during; \(batches * 100) messages of another client delivered meanwhile")
        // Bounded on the binary alone in EndToEndTests/ConnectionAbuseTests (other suites share this process).
        #expect(try await running.stopAndWait())
    }

    @Test("A client that never reads is served as any other: the receiver never writes to it")
    func clientThatNeverReads() async throws {
        let sink = CountingSink()
        let counts = ConnectionCounts()
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits(idleTimeout: .seconds(1)))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        // The smallest receive window, never read: had the receiver anything to write, it would stall.
        var size: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = Loopback.address(port: running.port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        try Loopback.sendAll(fd, lines("mute", 0..<10_000))
        #expect(await eventually(within: 30) { sink.frames("mute") == 10_000 })
        var pending: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &pending)
        #expect(pending == 0, "the receiver wrote \(pending) bytes")
        // Then it falls silent, and idle_timeout closes it.
        #expect(await eventually(within: 30) { serverClosed(fd) })
        #expect(counts.closedIdle.load(ordering: .relaxed) == 1)
        #expect(try await running.stopAndWait())
    }

    @Test("idle_timeout closes a silent connection and one stalled mid-frame, and frees their slots")
    func idleTimeout() async throws {
        let sink = CountingSink()
        let counts = ConnectionCounts()
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits(maxConnections: 2, idleTimeout: .seconds(1)))
        let silent = try Loopback.connectTCP(port: running.port)
        defer { close(silent) }
        let stalled = try Loopback.connectTCP(port: running.port)
        defer { close(stalled) }
        try Loopback.sendAll(stalled, lines("stalled", 0..<5) + Array("<13>stalled 5 half a fra".utf8))
        #expect(await eventually(within: 10) { counts.open == 2 })

        // Both slots are taken: a third connection is refused.
        let third = try Loopback.connectTCP(port: running.port)
        #expect(await eventually(within: 10) { serverClosed(third) })
        close(third)
        #expect(counts.refused.load(ordering: .relaxed) == 1)

        #expect(await eventually(within: 30) { serverClosed(silent) && serverClosed(stalled) })
        #expect(counts.closedIdle.load(ordering: .relaxed) == 2)
        #expect(await eventually(within: 10) { counts.open == 0 })
        // The complete frames arrived, and the half frame as it stood, as at the end of any stream.
        #expect(sink.frames("stalled") == 6)

        // The slots are free again.
        let again = try Loopback.connectTCP(port: running.port)
        defer { close(again) }
        try Loopback.sendAll(again, lines("again", 0..<3))
        #expect(await eventually(within: 10) { sink.frames("again") == 3 })
        #expect(counts.refused.load(ordering: .relaxed) == 1)
        #expect(try await running.stopAndWait())
    }

    /// The receiver stops reading while the pipeline is full; that time is not the sender's silence,
    /// and closing the connection then would throw away what it already wrote.
    @Test("idle_timeout does not close a connection the receiver stopped reading (pipeline full)")
    func idleTimeoutIgnoresBackpressure() async throws {
        let sink = HeldCountingSink()
        let counts = ConnectionCounts()
        let running = try await startLimitedTCP(sink, counts, limits: ConnectionLimits(idleTimeout: .milliseconds(500)))
        let fd = try Loopback.connectTCP(port: running.port)
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let stream = lines("held", 0..<100_000)
        var sent = 0
        // Fill the socket until the held pipeline stops the receiver reading (bounded: 10 s).
        var lastProgress = ContinuousClock.now
        while sent < stream.count, ContinuousClock.now - lastProgress < .seconds(1) {
            let n = stream.withUnsafeBytes { send(fd, $0.baseAddress! + sent, min(65536, stream.count - sent), Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                lastProgress = .now
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        #expect(sent < stream.count, "the receiver never stopped reading")
        // Four idle timeouts with the receiver holding its reads back.
        try await Task.sleep(for: .seconds(2))
        #expect(!serverClosed(fd))
        #expect(counts.closedIdle.load(ordering: .relaxed) == 0)
        sink.release()
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let rest = Array(stream[sent...])
        try await offThePool { try Loopback.sendAll(fd, rest) }
        #expect(await eventually(within: 60) { sink.inner.frames("held") == 100_000 }, "\(sink.inner.frames("held")) of 100,000")
        #expect(sink.inner.counts.withLock { $0.outOfOrder } == 0)
        #expect(try await running.stopAndWait())
    }

    @Test("message_length_limit: the default keeps rsyslog's longest message (8096 bytes) whole, on every transport", arguments: ["tcp", "udp"])
    func defaultLengthLimit(transport: String) async throws {
        #expect(ReceiverConfiguration().messageLengthLimit == 8192)
        let sink = CountingSink()
        let receiver: (run: @Sendable (@escaping @Sendable (Int) -> Void) async throws -> Void, stop: @Sendable () -> Void)
        let configuration = ReceiverConfiguration(host: "127.0.0.1", port: 0)
        if transport == "tcp" {
            let tcp = TCPReceiver(configuration: configuration, sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
            receiver = ({ try await tcp.run(onBound: $0) }, { tcp.stop() })
        } else {
            let udp = UDPReceiver(configuration: configuration, sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
            receiver = ({ try await udp.run(onBound: $0) }, { udp.stop() })
        }
        let port = Mutex<Int?>(nil)
        let task = Task { try await receiver.run { bound in port.withLock { $0 = bound } } }
        try #require(await eventually(within: 60) { port.withLock { $0 } != nil })
        let running = Running(port: try #require(port.withLock { $0 }), task: task, stop: receiver.stop)

        func message(_ number: Int, length: Int) -> [UInt8] {
            let head = "<13>long \(number) "
            return Array((head + String(repeating: "m", count: length - head.utf8.count)).utf8)
        }
        let whole = message(0, length: 8096), cut = message(1, length: 9000)
        if transport == "tcp" {
            try SyslogSender.sendTCP(port: running.port, whole + [10] + cut + [10])
        } else {
            try SyslogSender.sendUDP(port: running.port, [whole, cut])
        }
        #expect(await eventually(within: 10) { sink.frames("long") == 2 })
        // A stream frame is cut at the limit; a datagram is one whole message, taken whole.
        #expect(sink.counts.withLock { $0.cutLengths } == (transport == "tcp" ? [8096, 8192] : [8096, 9000]))
        #expect(sink.counts.withLock { $0.cutFrames } == (transport == "tcp" ? 1 : 0))
        #expect(try await running.stopAndWait())
    }
}

/// A `CountingSink` whose `deliver` waits until released, as a full pipeline does.
final class HeldCountingSink: FrameBatchSink {
    let inner = CountingSink()
    private let held = Mutex<(held: Bool, waiters: [CheckedContinuation<Void, Never>])>((true, []))

    func deliver(_ batch: FrameBatch) async {
        await withCheckedContinuation { continuation in
            let now = held.withLock { state -> Bool in
                guard state.held else { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        await inner.deliver(batch)
    }

    func release() {
        let waiters = held.withLock { state in
            state.held = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
