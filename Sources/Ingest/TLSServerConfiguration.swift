/// How a stream receiver speaks TLS (RFC 5425 for syslog; RELP over TLS the same way): the server's
/// certificate and key, and whether and against what clients' certificates are checked.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// The oldest protocol version a client may use. TLS 1.0 is not offered: RFC 8996 retired it.
    public enum MinimumVersion: String, Sendable, Hashable, CaseIterable {
        case tls1_1 = "TLS1_1"
        case tls1_2 = "TLS1_2"
        case tls1_3 = "TLS1_3"
    }

    /// PEM file with the server certificate first, then any intermediates.
    public var certificateChainPath: String
    /// PEM file with the server's private key.
    public var privateKeyPath: String
    /// Decrypts `privateKeyPath` when it is encrypted; nil for a plain key.
    public var privateKeyPassphrase: String?
    /// PEM file of the certificate authorities trusted to sign client certificates.
    public var trustedCAPath: String?
    /// Refuse a client that does not present a certificate signed by `trustedCAPath`.
    public var requireClientCertificate: Bool
    /// Default TLS 1.2, as Fluentd's in_syslog.
    public var minimumVersion: MinimumVersion
    /// The newest protocol version offered; nil for the newest the library speaks.
    public var maximumVersion: MinimumVersion?
    /// OpenSSL cipher list for TLS 1.2 and older (`ciphers` in Fluentd); nil for the library's default.
    public var cipherSuites: String?

    public init(
        certificateChainPath: String,
        privateKeyPath: String,
        privateKeyPassphrase: String? = nil,
        trustedCAPath: String? = nil,
        requireClientCertificate: Bool = false,
        minimumVersion: MinimumVersion = .tls1_2,
        maximumVersion: MinimumVersion? = nil,
        cipherSuites: String? = nil
    ) {
        self.maximumVersion = maximumVersion
        self.cipherSuites = cipherSuites
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.privateKeyPassphrase = privateKeyPassphrase
        self.trustedCAPath = trustedCAPath
        self.requireClientCertificate = requireClientCertificate
        self.minimumVersion = minimumVersion
    }
}
