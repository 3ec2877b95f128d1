import Framing
import NIOCore
import Testing

@testable import LoadGen

struct RendererTests {
    static func configuration(format: LoadGenerator.Format = .rfc3164, transport: LoadGenerator.Transport = .tcp,
                              framing: LoadGenerator.Framing = .lf, size: Int = 0) -> LoadGenerator.Configuration {
        var configuration = LoadGenerator.Configuration()
        configuration.format = format
        configuration.transport = transport
        configuration.framing = framing
        configuration.size = size
        return configuration
    }

    static func render(_ configuration: LoadGenerator.Configuration, connection: Int = 0, count: Int, maximumBytes: Int = 65_536)
        -> (text: String, lengths: [Int], rendered: Int)
    {
        var renderer = MessageRenderer(configuration: configuration, connection: connection)
        // 2026-11-27T10:00:00Z
        renderer.refresh(wallSeconds: 1_795_773_600)
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        var lengths: [Int] = []
        let rendered = renderer.render(count: count, maximumBytes: maximumBytes, into: &buffer, lengths: &lengths)
        return (String(buffer: buffer), lengths, rendered)
    }

    @Test
    func rfc5424MessagesHaveTheDocumentedShape() {
        let result = Self.render(Self.configuration(format: .rfc5424, framing: .octetCounted), connection: 7, count: 2)
        #expect(result.text == "62 <134>1 2026-11-27T10:00:00.000000Z loadgen app 123 - - seq=7:0"
            + "62 <134>1 2026-11-27T10:00:00.000000Z loadgen app 123 - - seq=7:1")
        #expect(result.lengths == [65, 65])
    }

    @Test
    func rfc3164MessagesHaveTheDocumentedShape() {
        let result = Self.render(Self.configuration(), count: 11)
        let lines = result.text.split(separator: "\n")
        #expect(lines.count == 11)
        #expect(lines.allSatisfy { Frames.isRFC3164(Array($0.utf8)) })
        #expect(lines[10].hasSuffix(" loadgen app[123]: seq=0:10"))
        #expect(result.text.hasSuffix("\n"))
    }

    @Test
    func paddingReachesTheSizeExactlyAsNumbersGrow() {
        let result = Self.render(Self.configuration(transport: .udp, size: 80), count: 1_001, maximumBytes: 100_000)
        #expect(result.lengths.allSatisfy { $0 == 80 })
        #expect(result.text.utf8.count == 80 * 1_001)
        #expect(result.text.hasPrefix("<134>"))
        #expect(result.text.utf8.count == result.lengths.reduce(0, +))
    }

    @Test
    func aBufferStopsBeforeTheMessageThatWouldNotFit() {
        let result = Self.render(Self.configuration(size: 99), count: 1_000, maximumBytes: 1_000)
        #expect(result.rendered == 10)
        #expect(result.text.utf8.count == 1_000)
        // One message always goes, even when it is larger than the buffer.
        let large = Self.render(Self.configuration(size: 5_000), count: 3, maximumBytes: 1_000)
        #expect(large.rendered == 1)
        #expect(large.lengths == [5_001])
    }

    @Test
    func corpusLinesGoAsTheyAre() {
        var configuration = Self.configuration(framing: .octetCounted, size: 500)
        configuration.corpus = Corpus(lines: ["a", "bc"])
        let result = Self.render(configuration, count: 3)
        #expect(result.text == "1 a2 bc1 a")
    }

    @Test
    func decimalDigits() {
        for value in [0, 9, 10, 99, 100, 12_345, Int.max] {
            #expect(DecimalText.digits(value) == String(value).count)
        }
    }

    @Test(arguments: [1, 7, 100, 1_000, 50_000, 1_000_000])
    func tokenBucketHoldsTheRate(rate: Int) {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bucket = TokenBucket(rate: rate, now: start)
        var now = start
        var taken = 0
        // Wake as the bucket asks, for 10 simulated seconds, sometimes 3 ms late.
        var wakeUps = 0
        while now < start + .seconds(10) {
            taken += bucket.take(upTo: .max, now: now)
            now = max(bucket.nextWake(after: now), now + .microseconds(1)) + (wakeUps % 5 == 0 ? .milliseconds(3) : .zero)
            wakeUps += 1
        }
        let expected = Double(rate) * 10
        #expect(abs(Double(taken) - expected) <= max(2, expected * 0.01), "took \(taken), expected \(expected)")
        #expect(wakeUps <= 10 * 200 + 20)
    }

    @Test
    func configurationValidationNamesTheOption() {
        var configuration = LoadGenerator.Configuration()
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.rate = -1
        #expect { try configuration.validate() } throws: { "\($0)".contains("--rate") }
        configuration = LoadGenerator.Configuration()
        configuration.transport = .udp
        configuration.size = 70_000
        #expect { try configuration.validate() } throws: { "\($0)".contains("--size") }
        configuration = LoadGenerator.Configuration()
        configuration.connections = 0
        #expect { try configuration.validate() } throws: { "\($0)".contains("--connections") }
        configuration = LoadGenerator.Configuration()
        configuration.bound = .duration(.zero)
        #expect { try configuration.validate() } throws: { "\($0)".contains("--duration") }
        #expect(LoadGenerator.Configuration().bound == .duration(.seconds(10)))
    }

    @Test
    func countIsSplitOverConnections() {
        let shares = (0..<3).map { LoadGenerator.Bound.share(of: 10, connection: $0, connections: 3) }
        #expect(shares == [4, 3, 3])
    }

    @Test
    func reportJSONHasTheDocumentedKeys() {
        let report = LoadGenerator.Report(
            transport: .udp, format: .rfc5424, elapsedSeconds: 2,
            connections: [.init(index: 0, sent: 1_000, sentBytes: 130_000, errors: 1, unsent: 0, failure: "a \"b\"")]
        )
        let json = report.json(extra: [("cpu_seconds", "0.5")])
        #expect(json == #"{"sent":1000,"errors":1,"unsent":0,"bytes":130000,"elapsed_seconds":2.000000,"#
            + #""messages_per_second":500.0,"bytes_per_second":65000.0,"connections":1,"transport":"udp","#
            + #""format":"rfc5424","failures":["connection 0: a \"b\""],"cpu_seconds":0.5}"#)
        #expect(report.summary.contains("500 msgs/s"))
    }
}
