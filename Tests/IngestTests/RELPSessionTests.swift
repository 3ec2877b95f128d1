import Framing
@testable import Ingest
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Keeps every batch and its acknowledgement; acknowledges at once when `autoAcknowledge`, else when
/// the test says.
final class AcknowledgingSink: FrameBatchSink {
    struct State {
        var frames: [String] = []
        var waiting: [DeliveryAcknowledgement] = []
        var digests: [UInt64] = []
        var senders: Set<String> = []
    }

    let state = Mutex(State())
    let autoAcknowledge: Bool

    init(autoAcknowledge: Bool) {
        self.autoAcknowledge = autoAcknowledge
    }

    func deliver(_ batch: FrameBatch) async {
        state.withLock { state in
            state.frames += batch.frames.map { String(buffer: $0) }
            state.digests += batch.digests
            if let sender = batch.sender { state.senders.insert(sender) }
            if !autoAcknowledge, let acknowledgement = batch.acknowledgement { state.waiting.append(acknowledgement) }
        }
        if autoAcknowledge { batch.acknowledgement?.release(stored: true) }
    }

    /// Resolves every acknowledgement waiting so far.
    func acknowledge(stored: Bool) {
        let waiting = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        for acknowledgement in waiting { acknowledgement.release(stored: stored) }
    }

    var frames: [String] { state.withLock { $0.frames } }
    var waitingCount: Int { state.withLock { $0.waiting.count } }
}

/// A RELP client over a POSIX socket: writes frames, reads answers. Its reads block, so they run off
/// Swift's cooperative pool (two threads here), which the receiver under test needs to answer them.
final class RELPTestClient: @unchecked Sendable {
    let fd: Int32
    private var received: [UInt8] = []
    private var transaction = 1

