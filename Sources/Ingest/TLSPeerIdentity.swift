import CivilTime
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// Who is at the other end of a TLS connection, as its verified certificate says: fired down the
/// pipeline as a user inbound event once the handshake completes, before any of the client's data.
/// Receivers stamp it on what they read, so a host cannot pose as another in its messages.
public struct TLSPeerIdentity: Sendable, Hashable {
    /// The certificate's subject as an RFC 4514 string, e.g. `CN=host1,O=Example`.
    public var subject: String

    public init(subject: String) {
        self.subject = subject
    }
}

/// Sits right after `NIOSSLServerHandler`: turns the completed handshake into a `TLSPeerIdentity`
/// event, and logs failed handshakes (which NIOSSL follows by closing just that connection).
final class TLSPeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let clientCertificateRequired: Bool
    private let failures: HandshakeFailureLog
    private var handshakeCompleted = false

    init(clientCertificateRequired: Bool, failures: HandshakeFailureLog) {
        self.clientCertificateRequired = clientCertificateRequired
        self.failures = failures
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        handshakeCompleted = true
        context.fireUserInboundEventTriggered(event)
        guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() else {
            // Without client certificate authentication none is asked for: the connection is anonymous.
            return
        }
        do {
            let subject = try Certificate(derEncoded: certificate.toDERBytes()).subject.description
            context.fireUserInboundEventTriggered(TLSPeerIdentity(subject: subject))
        } catch {
            // The certificate passed verification, so this is not expected; a connection whose records
            // would lack the identity they must carry is closed rather than served.
            failures.record(peer: context.channel.remoteAddress, error: error, what: "cannot read the subject of a client certificate")
            if clientCertificateRequired { context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeCompleted {
            failures.record(peer: context.channel.remoteAddress, error: error, what: "TLS handshake failed")
        } else if let error = error as? NIOSSLError, error == .uncleanShutdown {
            // Senders commonly close without close_notify. Passed on, the error would end the
            // connection's stream before the close delivers a last frame that had no LF; octet
            // counting already tells a cut frame.
            return
        }
        context.fireErrorCaught(error)
    }
}

/// Logs failed TLS handshakes: one warning per interval with the number left out since, the rest at
/// debug, so a scanner or a misconfigured fleet cannot flood the log.
final class HandshakeFailureLog: Sendable {
    private struct State {
        var lastWarning: Int64 = .min
        var suppressed = 0
    }

    private let logger: Logger
    private let interval: Int64
    private let state = Mutex(State())

    init(logger: Logger, interval: Int64 = 10_000_000_000) {
        self.logger = logger
        self.interval = interval
    }

    func record(peer: SocketAddress?, error: any Error, what: String) {
        let now = WallClock.nanoseconds()
        let suppressed = state.withLock { state -> Int? in
            guard state.lastWarning == .min || now - state.lastWarning >= interval else {
                state.suppressed += 1
                return nil
            }
            defer { state.suppressed = 0 }
            state.lastWarning = now
            return state.suppressed
        }
        var metadata: Logger.Metadata = ["peer": "\(peer.map { "\($0)" } ?? "?")", "error": "\(error)"]
        guard let suppressed else {
            logger.debug("\(what)", metadata: metadata)
            return
        }
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("\(what)", metadata: metadata)
    }
}
