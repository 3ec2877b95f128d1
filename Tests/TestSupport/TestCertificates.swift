import Foundation

/// Certificates for TLS tests, made by the `openssl` command in a new temporary directory: a CA, a
/// server certificate for `localhost` / 127.0.0.1, a client certificate it signed, and a client
/// certificate from another CA with the same subject (a host posing as another). EC P-256 keys,
/// quick to make; valid from now for three days.
public struct TestCertificates: Sendable {
    /// A certificate and its key, with its subject as RFC 4514 writes it.
    public struct Identity: Sendable {
        public var certificatePath: String
        public var keyPath: String
        public var subject: String
    }

    public let directory: String
    /// The CA that signed `server` and `client`.
    public let caPath: String
    /// CN=localhost, with subjectAltName IP:127.0.0.1 and DNS:localhost.
    public let server: Identity
    /// `server`'s key encrypted with `serverKeyPassphrase`.
    public let encryptedServerKeyPath: String
    public let serverKeyPassphrase = "correct horse"
    /// CN=host1,O=Sluice Tests, signed by the CA.
    public let client: Identity
    /// The CA of `rogueClient`, which the server does not trust.
    public let otherCAPath: String
    /// The same subject as `client`, signed by the other CA.
    public let rogueClient: Identity

    public init() throws {
        guard let openssl = ChildProcess.find("openssl") else {
            throw TestFailure("openssl is not installed: apt-get install openssl")
        }
        let directory = try PackagePaths.temporaryDirectory("certificates")
        self.directory = directory
        let configPath = directory + "/openssl.cnf"
        try Self.opensslConfiguration.write(toFile: configPath, atomically: true, encoding: .utf8)

        func run(_ arguments: [String], san: String = "DNS:unused") throws {
            let result = try ChildProcess.run(openssl, arguments, environment: ["SAN": san, "OPENSSL_CONF": configPath])
            guard result.status == 0 else {
                throw TestFailure("openssl \(arguments.joined(separator: " ")) failed: \(result.output)")
            }
        }
        func key(_ name: String) throws -> String {
            let path = "\(directory)/\(name).key"
            try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
            return path
        }
        func authority(_ name: String, subject: String) throws -> (certificate: String, key: String) {
            let keyPath = try key(name)
            let path = "\(directory)/\(name).pem"
            try run([
                "req", "-new", "-x509", "-config", configPath, "-extensions", "ca", "-key", keyPath,
                "-subj", subject, "-days", "3", "-out", path,
            ])
            return (path, keyPath)
        }
        var serial = 1
        func leaf(_ name: String, subject: String, rfc4514: String, san: String, signer: (certificate: String, key: String)) throws -> Identity {
            let keyPath = try key(name)
            let request = "\(directory)/\(name).csr"
            let path = "\(directory)/\(name).pem"
            try run(["req", "-new", "-config", configPath, "-key", keyPath, "-subj", subject, "-out", request])
            serial += 1
            try run(
                [
                    "x509", "-req", "-in", request, "-CA", signer.certificate, "-CAkey", signer.key,
                    "-set_serial", "\(serial)", "-days", "3", "-extfile", configPath, "-extensions", "leaf", "-out", path,
                ],
                san: san
            )
            return Identity(certificatePath: path, keyPath: keyPath, subject: rfc4514)
        }

        let ca = try authority("ca", subject: "/O=Sluice Tests/CN=Sluice Test CA")
        caPath = ca.certificate
        server = try leaf(
            "server", subject: "/O=Sluice Tests/CN=localhost", rfc4514: "CN=localhost,O=Sluice Tests",
            san: "IP:127.0.0.1,DNS:localhost", signer: ca
        )
        client = try leaf(
            "client", subject: "/O=Sluice Tests/CN=host1", rfc4514: "CN=host1,O=Sluice Tests", san: "DNS:host1", signer: ca
        )
        let other = try authority("other-ca", subject: "/O=Elsewhere/CN=Other CA")
        otherCAPath = other.certificate
        rogueClient = try leaf(
            "rogue", subject: "/O=Sluice Tests/CN=host1", rfc4514: "CN=host1,O=Sluice Tests", san: "DNS:host1", signer: other
        )
        encryptedServerKeyPath = directory + "/server-encrypted.key"
        try run([
            "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", server.keyPath, "-out", encryptedServerKeyPath,
            "-passout", "pass:\(serverKeyPassphrase)",
        ])
    }

    /// Removes the directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Our own configuration, so the system's openssl.cnf cannot add or clash with extensions.
    private static let opensslConfiguration = """
        [req]
        distinguished_name = dn
        prompt = no

        [dn]

        [ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash

        [leaf]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth,clientAuth
        subjectAltName = $ENV::SAN
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """
}