    init(port: Int) throws {
        fd = try Loopback.connectTCP(port: port)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    static func frame(_ transaction: Int, _ command: String, _ data: String) -> String {
        data.isEmpty ? "\(transaction) \(command) 0\n" : "\(transaction) \(command) \(data.utf8.count) \(data)\n"
    }

    /// Sends `command`; returns its transaction number.
    @discardableResult
    func send(_ command: String, _ data: String = "") throws -> Int {
        defer { transaction += 1 }
        try Loopback.sendAll(fd, Array(Self.frame(transaction, command, data).utf8))
        return transaction
    }

    func open() async throws {
        let number = try send("open", "relp_version=0\nrelp_software=test\ncommands=syslog")
        let answer = try #require(try await nextAnswer())
        #expect(answer.transaction == number && answer.text.hasPrefix("200 OK\n") && answer.text.contains("commands=syslog"))
    }

    /// The next `rsp` (transaction and text), or nil when the server closed the connection or
    /// `timeoutMilliseconds` passed.
    func nextAnswer(timeoutMilliseconds: Int = 10_000) async throws -> (transaction: Int, text: String)? {
        try await offThePool { try self.waitForAnswer(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// Everything the server sends until it closes the connection (or 10 s pass).
    func rest() async throws -> [UInt8] {
        try await offThePool {
            var rest: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(self.fd, &chunk, chunk.count, 0)
                guard count > 0 else { return rest }
                rest += chunk[0..<count]
            }
        }
    }

    private func waitForAnswer(timeoutMilliseconds: Int) throws -> (transaction: Int, text: String)? {
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int((timeoutMilliseconds % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            if let answer = try parse() { return answer }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            received += chunk[0..<count]
        }
    }

    private func parse() throws -> (Int, String)? {
        var decoder = RELPFrameDecoder(limit: 1 << 20)
        var buffer = ByteBuffer(bytes: received)
        guard let frame = try decoder.decodeNext(from: &buffer) else { return nil }
        received.removeFirst(received.count - buffer.readableBytes)
        #expect(frame.command == .rsp)
        return (frame.transaction, String(buffer: frame.data))
    }
}

func startRELP(_ sink: some FrameBatchSink, filter: ResendFilter = ResendFilter(), limit: Int = 8192) async throws -> (TCPReceiver, Running) {
    let receiver = TCPReceiver(
        configuration: ReceiverConfiguration(host: "127.0.0.1", port: 0, messageLengthLimit: limit),
        protocol: .relp(RELPConfiguration(name: "relp/test", resendFilter: filter)),
        sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
    let task = Task { try await receiver.run() }
    let bound = await eventually(within: 60) { receiver.boundPort != nil }
    try #require(bound, "the RELP receiver did not bind")
    return (receiver, Running(port: receiver.boundPort!, task: task, stop: { receiver.stop() }))
}

@Suite("RELP sessions on 127.0.0.1", .serialized)
struct RELPSessionTests {
    @Test("each message is answered 200 OK only once its batch is stored, in order; close after them")
    func answersWaitForStorage() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: false)
        let (_, running) = try await startRELP(sink)
        let client = try RELPTestClient(port: running.port)
        try await client.open()
        let sent = try (0..<5).map { try client.send("syslog", message(0, $0)) }
        let close = try client.send("close")
        #expect(await eventually(within: 30) { sink.frames.count == 5 })
        // Stored by nobody yet: no answer may come.
        let early = try await client.nextAnswer(timeoutMilliseconds: 300)
        #expect(early == nil)
        sink.acknowledge(stored: true)
        var answers: [Int] = []
        for _ in sent {
            let answer = try #require(try await client.nextAnswer())
            #expect(answer.text == "200 OK")
            answers.append(answer.transaction)
        }
        #expect(answers == sent)
        let closing = try #require(try await client.nextAnswer())
        #expect(closing.transaction == close && closing.text.isEmpty)
        let afterClose = try await client.nextAnswer()
        #expect(afterClose == nil, "the session should end after close")
        #expect(sink.frames == (0..<5).map { message(0, $0) })
        _ = try await running.stopAndWait()
    }

    @Test("a stopping receiver answers what it read, then sends serverclose and closes")
    func serverCloseOnStop() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: false)
        let (_, running) = try await startRELP(sink)
        let client = try RELPTestClient(port: running.port)
        try await client.open()
        let sent = try (0..<3).map { try client.send("syslog", message(0, $0)) }
        #expect(await eventually(within: 30) { sink.frames.count == 3 })
        running.stop()
        try await Task.sleep(for: .milliseconds(100))
        sink.acknowledge(stored: true)
        let rest = try await client.rest()
        #expect(String(decoding: rest, as: UTF8.self) == sent.map { "\($0) rsp 6 200 OK\n" }.joined() + "0 serverclose 0\n")
        _ = try await running.stopAndWait()
    }

    @Test("a batch that cannot be stored ends the session unanswered")
    func refusedBatch() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: false)
        let (_, running) = try await startRELP(sink)
        let client = try RELPTestClient(port: running.port)
        try await client.open()
        try client.send("syslog", message(0, 0))
        #expect(await eventually(within: 30) { sink.waitingCount == 1 })
        sink.acknowledge(stored: false)
        let unanswered = try await client.nextAnswer()
        #expect(unanswered == nil)
        _ = try await running.stopAndWait()
    }

    @Test("after a broken session, what the sender resends and Sluice stored is answered, not stored again")
    func resendAfterBrokenSession() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: false)
        let filter = ResendFilter()
        let (_, running) = try await startRELP(sink, filter: filter)
        do {
            let first = try RELPTestClient(port: running.port)
            try await first.open()
            for n in 0..<5 { try first.send("syslog", message(0, n)) }
            #expect(await eventually(within: 30) { sink.frames.count == 5 })
            // The connection breaks before any answer; the batch is stored afterwards.
        }
        #expect(await eventually(within: 30) { filter.waitingSenders == ["relp/test 127.0.0.1"] })
        sink.acknowledge(stored: true)

        // The sender resends the five unanswered messages, then goes on.
        let second = try RELPTestClient(port: running.port)
        try await second.open()
        let sent = try (0..<8).map { try second.send("syslog", message(0, $0)) }
        for expected in sent {
            if sink.waitingCount > 0 { sink.acknowledge(stored: true) }
            var answer = try await second.nextAnswer(timeoutMilliseconds: 200)
            while answer == nil {
                sink.acknowledge(stored: true)
                answer = try await second.nextAnswer(timeoutMilliseconds: 200)
            }
            #expect(answer?.transaction == expected && answer?.text == "200 OK")
        }
        #expect(sink.frames == (0..<8).map { message(0, $0) }, "stored: \(sink.frames)")
        #expect(filter.waitingSenders.isEmpty)
        _ = try await running.stopAndWait()
    }

    @Test("after a restart, the receipts the buffer kept tell which resent messages are stored")
    func resendAfterRestart() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: true)
        let stored = (0..<5).map { n in Array(message(0, n).utf8).withUnsafeBytes { MessageDigest.of($0) } }
        let filter = ResendFilter(recovered: ["relp/test 127.0.0.1": [99] + stored])
        let (_, running) = try await startRELP(sink, filter: filter)
        let client = try RELPTestClient(port: running.port)
        try await client.open()
        let sent = try (0..<8).map { try client.send("syslog", message(0, $0)) }
        var answered: [Int] = []
        for _ in sent {
            let answer = try #require(try await client.nextAnswer())
            #expect(answer.text == "200 OK")
            answered.append(answer.transaction)
        }
        #expect(answered == sent)
        #expect(sink.frames == (5..<8).map { message(0, $0) })
        _ = try await running.stopAndWait()
    }

    @Test("a sender that never reads its answers is read no further than the answers it leaves")
    func senderThatNeverReads() async throws {
        let sink = AcknowledgingSink(autoAcknowledge: true)
        let (_, running) = try await startRELP(sink)
        let client = try RELPTestClient(port: running.port)
        try await client.open()
        // Small kernel buffers on the client's side, so the answers back up quickly.
        var size: Int32 = 4096
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let flags = fcntl(client.fd, F_GETFL)
        _ = fcntl(client.fd, F_SETFL, flags | O_NONBLOCK)
        // Write until the server stops taking frames (bounded: 400,000 frames, about 40 MB).
        let frame = Array(RELPTestClient.frame(2, "syslog", message(0, 0, padding: 40)).utf8)
        var batch: [UInt8] = []
        for _ in 0..<1000 { batch += frame }
        var written = 0
        var stalls = 0
        while written < 400 * batch.count && stalls < 50 {
            let count = batch.withUnsafeBytes { send(client.fd, $0.baseAddress!, batch.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                written += count
                stalls = 0
            } else {
                stalls += 1
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let framesWritten = written / frame.count
        let stored = sink.frames.count
        #expect(stalls >= 50, "the server took all \(framesWritten) frames without the answers being read")
        #expect(stored < framesWritten)
        print("RELP sender that never reads: it wrote \(framesWritten) frames (\(written / 1024) KiB) before the server stopped reading; \(stored) were stored")
        _ = try await running.stopAndWait()
    }
}

@Suite("Recognising resent messages")
struct ResendMatchTests {
    func digests(_ words: [String]) -> [UInt64] {
        words.map { word in Array(word.utf8).withUnsafeBytes { MessageDigest.of($0) } }
    }

    @Test("the stored tail is recognised in order; the first new message ends it")
    func tail() {
        let list = digests(["a", "b", "c", "d"])
        var match = ResendMatch(digests: list)
        let resent = digests(["c", "d", "e"])
        #expect(match.isStored(resent[0]) == (true, false))
        #expect(match.isStored(resent[1]) == (true, true))
        var other = ResendMatch(digests: list)
        #expect(other.isStored(digests(["x"])[0]) == (false, true))
        var skipping = ResendMatch(digests: list)
        #expect(skipping.isStored(list[1]) == (true, false))
        #expect(skipping.isStored(list[3]) == (false, true), "a gap is not the stored tail")
    }

    @Test("identical messages at the boundary: a duplicate may be stored, never a message lost")
    func repeatedMessages() {
        let f = digests(["f"])[0]
        var match = ResendMatch(digests: [f, f, f])
        #expect(match.isStored(f) == (true, true))
    }

    @Test("digests are stable and tell messages apart")
    func digestValues() {
        let a = digests(["<13>Nov 27 10:00:00 host app: seq=1", "<13>Nov 27 10:00:00 host app: seq=2", ""])
        #expect(Set(a).count == 3)
        #expect(a == digests(["<13>Nov 27 10:00:00 host app: seq=1", "<13>Nov 27 10:00:00 host app: seq=2", ""]))
        #expect(a[2] == MessageDigest.of(UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
