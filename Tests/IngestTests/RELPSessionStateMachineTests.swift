import Framing
@testable import Ingest
import NIOCore
import Testing

/// What a `RELPSessionStateMachine` action asks for, in a form tests compare.
indirect enum RELPDid: Equatable, CustomStringConvertible {
    case nothing
    case write(String)
    case writeThenClose(String)
    case refuse(answered: String, messages: Int)
    case reject(String)
    case forward(frames: [String], digests: Int, id: Int, then: RELPDid)
    case withdraw([UInt64])
    case resent(Int, then: RELPDid)

    init(_ action: RELPSessionStateMachine.Action) {
        switch action {
        case .none: self = .nothing
        case .answer(let answer): self.init(answer)
        case .reject(let response): self = .reject(String(buffer: response))
        case .forward(let forward, let answer):
            self = .forward(
                frames: forward.frames.map { String(buffer: $0) }, digests: forward.digests.count,
                id: forward.id, then: RELPDid(answer))
        case .withdraw(let digests): self = .withdraw(digests)
        case .recognisedResend(let transaction, let answer): self = .resent(transaction, then: RELPDid(answer))
        }
    }

    init(_ answer: RELPSessionStateMachine.Answer) {
        switch answer {
        case .none: self = .nothing
        case .write(let answers): self = .write(String(buffer: answers))
        case .writeThenClose(let answers): self = .writeThenClose(String(buffer: answers))
        case .refuse(let answered, let messages): self = .refuse(answered: String(buffer: answered), messages: messages)
        }
    }

    var description: String {
        switch self {
        case .nothing: "nothing"
        case .write(let text): "write \(text.debugDescription)"
        case .writeThenClose(let text): "writeThenClose \(text.debugDescription)"
        case .refuse(let answered, let messages): "refuse \(messages) after \(answered.debugDescription)"
        case .reject(let text): "reject \(text.debugDescription)"
        case .forward(let frames, let digests, let id, let then): "forward #\(id) \(frames) (\(digests) digests) then \(then)"
        case .withdraw(let digests): "withdraw \(digests)"
        case .resent(let transaction, let then): "resent \(transaction) then \(then)"
        }
    }
}

/// A session driven event by event, as `RELPSessionHandler` drives it.
struct RELPSessionDriver {
    var machine: RELPSessionStateMachine

    init(window: Int = ResendFilter.defaultWindow, resend: [String]? = nil) {
        machine = RELPSessionStateMachine(window: window)
        machine.channelActive(resend: resend.map { ResendMatch(digests: digest($0)) })
    }

    mutating func frame(_ transaction: Int, _ command: RELPFrame.Command, _ data: String = "") -> RELPDid {
        RELPDid(machine.frameReceived(RELPFrame(transaction: transaction, command: command, data: ByteBuffer(string: data))))
    }

    mutating func open() {
        let did = frame(1, .open, "relp_version=0\nrelp_software=test\ncommands=syslog")
        #expect(did == .write(RELPSessionDriver.openAnswer(1)))
    }

    mutating func readComplete() -> RELPDid { RELPDid(machine.readComplete()) }
    mutating func stopping() -> RELPDid { RELPDid(machine.receiverStopping()) }

    mutating func resolve(_ id: Int, stored: Bool = true, active: Bool = true) -> RELPDid {
        RELPDid(machine.batchResolved(id: id, stored: stored, channelIsActive: active))
    }

    /// The batch forwarded and the digests handed over when the connection goes.
    mutating func inactive() -> (forwarded: [String]?, handedOver: [UInt64]) {
        switch machine.channelInactive() {
        case .none: return (nil, [])
        case .wrapUp(let forward, let digests): return (forward.map { $0.frames.map { String(buffer: $0) } }, digests)
        }
    }

    static func openAnswer(_ transaction: Int) -> String {
        let text = "200 OK\nrelp_version=0\nrelp_software=\(RELPSessionStateMachine.software)\ncommands=syslog"
        return "\(transaction) rsp \(text.utf8.count) \(text)\n"
    }
}

func digest(_ messages: [String]) -> [UInt64] {
    messages.map { message in Array(message.utf8).withUnsafeBytes { MessageDigest.of($0) } }
}

