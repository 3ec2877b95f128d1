import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LoadGenerator {
    /// `--transport tls`: which servers to trust and which certificate to present.
    public struct TLSOptions: Sendable, Hashable {
        /// PEM file of the CAs trusted to sign the receiver's certificate; nil trusts the system's.
        public var caFile: String?
        /// PEM client certificate (chain) and its key, for a receiver that asks for one.
        public var certificateFile: String?
        public var keyFile: String?
        /// Checks nothing about the receiver's certificate: for load runs against a test certificate.
        public var insecure = false

        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// The client context every TLS connection of a run shares, made once before connecting.
    /// - Throws: `LoadGenError.invalidConfiguration` naming the file that cannot be read.
    static func makeTLSContext(_ options: TLSOptions) throws -> NIOSSLContext {
        func invalid(_ detail: String) -> LoadGenError { LoadGenError(code: .invalidConfiguration, detail: detail) }
        func load<Value>(_ option: String, _ path: String, _ read: () throws -> Value) throws -> Value {
            guard access(path, R_OK) == 0 else {
                throw invalid("\(option) \(path): \(String(cString: strerror(errno)))")
            }
            do {
                return try read()
            } catch {
                throw invalid("\(option) \(path) is not usable PEM: \(error)")
            }
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if options.insecure {
            tls.certificateVerification = .none
        } else if let caFile = options.caFile {
            let authorities = try load("--ca-file", caFile) { try NIOSSLCertificate.fromPEMFile(caFile) }
            guard !authorities.isEmpty else { throw invalid("--ca-file \(caFile) holds no PEM certificate") }
            tls.trustRoots = .certificates(authorities)
        }
        switch (options.certificateFile, options.keyFile) {
        case (let certificateFile?, let keyFile?):
            let chain = try load("--cert-file", certificateFile) { try NIOSSLCertificate.fromPEMFile(certificateFile) }
            guard !chain.isEmpty else { throw invalid("--cert-file \(certificateFile) holds no PEM certificate") }
            let key = try load("--key-file", keyFile) { try NIOSSLPrivateKey(file: keyFile, format: .pem) }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        case (nil, nil):
            break
        default:
            throw invalid("--cert-file and --key-file go together")
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw invalid("the TLS client settings do not make a context (does --key-file belong to --cert-file?): \(error)")
        }
    }
}
