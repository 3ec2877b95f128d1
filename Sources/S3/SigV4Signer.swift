import Crypto
import Foundation

/// AWS Signature Version 4 for the `Authorization` header.
///
/// The caller builds the request (URL, headers, payload hash) and adds the headers this
/// returns. Every header passed in is signed except `user-agent`, `expect`,
/// `x-amzn-trace-id` and `authorization` (as botocore does), so pass only headers that
/// are sent unchanged; `host` is derived from the URL unless given.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    /// Remove `.`/`..` segments and repeated slashes from the canonical URI. S3 signs the
    /// path exactly as sent (a key may contain `//` or `..`); other services normalise.
    public var normalizesPath: Bool
    /// Add and sign `x-amz-content-sha256`, which S3 requires and other services do not.
    public var signsPayloadHashHeader: Bool

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = service != "s3"
        self.signsPayloadHashHeader = service == "s3"
    }

    /// The intermediate texts and the headers to add; `canonicalRequest` and `stringToSign`
    /// match AWS's test-suite files byte for byte.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signedHeaderNames: String
        /// `X-Amz-Date`, `X-Amz-Security-Token`?, `X-Amz-Content-Sha256`?, `Authorization`.
        public var headers: [(String, String)]
    }

    /// The headers to add to the request: `X-Amz-Date`, `X-Amz-Security-Token` when there is
    /// a session token, `X-Amz-Content-Sha256` for S3, and `Authorization`.
    public func signedHeaders(
        method: String,
        url: URL,
        headers: [(String, String)],
        payloadSHA256: String,
        date: Date
    ) -> [(String, String)] {
        sign(method: method, url: url, headers: headers, payloadSHA256: payloadSHA256, date: date).headers
    }

    public func canonicalRequest(method: String, url: URL, headers: [(String, String)], payloadSHA256: String, date: Date) -> String {
        sign(method: method, url: url, headers: headers, payloadSHA256: payloadSHA256, date: date).canonicalRequest
    }

    public func stringToSign(method: String, url: URL, headers: [(String, String)], payloadSHA256: String, date: Date) -> String {
        sign(method: method, url: url, headers: headers, payloadSHA256: payloadSHA256, date: date).stringToSign
    }

    public func sign(
        method: String,
        url: URL,
        headers: [(String, String)],
        payloadSHA256: String,
        date: Date
    ) -> Signature {
        let timestamp = SigV4Timestamp(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))

        var added: [(String, String)] = [("X-Amz-Date", timestamp.dateTime)]
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
        }
        if signsPayloadHashHeader {
            added.append(("X-Amz-Content-Sha256", payloadSHA256))
        }

        var allHeaders = headers
        if !headers.contains(where: { $0.0.lowercased() == "host" }) {
            allHeaders.append(("host", Self.hostHeader(for: url)))
        }
        allHeaders += added
        let (canonicalHeaders, signedHeaderNames) = Self.canonicalHeaders(allHeaders)

        let canonicalRequest = [
            method.uppercased(),
            canonicalURI(url),
            Self.canonicalQuery(url),
            canonicalHeaders,
            signedHeaderNames,
            payloadSHA256,
        ].joined(separator: "\n")

        let scope = "\(timestamp.date)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            timestamp.dateTime,
            scope,
            SigV4Encoding.sha256Hex(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")

        let signature = SigV4Encoding.hex(
            HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(date: timestamp.date))
        )
        added.append((
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaderNames), Signature=\(signature)"
        ))
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            signedHeaderNames: signedHeaderNames,
            headers: added
        )
    }

    private func signingKey(date: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        return hmac(hmac(hmac(hmac(secret, date), region), service), "aws4_request")
    }

    // MARK: Canonical parts

    /// Headers that proxies and HTTP stacks may change, so signing them would break requests.
    private static let unsignedHeaders: Set<String> = ["user-agent", "expect", "x-amzn-trace-id", "authorization"]

    /// `name:value\n` lines sorted by lower-case name (values trimmed, inner whitespace runs
    /// folded to one space, repeated names joined by `,` in order), and the `;`-joined names.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let name = name.lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(foldWhitespace(value))
        }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var canonical = ""
        for name in names {
            canonical += "\(name):\(values[name]!.joined(separator: ","))\n"
        }
        return (canonical, names.joined(separator: ";"))
    }

    private static func foldWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// The path, each segment decoded and re-encoded once with the AWS unreserved set, so a
    /// URL built by any client yields the canonical form S3 computes. Encoded slashes (`%2F`)
    /// stay encoded because segments are split before decoding.
    func canonicalURI(_ url: URL) -> String {
        let rawPath = url.path(percentEncoded: true)
        guard !rawPath.isEmpty else { return "/" }
        var segments = rawPath.split(separator: "/", omittingEmptySubsequences: false).map { SigV4Encoding.percentDecode($0) }
        if normalizesPath {
            var kept: [String] = []
            for segment in segments where !segment.isEmpty && segment != "." {
                if segment == ".." { _ = kept.popLast() } else { kept.append(segment) }
            }
            if rawPath.hasSuffix("/"), !kept.isEmpty { kept.append("") }
            segments = [""] + kept
        }
        let path = segments.map { SigV4Encoding.uriEncode($0) }.joined(separator: "/")
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// `key=value` pairs, decoded and re-encoded, sorted by key then value; `key` alone
    /// becomes `key=`.
    static func canonicalQuery(_ url: URL) -> String {
        guard let query = url.query(percentEncoded: true), !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = SigV4Encoding.uriEncode(SigV4Encoding.percentDecode(parts[0]))
            let value = parts.count > 1 ? SigV4Encoding.uriEncode(SigV4Encoding.percentDecode(parts[1])) : ""
            pairs.append((key, value))
        }
        pairs.sort { lhs, rhs in
            lhs.0 != rhs.0
                ? Array(lhs.0.utf8).lexicographicallyPrecedes(Array(rhs.0.utf8))
                : Array(lhs.1.utf8).lexicographicallyPrecedes(Array(rhs.1.utf8))
        }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `host[:port]`, the port only when it is not the scheme's default (as HTTP clients send).
    static func hostHeader(for url: URL) -> String {
        var host = url.host(percentEncoded: false) ?? ""
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        let scheme = url.scheme?.lowercased()
        if let port = url.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            host += ":\(port)"
        }
        return host
    }
}
