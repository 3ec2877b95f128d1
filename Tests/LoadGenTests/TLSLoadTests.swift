import Ingest
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TestSupport

@testable import LoadGen

/// Keeps every frame a receiver delivers, with the identity it came with.
final class CollectingSink: FrameBatchSink {
    private let state = Mutex<(frames: [[UInt8]], identities: Set<String?>)>(([], []))

    func deliver(_ batch: FrameBatch) async {
        state.withLock { state in
            state.frames += batch.frames.map { Array($0.readableBytesView) }
            state.identities.insert(batch.peerIdentity)
        }
    }

    var frames: [[UInt8]] { state.withLock { $0.frames } }
    var identities: Set<String?> { state.withLock { $0.identities } }
}

/// `sluice loadgen --transport tls` against Sluice's own TLS receiver on 127.0.0.1.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TLSLoadTests {
    let certificates: TestCertificates

    init() throws {
        certificates = try TestCertificates()
    }

    /// Runs a TLS receiver for the length of `body`, which gets its port. The receiver's `run` returns
    /// once every connection's frames are delivered, so the sink is complete when this returns.
    func withReceiver(
        requireClientCertificate: Bool, _ body: (Int) async throws -> Void
    ) async throws -> CollectingSink {
        let sink = CollectingSink()
        let receiver = TCPReceiver(
            configuration: ReceiverConfiguration(
                host: "127.0.0.1", port: 0,
                tls: TLSServerConfiguration(
                    certificateChainPath: certificates.server.certificatePath, privateKeyPath: certificates.server.keyPath,
                    trustedCAPath: certificates.caPath, requireClientCertificate: requireClientCertificate
                )
            ),
            sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "tls-load-test")
        )
        let port = Mutex<Int?>(nil)
        let running = Task { try await receiver.run { bound in port.withLock { $0 = bound } } }
        let bound = await eventually(timeout: .seconds(30), interval: .milliseconds(10)) { port.withLock { $0 } != nil }
        try #require(bound)
        try await body(try #require(port.withLock { $0 }))
        receiver.stop()
        try await running.value
        return sink
    }

    static func configuration(port: Int, tls: LoadGenerator.TLSOptions) -> LoadGenerator.Configuration {
        var configuration = LoadGenerator.Configuration()
        configuration.port = port
        configuration.transport = .tls
        configuration.framing = .octetCounted
        configuration.format = .rfc5424
        configuration.connections = 2
        configuration.tls = tls
        configuration.bound = .countOrDuration(5_000, .seconds(20))
        return configuration
    }

    @Test("with the CA and a client certificate, every message arrives, in order per connection, under the certificate's subject")
    func mutualTLSDeliversTheCount() async throws {
        var report: LoadGenerator.Report?
        let sink = try await withReceiver(requireClientCertificate: true) { port in
            let options = LoadGenerator.TLSOptions(
                caFile: certificates.caPath, certificateFile: certificates.client.certificatePath, keyFile: certificates.client.keyPath
            )
            let generator = try LoadGenerator(
                configuration: Self.configuration(port: port, tls: options), group: MultiThreadedEventLoopGroup.singleton,
                logger: Logger(label: "loadgen-test")
            )
            report = try await generator.run()
        }
        let sent = try #require(report)
        #expect(sent.sent == 5_000)
        #expect(sent.failures.isEmpty)
        #expect(sink.frames.count == 5_000)
        #expect(sink.frames.allSatisfy(Frames.isRFC5424))
        var numbers: [Int: [Int]] = [:]
        for frame in sink.frames {
            guard let sequence = Frames.sequence(frame) else { continue }
            numbers[sequence.connection, default: []].append(sequence.number)
        }
        #expect(numbers[0] == Array(0..<2_500))
        #expect(numbers[1] == Array(0..<2_500))
        #expect(sink.identities == ["CN=host1,O=Sluice Tests"])
        certificates.remove()
    }

    @Test("--insecure connects without trusting the receiver's CA")
    func insecure() async throws {
        var report: LoadGenerator.Report?
        let sink = try await withReceiver(requireClientCertificate: false) { port in
            let generator = try LoadGenerator(
                configuration: Self.configuration(port: port, tls: .init(insecure: true)),
                group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "loadgen-test")
            )
            report = try await generator.run()
        }
        #expect(report?.sent == 5_000)
        #expect(sink.frames.count == 5_000)
        #expect(sink.identities == [nil])
        certificates.remove()
    }

    @Test("a TLS file that cannot be read is named before anything connects")
    func unreadableFile() throws {
        var configuration = Self.configuration(port: 5140, tls: .init(caFile: certificates.directory + "/absent.pem"))
        configuration.bound = .count(1)
        #expect {
            _ = try LoadGenerator(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "t"))
        } throws: { error in
            (error as? LoadGenError)?.detail == "--ca-file \(certificates.directory)/absent.pem: No such file or directory"
        }
        configuration.tls = .init(caFile: certificates.caPath, certificateFile: certificates.client.certificatePath)
        #expect(throws: LoadGenError.self) {
            _ = try LoadGenerator(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "t"))
        }
        certificates.remove()
    }
}
