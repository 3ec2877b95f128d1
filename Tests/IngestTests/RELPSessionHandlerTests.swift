import Framing
@testable import Ingest
import NIOCore
import NIOEmbedded
import Testing

/// `RELPSessionHandler` on an `EmbeddedChannel`: bytes in, batches and answers out.
struct EmbeddedRELPSession {
    static let peer = try! SocketAddress(ipAddress: "192.0.2.1", port: 40000)
    static let sender = "relp/test 192.0.2.1"
    let channel: EmbeddedChannel

    init(filter: ResendFilter = ResendFilter(), limit: Int = 8192) throws {
        let configuration = RELPConfiguration(name: "relp/test", resendFilter: filter)
        channel = EmbeddedChannel(handler: RELPSessionHandler(configuration: configuration, limit: limit, logger: quietLogger))
        try channel.connect(to: Self.peer).wait()
    }

    /// Writes `stream` `step` bytes per read.
    func feed(_ stream: String, step: Int) throws {
        let bytes = Array(stream.utf8)
        var offset = 0
        while offset < bytes.count, channel.isActive {
            let end = min(offset + step, bytes.count)
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    func batches() throws -> [FrameBatch] {
        var batches: [FrameBatch] = []
        while let batch = try channel.readInbound(as: FrameBatch.self) { batches.append(batch) }
        return batches
    }

    /// Resolves each batch's acknowledgement, and runs what that schedules on the event loop.
    func acknowledge(_ batches: [FrameBatch], stored: Bool = true) {
        for batch in batches { batch.acknowledgement?.release(stored: stored) }
        channel.embeddedEventLoop.run()
    }

    /// Everything written to the sender so far.
    func answers() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }
}

@Suite("RELP session handler on EmbeddedChannel")
struct RELPSessionHandlerTests {
    static let open = RELPTestClient.frame(1, "open", "relp_version=0\nrelp_software=test\ncommands=syslog")
    static let messages = ["<13>Nov 27 10:00:00 host app: one", "<13>Nov 27 10:00:00 host app: two\nlines", ""]
    static let syslogFrames = zip(2..., messages).map { RELPTestClient.frame($0, "syslog", $1) }.joined()

    @Test("a whole session, fed one byte at a time, a few at a time, and all at once", arguments: [1, 3, 17, Int.max])
    func session(step: Int) throws {
        let session = try EmbeddedRELPSession()
        try session.feed(Self.open + Self.syslogFrames + RELPTestClient.frame(5, "close", ""), step: step)
        #expect(try session.answers() == RELPSessionDriver.openAnswer(1), "nothing answered before it is stored")
        let batches = try session.batches()
        #expect(batches.flatMap { $0.frames.map { String(buffer: $0) } } == Self.messages)
        #expect(batches.flatMap(\.digests) == digest(Self.messages))
        if step == Int.max { #expect(batches.count == 1, "one read, one batch") }
        for batch in batches {
            #expect(batch.sender == EmbeddedRELPSession.sender && batch.peer == EmbeddedRELPSession.peer)
            #expect(batch.byteCount == batch.frames.reduce(0) { $0 + $1.readableBytes })
        }
        #expect(session.channel.isActive)
        session.acknowledge(batches)
        #expect(try session.answers() == oks(2...4) + "5 rsp 0\n")
        #expect(!session.channel.isActive, "closed once close is answered")
    }

    @Test("answers come in transaction order whichever batch is stored first", arguments: [1, 5])
    func outOfOrderAcknowledgements(step: Int) throws {
        let session = try EmbeddedRELPSession()
        try session.feed(Self.open, step: step)
        _ = try session.answers()
        var batches: [FrameBatch] = []
        for transaction in 2...4 {
            try session.feed(RELPTestClient.frame(transaction, "syslog", "m\(transaction)"), step: step)
            batches += try session.batches()
        }
        session.acknowledge(Array(batches.reversed().dropLast()))
        #expect(try session.answers() == "")
        session.acknowledge([batches[0]])
        #expect(try session.answers() == oks(2...4))
        #expect(session.channel.isActive)
    }

    @Test("a refused batch closes the session unanswered", arguments: [1, Int.max])
    func refused(step: Int) throws {
        let session = try EmbeddedRELPSession()
        try session.feed(Self.open + Self.syslogFrames, step: step)
        _ = try session.answers()
        session.acknowledge(try session.batches(), stored: false)
        #expect(try session.answers() == "")
        #expect(!session.channel.isActive)
    }

    @Test("syslog before open is refused with 500 and the session closed")
    func syslogBeforeOpen() throws {
        let session = try EmbeddedRELPSession()
        try session.feed(RELPTestClient.frame(1, "syslog", "m"), step: Int.max)
        #expect(try session.answers() == "1 rsp 20 500 session not open\n")
        #expect(!session.channel.isActive)
        #expect(try session.batches().isEmpty)
    }

    @Test("a malformed frame ends the session")
    func malformed() throws {
        let session = try EmbeddedRELPSession()
        try session.feed(Self.open + "x syslog 1 m\n", step: Int.max)
        #expect(!session.channel.isActive)
    }

    @Test("a stopping receiver answers what is pending, then sends serverclose and closes")
    func stopping() throws {
        let session = try EmbeddedRELPSession()
        try session.feed(Self.open + Self.syslogFrames, step: Int.max)
        _ = try session.answers()
        session.channel.pipeline.fireUserInboundEventTriggered(ReceiverStopping())
        #expect(session.channel.isActive)
        session.acknowledge(try session.batches())
        #expect(try session.answers() == oks(2...4) + "0 serverclose 0\n")
        #expect(!session.channel.isActive)
    }

    @Test("after an abrupt disconnect, the next session answers what was stored without storing it again",
          arguments: [1, Int.max])
    func resendAfterDisconnect(step: Int) throws {
        let filter = ResendFilter()
        let first = try EmbeddedRELPSession(filter: filter)
        try first.feed(Self.open + Self.syslogFrames, step: step)
        let stored = try first.batches()
        try first.channel.close().wait()
        #expect(filter.waitingSenders == [EmbeddedRELPSession.sender])
        first.acknowledge(stored)
        #expect(try first.answers() == RELPSessionDriver.openAnswer(1))

        let second = try EmbeddedRELPSession(filter: filter)
        #expect(filter.waitingSenders.isEmpty, "claimed")
        try second.feed(Self.open + Self.syslogFrames + RELPTestClient.frame(5, "syslog", "new"), step: step)
        let batches = try second.batches()
        #expect(batches.flatMap { $0.frames.map { String(buffer: $0) } } == ["new"])
        second.acknowledge(batches)
        #expect(try second.answers() == RELPSessionDriver.openAnswer(1) + oks(2...5))
    }
}