func oks(_ transactions: some Sequence<Int>) -> String {
    transactions.map { "\($0) rsp 6 200 OK\n" }.joined()
}

@Suite("RELP session state machine")
struct RELPSessionStateMachineTests {
    struct Offer: CustomTestStringConvertible, Sendable {
        var offers: String
        var accepted: Bool
        var testDescription: String { "\(offers.debugDescription) \(accepted ? "accepted" : "refused")" }
    }

    @Test("open: offers are answered with Sluice's; a client without syslog is refused", arguments: [
        Offer(offers: "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog", accepted: true),
        Offer(offers: "relp_version=1\ncommands=syslog", accepted: true),
        Offer(offers: "commands=eventlog,syslog", accepted: true),
        Offer(offers: "relp_version=0\nrelp_software=test", accepted: true),
        Offer(offers: "", accepted: true),
        Offer(offers: "relp_version=0\ncommands=eventlog", accepted: false),
        Offer(offers: "commands=", accepted: false),
    ])
    func openHandshake(offer: Offer) {
        var session = RELPSessionDriver()
        let did = session.frame(7, .open, offer.offers)
        if offer.accepted {
            #expect(did == .write(RELPSessionDriver.openAnswer(7)))
            #expect(session.machine.state == .open)
        } else {
            let text = "500 required command not supported by client"
            #expect(did == .reject("7 rsp \(text.utf8.count) \(text)\n"))
            #expect(session.machine.state == .awaitingOpen)
        }
    }

    @Test("a second open is ignored; unknown commands are answered 500; rsp and serverclose are ignored")
    func otherCommands() {
        var session = RELPSessionDriver()
        #expect(session.frame(1, .other("eventlog"), "x") == .write("1 rsp 36 500 command 'eventlog' not supported\n"))
        session.open()
        #expect(session.frame(2, .open, "commands=syslog") == .write("2 rsp 37 200 connection already open - ignored\n"))
        #expect(session.frame(3, .rsp, "200 OK") == .nothing)
        #expect(session.frame(0, .serverclose) == .nothing)
        #expect(session.machine.state == .open)
    }

    @Test("syslog before open, or after close, is refused and the session closed", arguments: [false, true])
    func syslogOutsideSession(afterClose: Bool) {
        var session = RELPSessionDriver()
        if afterClose {
            session.open()
            #expect(session.frame(2, .close) == .writeThenClose("2 rsp 0\n"))
        }
        #expect(session.frame(5, .syslog, "m") == .reject("5 rsp 20 500 session not open\n"))
        #expect(session.readComplete() == .nothing, "nothing was taken")
    }

