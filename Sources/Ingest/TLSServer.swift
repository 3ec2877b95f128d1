import Logging
import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS for a stream receiver, set up once at start-up: the certificate, key and CA files are read
/// here, so a bad file stops Sluice before it listens instead of failing every handshake later.
///
/// Any stream receiver (syslog over TCP, RELP) puts TLS in front of its own handlers with
/// `addTLSHandlers(to:)`. Once a client's certificate is verified, a `TLSPeerIdentity` event goes down
/// the pipeline before any of the client's data.
public struct TLSServer: Sendable {
    public let configuration: TLSServerConfiguration
    private let context: NIOSSLContext
    private let handshakeFailures: HandshakeFailureLog

    /// Reads the files named by `configuration` and builds the TLS context.
    /// - Throws: `TLSSetupError` naming the file that could not be read or used.
    public init(configuration: TLSServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.context = try Self.makeContext(configuration)
        self.handshakeFailures = HandshakeFailureLog(logger: logger)
    }

    /// Adds TLS (and the peer identity event) at the front of a new connection's pipeline; the
    /// receiver's own handlers go after it and see plaintext.
    public func addTLSHandlers(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
        try pipeline.addHandler(TLSPeerIdentityHandler(
            clientCertificateRequired: configuration.requireClientCertificate,
            failures: handshakeFailures
        ))
    }

    private static func makeContext(_ configuration: TLSServerConfiguration) throws -> NIOSSLContext {
        let chainPath = configuration.certificateChainPath
        let chain = try load(chainPath, as: "certificate chain", .unreadableCertificate) {
            try NIOSSLCertificate.fromPEMFile(chainPath)
        }
        let keyPath = configuration.privateKeyPath
        let key = try load(keyPath, as: "private key", .unreadablePrivateKey) { () throws -> NIOSSLPrivateKey in
            if let passphrase = configuration.privateKeyPassphrase {
                return try NIOSSLPrivateKey(file: keyPath, format: .pem) { setPassphrase in
                    setPassphrase(Array(passphrase.utf8))
                }
            }
            return try NIOSSLPrivateKey(file: keyPath, format: .pem)
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        tls.minimumTLSVersion = configuration.minimumVersion.nioVersion
        if let maximum = configuration.maximumVersion { tls.maximumTLSVersion = maximum.nioVersion }
        if let ciphers = configuration.cipherSuites { tls.cipherSuites = ciphers }
        if configuration.requireClientCertificate {
            guard let caPath = configuration.trustedCAPath else {
                throw TLSSetupError(
                    code: .unreadableCA,
                    detail: "requiring client certificates needs a CA file to check them against; set the CA path"
                )
            }
            let authorities = try load(caPath, as: "CA", .unreadableCA) { try NIOSSLCertificate.fromPEMFile(caPath) }
            tls.trustRoots = .certificates(authorities)
            // Verify the chain; a client's certificate names a host, not this server, so no name check.
            tls.certificateVerification = .noHostnameVerification
            // Tells a client with several certificates which CA's to present.
            tls.sendCANameList = true
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw TLSSetupError(
                code: .invalidContext,
                detail: "the certificate chain \(chainPath) and private key \(keyPath) do not make a TLS context "
                    + "(does the key belong to the first certificate?): \(error)"
            )
        }
    }

    /// Runs `read` on `path`, turning a missing or unreadable file, or one without PEM certificates,
    /// into an error that names it and says why.
    private static func load<Value>(
        _ path: String, as role: String, _ code: TLSSetupError.Code, _ read: () throws -> Value
    ) throws -> Value {
        if access(path, R_OK) != 0 {
            let reason = String(cString: strerror(errno))
            throw TLSSetupError(code: code, detail: "cannot read the \(role) file \(path): \(reason)")
        }
        let value: Value
        do {
            value = try read()
        } catch {
            throw TLSSetupError(code: code, detail: "the \(role) file \(path) is not usable PEM: \(error)")
        }
        if let certificates = value as? [NIOSSLCertificate], certificates.isEmpty {
            throw TLSSetupError(code: code, detail: "the \(role) file \(path) holds no PEM certificate")
        }
        return value
    }
}

extension TLSServerConfiguration.MinimumVersion {
    var nioVersion: TLSVersion {
        switch self {
        case .tls1_1: .tlsv11
        case .tls1_2: .tlsv12
        case .tls1_3: .tlsv13
        }
    }
}
