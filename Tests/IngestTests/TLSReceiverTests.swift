import Ingest
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Testing
import TestSupport

/// What a TLS client saw: whether its handshake completed, and whether the server closed on it.
final class ClientProbe: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let state = Mutex<(handshook: Bool, error: String?)>((false, nil))

    var handshook: Bool { state.withLock { $0.handshook } }
    var error: String? { state.withLock { $0.error } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { state.withLock { $0.handshook = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state.withLock { $0.error = $0.error ?? "\(error)" }
        context.close(promise: nil)
    }
}

/// A TLS client on 127.0.0.1 that trusts the test CA, with an optional client certificate.
struct TLSClient {
    let channel: any Channel
    let probe: ClientProbe

    static func connect(
        port: Int, certificates: TestCertificates, identity: TestCertificates.Identity? = nil,
        maximumVersion: TLSVersion? = nil
    ) async throws -> TLSClient {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificates.caPath))
        configuration.maximumTLSVersion = maximumVersion
        if let identity {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(identity.certificatePath).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: identity.keyPath, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let probe = ClientProbe()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(probe)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TLSClient(channel: channel, probe: probe)
    }

    /// Sends `messages` octet-counted (RFC 5425), in writes that split frames, and waits until TLS has
    /// written them; a write refused by a closed connection is not an error here.
    @discardableResult
    func send(_ messages: [String]) async -> Bool {
        let stream = Array(messages.map { "\($0.utf8.count) \($0)" }.joined().utf8)
        var offset = 0
        while offset < stream.count {
            let end = min(offset + 1000, stream.count)
            do {
                try await channel.writeAndFlush(ByteBuffer(bytes: stream[offset..<end]))
            } catch {
                return false
            }
            offset = end
        }
        return true
    }

    /// Closes with a TLS close_notify and waits for the close.
    func close() async {
        try? await channel.close()
    }

    /// Waits (bounded) until the server has closed the connection.
    func closedByServer(within seconds: Double = 30) async -> Bool {
        await eventually(within: seconds) { !channel.isActive }
    }
}

func rfc5424(_ n: Int, host: String = "host1") -> String {
    "<165>1 2025-11-14T22:13:20.123Z \(host) app 42 ID7 - tls message \(n) ünïcode"
}

