/// Why a receiver's TLS could not be set up at start-up; the message names the file at fault.
public struct TLSSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The certificate chain file is missing, unreadable or holds no PEM certificate.
        public static let unreadableCertificate = Code("unreadable certificate")
        /// The private key file is missing, unreadable, not PEM, or the passphrase does not open it.
        public static let unreadablePrivateKey = Code("unreadable private key")
        /// The CA file is missing, unreadable or holds no PEM certificate.
        public static let unreadableCA = Code("unreadable CA file")
        /// The files were read but do not make a usable context (e.g. the key does not match the certificate).
        public static let invalidContext = Code("invalid TLS setup")
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
