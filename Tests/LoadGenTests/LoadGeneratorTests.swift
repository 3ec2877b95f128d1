import Logging
import NIOCore
import NIOPosix
import Testing

@testable import LoadGen

/// The generator against real sockets on 127.0.0.1, one test at a time: they measure time and rates.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LoadGeneratorTests {
    static func configuration(port: Int, transport: LoadGenerator.Transport = .tcp) -> LoadGenerator.Configuration {
        var configuration = LoadGenerator.Configuration()
        configuration.port = port
        configuration.transport = transport
        configuration.bound = .countOrDuration(0, .seconds(20))
        return configuration
    }

    static func run(_ configuration: LoadGenerator.Configuration) async throws -> LoadGenerator.Report {
        let generator = try LoadGenerator(
            configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "loadgen-test")
        )
        return try await generator.run()
    }

    /// Messages per connection (by their `seq=` connection number), in the order received.
    static func numbersByConnection(_ messages: [[UInt8]]) -> [Int: [Int]] {
        var numbers: [Int: [Int]] = [:]
        for message in messages {
            guard let sequence = Frames.sequence(message) else {
                Issue.record("no seq= in \(String(decoding: message, as: UTF8.self))")
                continue
            }
            numbers[sequence.connection, default: []].append(sequence.number)
        }
        return numbers
    }

    @Test(arguments: [LoadGenerator.Framing.lf, .octetCounted], [LoadGenerator.Format.rfc3164, .rfc5424])
    func tcpSendsTheCountNumberedInOrderPerConnection(framing: LoadGenerator.Framing, format: LoadGenerator.Format) async throws {
        let sink = try await TCPSink.start()
        var configuration = Self.configuration(port: sink.port)
        configuration.framing = framing
        configuration.format = format
        configuration.connections = 3
        configuration.bound = .countOrDuration(20_000, .seconds(20))
        let report = try await Self.run(configuration)
        await sink.waitForClosed(3)
        await sink.stop()

        #expect(report.sent == 20_000)
        #expect(report.errors == 0)
        #expect(report.failures.isEmpty)
        #expect(sink.totalBytes == report.sentBytes)
        var messages: [[UInt8]] = []
        for stream in sink.connections {
            messages += try framing == .lf ? Frames.splitLines(stream) : Frames.splitOctetCounted(stream)
        }
        #expect(messages.count == 20_000)
        #expect(messages.allSatisfy { $0.count == 130 })
        #expect(messages.allSatisfy { format == .rfc3164 ? Frames.isRFC3164($0) : Frames.isRFC5424($0) })
        let numbers = Self.numbersByConnection(messages)
        #expect(numbers.keys.sorted() == [0, 1, 2])
        // 20 000 over 3: the first connections take the remainder. Complete and in order on each.
        for (connection, share) in [(0, 6_667), (1, 6_667), (2, 6_666)] {
            let complete = numbers[connection] == Array(0..<share)
            #expect(complete, "connection \(connection): \(numbers[connection]?.count ?? 0) messages, not 0..<\(share) in order")
        }
    }

    @Test(arguments: [LoadGenerator.Format.rfc3164, .rfc5424])
    func udpSendsOneDatagramPerMessage(format: LoadGenerator.Format) async throws {
        let sink = try await UDPSink.start()
        var configuration = Self.configuration(port: sink.port, transport: .udp)
        configuration.format = format
        configuration.connections = 2
        // Paced, so the receiver on this 2-core machine drops nothing.
        configuration.rate = 20_000
        configuration.bound = .countOrDuration(4_000, .seconds(20))
        let report = try await Self.run(configuration)
        await sink.waitFor(4_000)
        await sink.stop()

        #expect(report.sent == 4_000)
        #expect(report.errors == 0)
        let received = sink.received
        #expect(received.count == 4_000)
        #expect(received.allSatisfy { $0.count == 130 && $0.last != UInt8(ascii: "\n") })
        #expect(received.allSatisfy { format == .rfc3164 ? Frames.isRFC3164($0) : Frames.isRFC5424($0) })
        let numbers = Self.numbersByConnection(received)
        for connection in 0..<2 {
            let complete = numbers[connection]?.sorted() == Array(0..<2_000)
            #expect(complete, "connection \(connection): \(numbers[connection]?.count ?? 0) datagrams, not 0..<2000")
        }
    }

    @Test(arguments: [LoadGenerator.Transport.tcp, .udp])
    func rateIsHeldPerConnection(transport: LoadGenerator.Transport) async throws {
        let tcp = transport == .tcp ? try await TCPSink.start() : nil
        let udp = transport == .udp ? try await UDPSink.start() : nil
        var configuration = Self.configuration(port: tcp?.port ?? udp!.port, transport: transport)
        configuration.rate = 1_000
        configuration.connections = 2
        // A count, not a duration: a busy machine may send slower than the rate, never faster.
        configuration.bound = .count(4_000)
        let report = try await Self.run(configuration)
        await tcp?.waitForClosed(2)
        await udp?.waitFor(report.sent)
        await tcp?.stop()
        await udp?.stop()

        for connection in report.connections {
            #expect(connection.sent == 2_000, "connection \(connection.index) sent \(connection.sent)")
        }
        let received = try tcp.map { try $0.connections.flatMap(Frames.splitLines).count } ?? udp!.received.count
        #expect(received == report.sent)
        // 2,000 per connection at 1,000 a second take at least about 2 s: the rate was held. The upper
        // bound only catches a run that did not stop.
        #expect(report.elapsedSeconds >= 1.9 && report.elapsedSeconds < 60, "\(report.elapsedSeconds) s")
    }

    @Test(arguments: [0, 90, 200, 1_000])
    func sizePadsEachMessage(size: Int) async throws {
        let sink = try await TCPSink.start()
        var configuration = Self.configuration(port: sink.port)
        configuration.size = size
        configuration.bound = .countOrDuration(1_200, .seconds(20))
        let report = try await Self.run(configuration)
        await sink.waitForClosed(1)
        await sink.stop()

        let messages = try Frames.splitLines(sink.connections.first ?? [])
        #expect(report.sent == 1_200)
        #expect(messages.count == 1_200)
        for (number, message) in messages.enumerated() {
            let unpadded = Array("seq=0:\(number)".utf8)
            let natural = Frames.offsetOfSeq(message)! + unpadded.count
            #expect(message.count == max(size, natural))
            if size > natural {
                #expect(message[natural] == UInt8(ascii: " "))
            }
            #expect(Frames.sequence(message)?.number == number)
        }
    }

    @Test
    func corpusLinesAreReplayedRoundRobin() async throws {
        let sink = try await TCPSink.start()
        var configuration = Self.configuration(port: sink.port)
        let lines = ["<13>Nov 27 10:00:00 host one: first", "<13>Nov 27 10:00:01 host two: second\r", "", "third line"]
        configuration.corpus = Corpus(lines: lines)
        configuration.framing = .octetCounted
        configuration.bound = .countOrDuration(7, .seconds(20))
        let report = try await Self.run(configuration)
        await sink.waitForClosed(1)
        await sink.stop()

        #expect(report.sent == 7)
        let messages = try Frames.splitOctetCounted(sink.connections.first ?? []).map { String(decoding: $0, as: UTF8.self) }
        let expected = ["<13>Nov 27 10:00:00 host one: first", "<13>Nov 27 10:00:01 host two: second", "third line"]
        #expect(messages == (0..<7).map { expected[$0 % 3] })
    }

    @Test
    func corpusIsReadFromAFile() throws {
        let path = "/tmp/loadgen-corpus-\(getpid()).txt"
        let file = fopen(path, "w")!
        fputs("a b c\n\nd e f\r\n", file)
        fclose(file)
        defer { unlink(path) }
        let corpus = try Corpus(contentsOfFile: path)
        #expect(corpus.lineCount == 2)
        #expect(throws: LoadGenError.self) { try Corpus(contentsOfFile: path + ".missing") }
    }

    @Test
    func durationStopsTheRunByItself() async throws {
        let sink = try await TCPSink.start()
        var configuration = Self.configuration(port: sink.port)
        configuration.connections = 2
        // Paced so the check below stays quick in a debug build; the count bound tests run unpaced.
        configuration.rate = 50_000
        configuration.bound = .duration(.seconds(1))
        let started = NIODeadline.now()
        let report = try await Self.run(configuration)
        let took = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        await sink.waitForClosed(2)
        await sink.stop()

        #expect(took >= 1 && took < 4)
        #expect(report.sent > 0)
        #expect(report.unsent == 0)
        // Every message the report counts arrived whole, none more.
        #expect(try sink.connections.flatMap(Frames.splitLines).count == report.sent)
    }

    @Test
    func aReceiverThatTakesNothingHoldsTheGeneratorBack() async throws {
        let sink = try await TCPSink.start(paused: true)
        var configuration = Self.configuration(port: sink.port)
        configuration.bound = .duration(.seconds(3))
        configuration.drainTimeout = .milliseconds(300)
        let generator = try LoadGenerator(
            configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "loadgen-test")
        )
        let samples = SampleBox()
        let report = try await generator.run(progressInterval: .milliseconds(250)) { samples.append($0) }
        await sink.stop()

        let taken = samples.all
        // Once the kernel's buffers are full, nothing more is sent... (progress ticks every 250 ms; on a
        // loaded machine fewer arrive, but at least two in the last half of the run)
        let late = taken.filter { $0.elapsedSeconds > 1.5 }
        #expect(late.count >= 2, "samples: \(taken.map(\.elapsedSeconds))")
        #expect(Set(late.map(\.sent)).count == 1, "sent kept growing: \(late.map(\.sent))")
        // ...and the generator holds no more than its queue limit (plus one write) of rendered messages.
        let limit = (configuration.maximumQueuedBytes + configuration.writeSize) / 131 + 1
        #expect(taken.allSatisfy { $0.waiting <= limit }, "waiting: \(taken.map(\.waiting)), limit \(limit)")
        // Bounded by the kernel's socket buffers: a few MB at most.
        #expect(report.sentBytes < 16 * 1024 * 1024)
        #expect(report.unsent > 0)
        #expect(report.elapsedSeconds < 5)
    }

    @Test
    func nothingListeningFailsToConnect() async throws {
        // A port that was just free.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        var configuration = Self.configuration(port: port)
        configuration.bound = .count(10)
        await #expect {
            _ = try await Self.run(configuration)
        } throws: { error in
            (error as? LoadGenError)?.code == .connectFailed
        }
    }

    @Test
    func countAloneStopsWhenTheReceiverStalls() async throws {
        let sink = try await TCPSink.start(paused: true)
        var configuration = Self.configuration(port: sink.port)
        configuration.bound = .count(10_000_000)
        configuration.stallTimeout = .milliseconds(500)
        configuration.drainTimeout = .milliseconds(100)
        let report = try await Self.run(configuration)
        await sink.stop()
        #expect(report.sent < 10_000_000)
        #expect(report.failures.count == 1)
    }

    @Test
    func stopEndsTheRunEarly() async throws {
        let sink = try await TCPSink.start()
        var configuration = Self.configuration(port: sink.port)
        configuration.rate = 100
        configuration.bound = .duration(.seconds(30))
        let generator = try LoadGenerator(
            configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "loadgen-test")
        )
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(500))
            generator.stop()
        }
        let report = try await generator.run()
        try await stopper.value
        await sink.waitForClosed(1)
        await sink.stop()
        #expect(report.elapsedSeconds < 3)
        #expect((30...80).contains(report.sent))
        #expect(try Frames.splitLines(sink.connections.first ?? []).count == report.sent)
    }
}

import Synchronization

final class SampleBox: Sendable {
    private let samples = Mutex<[LoadGenerator.Progress]>([])
    func append(_ sample: LoadGenerator.Progress) { samples.withLock { $0.append(sample) } }
    var all: [LoadGenerator.Progress] { samples.withLock { $0 } }
}

#if canImport(Glibc)
import Glibc
#endif
