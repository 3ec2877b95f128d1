import Ingest
import SluiceConfig

extension TLSServerConfiguration {
    /// The receiver's TLS settings from a source's `<transport tls>`.
    init(_ tls: SyslogSourceConfiguration.TLS) {
        self.init(
            certificateChainPath: tls.certificatePath,
            privateKeyPath: tls.privateKeyPath,
            privateKeyPassphrase: tls.privateKeyPassphrase,
            trustedCAPath: tls.caPath,
            requireClientCertificate: tls.clientCertificateAuthentication,
            minimumVersion: MinimumVersion(tls.minimumVersion),
            maximumVersion: tls.maximumVersion.map(MinimumVersion.init),
            cipherSuites: tls.ciphers
        )
    }
}

extension TLSServerConfiguration.MinimumVersion {
    init(_ version: SyslogSourceConfiguration.TLS.Version) {
        switch version {
        case .tls1_1: self = .tls1_1
        case .tls1_2: self = .tls1_2
        case .tls1_3: self = .tls1_3
        }
    }
}