func startTLS(_ sink: RecordingSink, _ tls: TLSServerConfiguration, logger: Logger = quietLogger) async throws -> (TCPReceiver, Running) {
    let receiver = TCPReceiver(
        configuration: ReceiverConfiguration(host: "127.0.0.1", port: 0, tls: tls),
        sink: sink, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    try receiver.verifyTLSSetup()
    let port = try await boundPort { onBound in try await receiver.run(onBound: onBound) }
    return (receiver, Running(port: port.0, task: port.1, stop: { receiver.stop() }))
}

@Suite("TLS receiver (RFC 5425) on 127.0.0.1", .serialized)
struct TLSReceiverTests {
    let certificates: TestCertificates

    init() throws {
        certificates = try TestCertificates()
    }

    var serverTLS: TLSServerConfiguration {
        TLSServerConfiguration(certificateChainPath: certificates.server.certificatePath, privateKeyPath: certificates.server.keyPath)
    }

    var mutualTLS: TLSServerConfiguration {
        var tls = serverTLS
        tls.trustedCAPath = certificates.caPath
        tls.requireClientCertificate = true
        return tls
    }

    @Test("octet-counted RFC 5424 frames over TLS arrive whole and in order; the log says tls")
    func framesArrive() async throws {
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let (_, running) = try await startTLS(sink, serverTLS, logger: logs.logger)
        let client = try await TLSClient.connect(port: running.port, certificates: certificates)
        let messages = (0..<500).map { rfc5424($0) }
        #expect(await client.send(messages))
        await client.close()
        #expect(await eventually(within: 30) { sink.frameCount >= messages.count })
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == messages)
        let batches = sink.state.withLock { $0.batches }
        #expect(batches.allSatisfy { $0.peerIdentity == nil }, "no client certificate, no identity")
        #expect(logs.contains("listening syslog socket on 127.0.0.1:\(running.port) with tls"))
        #expect(try await running.stopAndWait())
        certificates.remove()
    }

    @Test("an encrypted private key opens with its passphrase")
    func encryptedKey() async throws {
        var tls = serverTLS
        tls.privateKeyPath = certificates.encryptedServerKeyPath
        tls.privateKeyPassphrase = certificates.serverKeyPassphrase
        let sink = RecordingSink()
        let (_, running) = try await startTLS(sink, tls)
        let client = try await TLSClient.connect(port: running.port, certificates: certificates)
        #expect(await client.send([rfc5424(1)]))
        await client.close()
        #expect(await eventually(within: 30) { sink.frameCount >= 1 })
        #expect(try await running.stopAndWait())
        certificates.remove()
    }

    @Test("client_cert_auth: no certificate and another CA's certificate are refused and deliver nothing; a good one gets through with its subject")
    func clientCertificates() async throws {
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let (_, running) = try await startTLS(sink, mutualTLS, logger: logs.logger)

        let anonymous = try await TLSClient.connect(port: running.port, certificates: certificates)
        await anonymous.send([rfc5424(1, host: "anonymous")])
        #expect(await anonymous.closedByServer(), "the server kept a client without a certificate")

        let rogue = try await TLSClient.connect(port: running.port, certificates: certificates, identity: certificates.rogueClient)
        await rogue.send([rfc5424(2, host: "rogue")])
        #expect(await rogue.closedByServer(), "the server kept a client whose certificate another CA signed")

        let good = try await TLSClient.connect(port: running.port, certificates: certificates, identity: certificates.client)
        let messages = (0..<50).map { rfc5424($0) }
        #expect(await good.send(messages))
        await good.close()
        #expect(await eventually(within: 30) { sink.frameCount >= messages.count })
        #expect(good.probe.handshook)
        // The refused connections were read before the good one, on the same receiver: had anything of
        // theirs been delivered, it would be here by now.
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == messages)
        let batches = sink.state.withLock { $0.batches }
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { $0.peerIdentity == "CN=host1,O=Sluice Tests" })

        // Two failures within the rate limit's interval: one warning, the other at debug.
        #expect(logs.messages(at: .warning) == ["TLS handshake failed"])
        #expect(logs.messages(at: .debug).contains("TLS handshake failed"))
        #expect(try await running.stopAndWait())
        certificates.remove()
    }

    @Test("min_version TLS1_3 refuses a client that speaks at most TLS 1.2; TLS 1.3 gets through")
    func minimumVersion() async throws {
        var tls = serverTLS
        tls.minimumVersion = .tls1_3
        let sink = RecordingSink()
        let (_, running) = try await startTLS(sink, tls)

        let old = try await TLSClient.connect(port: running.port, certificates: certificates, maximumVersion: .tlsv12)
        let sent = await old.send([rfc5424(1, host: "old")])
        #expect(await old.closedByServer())
        #expect(!old.probe.handshook)
        #expect(!sent || old.probe.error != nil)

        let current = try await TLSClient.connect(port: running.port, certificates: certificates)
        #expect(await current.send([rfc5424(2)]))
        await current.close()
        #expect(await eventually(within: 30) { sink.frameCount >= 1 })
        #expect(sink.frames.map { String(decoding: $0, as: UTF8.self) } == [rfc5424(2)])
        #expect(try await running.stopAndWait())
        certificates.remove()
    }

    @Test("setup errors name the file at fault")
    func setupErrors() throws {
        func error(_ tls: TLSServerConfiguration) -> TLSSetupError? {
            do {
                _ = try TLSServer(configuration: tls, logger: quietLogger)
                return nil
            } catch {
                return error as? TLSSetupError
            }
        }
        var missing = serverTLS
        missing.certificateChainPath = certificates.directory + "/absent.pem"
        let missingError = try #require(error(missing))
        #expect(missingError.code == .unreadableCertificate)
        #expect(missingError.detail == "cannot read the certificate chain file \(certificates.directory)/absent.pem: No such file or directory")

        var notPEM = serverTLS
        notPEM.privateKeyPath = certificates.directory + "/openssl.cnf"
        let notPEMError = try #require(error(notPEM))
        #expect(notPEMError.code == .unreadablePrivateKey)
        #expect(notPEMError.detail.contains("\(certificates.directory)/openssl.cnf"))

        var wrongPassphrase = serverTLS
        wrongPassphrase.privateKeyPath = certificates.encryptedServerKeyPath
        wrongPassphrase.privateKeyPassphrase = "wrong"
        #expect(error(wrongPassphrase)?.code == .unreadablePrivateKey)

        var mismatched = serverTLS
        mismatched.privateKeyPath = certificates.client.keyPath
        let mismatchedError = try #require(error(mismatched))
        #expect(mismatchedError.code == .invalidContext)
        #expect(mismatchedError.detail.contains(certificates.client.keyPath))

        var noCA = mutualTLS
        noCA.trustedCAPath = nil
        #expect(error(noCA)?.code == .unreadableCA)

        var caNotPEM = mutualTLS
        caNotPEM.trustedCAPath = certificates.directory + "/openssl.cnf"
        let caError = try #require(error(caNotPEM))
        #expect(caError.code == .unreadableCA)
        #expect(caError.detail.contains("openssl.cnf"))
        certificates.remove()
    }
}
