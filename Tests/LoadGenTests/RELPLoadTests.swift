import Ingest
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import LoadGen

/// Answers every batch at once (or refuses every batch), keeping the frames.
private final class AnsweringSink: FrameBatchSink {
    let frames = Mutex<[[UInt8]]>([])
    let store: Bool

    init(store: Bool) {
        self.store = store
    }

    func deliver(_ batch: FrameBatch) async {
        if store { frames.withLock { $0 += batch.frames.map { Array($0.readableBytesView) } } }
        batch.acknowledgement?.release(stored: store)
    }
}

/// The generator over RELP against Sluice's own RELP receiver on 127.0.0.1.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RELPLoadTests {
    static func receiver(_ sink: some FrameBatchSink) async throws -> (TCPReceiver, Int, Task<Void, any Error>) {
        let receiver = TCPReceiver(
            configuration: ReceiverConfiguration(host: "127.0.0.1", port: 0),
            protocol: .relp(RELPConfiguration(name: "relp/test", resendFilter: ResendFilter())),
            sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "relp-load-test")
        )
        let task = Task { try await receiver.run() }
        for _ in 0..<600 where receiver.boundPort == nil { try await Task.sleep(for: .milliseconds(50)) }
        return (receiver, try #require(receiver.boundPort), task)
    }

    @Test func everyMessageIsSentAndAcknowledgedInOrderPerConnection() async throws {
        let sink = AnsweringSink(store: true)
        let (receiver, port, task) = try await Self.receiver(sink)
        var configuration = LoadGeneratorTests.configuration(port: port, transport: .relp)
        configuration.connections = 3
        configuration.bound = .countOrDuration(30_000, .seconds(60))
        // Other suites share this process's event loops: give queued writes time rather than abandon them.
        configuration.drainTimeout = .seconds(30)
        let report = try await LoadGeneratorTests.run(configuration)
        receiver.stop()
        try await task.value

        #expect(report.sent == 30_000)
        #expect(report.acknowledged == 30_000, "\(report.summary)")
        #expect(report.refused == 0)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let numbers = LoadGeneratorTests.numbersByConnection(sink.frames.withLock { $0 })
        for connection in 0..<3 {
            #expect(numbers[connection] == Array(0..<10_000), "connection \(connection)")
        }
        #expect(report.json().contains(#""acknowledged":30000"#))
        #expect(report.summary.contains("30000 acknowledged"))
    }

    @Test func aReceiverThatCannotStoreIsAFailureNotAcknowledged() async throws {
        let (receiver, port, task) = try await Self.receiver(AnsweringSink(store: false))
        var configuration = LoadGeneratorTests.configuration(port: port, transport: .relp)
        configuration.bound = .countOrDuration(100, .seconds(20))
        let report = try await LoadGeneratorTests.run(configuration)
        receiver.stop()
        try await task.value
        #expect(report.acknowledged == 0)
        #expect(!report.failures.isEmpty, "\(report.summary)")
    }

    @Test func transactionNumbersFollowOpenAndWrapAsLibrelps() {
        #expect(RELPClientSession.transaction(ofMessage: 0) == 2)
        #expect(RELPClientSession.transaction(ofMessage: 999_999_997) == 999_999_999)
        #expect(RELPClientSession.transaction(ofMessage: 999_999_998) == 2)
    }
}