    @Test("each read burst goes on as one batch; answers wait for every batch before them, in order",
          arguments: [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1]])
    func acknowledgementOrder(order: [Int]) {
        var session = RELPSessionDriver()
        session.open()
        let bursts = [[2, 3], [4], [5, 6, 7]]
        for (id, burst) in bursts.enumerated() {
            for transaction in burst { #expect(session.frame(transaction, .syslog, "m\(transaction)") == .nothing) }
            #expect(session.readComplete() == .forward(frames: burst.map { "m\($0)" }, digests: burst.count, id: id, then: .nothing))
        }
        #expect(session.machine.pending.count == 3)
        var answered: [Int] = []
        for id in order {
            switch session.resolve(id) {
            case .nothing: break
            case .write(let text):
                answered += text.split(separator: "\n").map { Int($0.split(separator: " ")[0])! }
                #expect(text.split(separator: "\n").allSatisfy { $0.hasSuffix(" rsp 6 200 OK") })
            case let other: Issue.record("unexpected \(other)")
            }
            // Answered so far: every batch up to the first unresolved one.
            let resolved = Set(order.prefix { $0 != id } + [id])
            let prefix = (0..<3).prefix { resolved.contains($0) }
            #expect(answered == prefix.flatMap { bursts[$0] })
        }
        #expect(answered == [2, 3, 4, 5, 6, 7])
        #expect(session.machine.pending.isEmpty)
        #expect(session.resolve(1) == .nothing, "an acknowledgement resolves once")
    }

    @Test("a read burst longer than a batch is handed on in batches of FrameBatch.maximumFrames")
    func fullBatch() {
        var session = RELPSessionDriver()
        session.open()
        for transaction in 2..<(2 + FrameBatch.maximumFrames - 1) {
            #expect(session.frame(transaction, .syslog, "m") == .nothing)
        }
        let last = 2 + FrameBatch.maximumFrames - 1
        guard case .forward(let frames, _, 0, .nothing) = session.frame(last, .syslog, "m") else {
            Issue.record("the full batch was not handed on")
            return
        }
        #expect(frames.count == FrameBatch.maximumFrames)
        #expect(session.frame(last + 1, .syslog, "n") == .nothing)
        #expect(session.readComplete() == .forward(frames: ["n"], digests: 1, id: 1, then: .nothing))
    }

    @Test("a read burst of resent messages longer than a batch is answered batch by batch")
    func fullBatchOfResends() {
        let count = FrameBatch.maximumFrames + 1
        var session = RELPSessionDriver(resend: (0..<count).map { "m\($0)" })
        session.open()
        for n in 0..<(count - 2) { #expect(session.frame(2 + n, .syslog, "m\(n)") == .resent(2 + n, then: .nothing)) }
        let last = 2 + count - 2
        #expect(session.frame(last, .syslog, "m\(count - 2)") == .resent(last, then: .write(oks(2...last))))
        #expect(session.frame(last + 1, .syslog, "m\(count - 1)") == .resent(last + 1, then: .nothing))
        #expect(session.readComplete() == .write(oks([last + 1])))
    }

    @Test("a refused batch closes the session after the answers before it are written; what follows stays unanswered")
    func refusedBatch() {
        var session = RELPSessionDriver()
        session.open()
        for burst in [[2], [3], [4]] {
            for transaction in burst { _ = session.frame(transaction, .syslog, "m\(transaction)") }
            _ = session.readComplete()
        }
        #expect(session.resolve(1, stored: false) == .nothing, "waits for batch 0")
        #expect(session.resolve(2) == .nothing)
        #expect(session.resolve(0) == .refuse(answered: oks([2]), messages: 1))
        // The connection closes: the stored messages are handed over, the refused one is not.
        let (forwarded, handedOver) = session.inactive()
        #expect(forwarded == nil)
        #expect(handedOver == digest(["m2", "m4"]))
        #expect(session.machine.state == .closed)
    }

    @Test("a batch refused after the connection broke is withdrawn from the hand-over")
    func refusedAfterDisconnect() {
        var session = RELPSessionDriver()
        session.open()
        _ = session.frame(2, .syslog, "a")
        _ = session.readComplete()
        _ = session.frame(3, .syslog, "b")
        _ = session.readComplete()
        #expect(session.inactive().handedOver == digest(["a", "b"]))
        #expect(session.resolve(0, stored: false, active: false) == .withdraw(digest(["a"])))
        #expect(session.resolve(1, stored: true, active: false) == .nothing)
    }

    @Test("resent messages already stored are answered without being stored again")
    func resendRecognised() {
        var session = RELPSessionDriver(resend: ["a", "b", "c"])
        session.open()
        #expect(session.frame(2, .syslog, "b") == .resent(2, then: .nothing))
        #expect(session.frame(3, .syslog, "c") == .resent(3, then: .nothing))
        #expect(session.frame(4, .syslog, "d") == .nothing)
        #expect(session.readComplete() == .forward(frames: ["d"], digests: 3, id: 0, then: .nothing))
        #expect(session.resolve(0) == .write(oks(2...4)))
        // The comparison ended with the first new message: "a" again is new.
        _ = session.frame(5, .syslog, "a")
        #expect(session.readComplete() == .forward(frames: ["a"], digests: 1, id: 1, then: .nothing))
    }

    @Test("a batch of resent messages only is answered at once, not handed on")
    func resendOnly() {
        var session = RELPSessionDriver(resend: ["x", "a", "b"])
        session.open()
        #expect(session.frame(2, .syslog, "a") == .resent(2, then: .nothing))
        #expect(session.readComplete() == .write(oks([2])))
        #expect(session.frame(3, .syslog, "b") == .resent(3, then: .nothing))
        #expect(session.readComplete() == .write(oks([3])))
        // Resent at the end of a session: answered with its close, in one write.
        var closing = RELPSessionDriver(resend: ["a"])
        closing.open()
        _ = closing.frame(2, .syslog, "a")
        #expect(closing.frame(3, .close) == .writeThenClose(oks([2]) + "3 rsp 0\n"))
        #expect(closing.machine.state == .closed)
    }

    @Test("close is answered once everything before it is, then the session ends cleanly")
    func close() {
        var session = RELPSessionDriver()
        session.open()
        _ = session.frame(2, .syslog, "a")
        _ = session.frame(3, .syslog, "b")
        #expect(session.frame(4, .close) == .forward(frames: ["a", "b"], digests: 2, id: 0, then: .nothing))
        #expect(session.machine.state == .closing(transaction: 4))
        #expect(session.frame(5, .close) == .nothing, "a second close")
        #expect(session.readComplete() == .nothing)
        #expect(session.resolve(0) == .writeThenClose(oks([2, 3]) + "4 rsp 0\n"))
        #expect(session.machine.state == .closed)
        let (forwarded, handedOver) = session.inactive()
        #expect(forwarded == nil && handedOver.isEmpty, "a clean close hands nothing over")
    }

    @Test("close with nothing pending, before or after open, is answered at once", arguments: [false, true])
    func closeAtOnce(opened: Bool) {
        var session = RELPSessionDriver()
        if opened { session.open() }
        #expect(session.frame(9, .close) == .writeThenClose("9 rsp 0\n"))
        #expect(session.machine.state == .closed)
    }

    @Test("a stopping receiver reads no more, answers what is pending, then sends serverclose")
    func serverclose() {
        var session = RELPSessionDriver()
        session.open()
        _ = session.frame(2, .syslog, "a")
        #expect(session.stopping() == .forward(frames: ["a"], digests: 1, id: 0, then: .nothing))
        #expect(session.machine.readRequested(channelIsWritable: true) == .holdBack)
        #expect(session.resolve(0) == .writeThenClose(oks([2]) + "0 serverclose 0\n"))
        #expect(session.machine.state == .closed)

        var idle = RELPSessionDriver()
        idle.open()
        #expect(idle.stopping() == .writeThenClose("0 serverclose 0\n"))
        var unopened = RELPSessionDriver()
        #expect(unopened.stopping() == .nothing, "serverclose is for open sessions")
    }

    @Test("an abrupt disconnect hands on what was read and hands over the sender's last messages",
          arguments: [1, 2, 1024])
    func abruptDisconnect(window: Int) {
        var session = RELPSessionDriver(window: window)
        session.open()
        for (transaction, message) in zip(2..., ["a", "b", "c"]) { _ = session.frame(transaction, .syslog, message) }
        _ = session.readComplete()
        #expect(session.resolve(0) == .write(oks(2...4)))
        _ = session.frame(5, .syslog, "d")
        _ = session.readComplete()
        _ = session.frame(6, .syslog, "e")  // read, but the read burst never completed
        let (forwarded, handedOver) = session.inactive()
        #expect(forwarded == ["e"])
        // Acknowledged lately (as many as the window keeps), then on their way.
        #expect(handedOver == digest(Array(["a", "b", "c"].suffix(window)) + ["d", "e"]))
        #expect(session.machine.state == .closed)
        #expect(session.resolve(1, active: false) == .nothing)
    }

    @Test("broken while resending: the messages not resent yet are handed over again")
    func brokenWhileResending() {
        var session = RELPSessionDriver(resend: ["a", "b", "c"])
        session.open()
        _ = session.frame(2, .syslog, "a")
        #expect(session.readComplete() == .write(oks([2])))
        #expect(session.inactive().handedOver == digest(["a", "b", "c"]))
    }

    @Test("reads wait while answers cannot be written")
    func readBackpressure() {
        var machine = RELPSessionStateMachine(window: 8)
        #expect(machine.readRequested(channelIsWritable: true) == .read)
        #expect(machine.writabilityChanged(channelIsWritable: true) == .holdBack, "no read was held back")
        #expect(machine.readRequested(channelIsWritable: false) == .holdBack)
        #expect(machine.writabilityChanged(channelIsWritable: false) == .holdBack)
        #expect(machine.writabilityChanged(channelIsWritable: true) == .read)
        #expect(machine.writabilityChanged(channelIsWritable: true) == .holdBack, "read once")
    }
}
