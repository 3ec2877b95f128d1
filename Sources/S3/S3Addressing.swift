import Foundation

/// Where an object lives on the wire: virtual-hosted style (`bucket.s3.region.amazonaws.com/key`)
/// or path style (`endpoint/bucket/key`).
struct S3Addressing: Sendable, Equatable {
    var endpoint: URL
    var bucket: String
    var usesPathStyle: Bool

    init(endpoint: URL, bucket: String, forcePathStyle: Bool) {
        self.endpoint = endpoint
        self.bucket = bucket
        let host = endpoint.host(percentEncoded: false) ?? ""
        self.usesPathStyle = forcePathStyle
            || Self.isIPAddressOrLocalhost(host)
            || !Self.isVirtualHostCompatible(bucket: bucket, https: endpoint.scheme?.lowercased() == "https")
    }

    /// The request URL for a key: each `/`-separated segment URI-encoded, `/` kept; `query` is
    /// appended as given (already encoded).
    func url(forKey key: String, query: String? = nil) -> URL {
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        var host = endpoint.host(percentEncoded: false) ?? ""
        if host.contains(":") { host = "[\(host)]" }
        if !usesPathStyle { host = "\(bucket).\(host)" }
        let port = endpoint.port.map { ":\($0)" } ?? ""
        var basePath = endpoint.path(percentEncoded: true)
        while basePath.hasSuffix("/") { basePath.removeLast() }
        let bucketPath = usesPathStyle ? "/" + SigV4Encoding.uriEncode(bucket) : ""
        let keyPath = "/" + SigV4Encoding.uriEncode(key, keepSlash: true)
        let queryPart = query.map { "?" + $0 } ?? ""
        return URL(string: "\(scheme)://\(host)\(port)\(basePath)\(bucketPath)\(keyPath)\(queryPart)")!
    }

    static func isIPAddressOrLocalhost(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// DNS-compatible names only; with TLS a dot breaks the `*.s3` wildcard certificate.
    static func isVirtualHostCompatible(bucket: String, https: Bool) -> Bool {
        guard (3...63).contains(bucket.count), !(https && bucket.contains(".")) else { return false }
        return bucket.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
            && bucket.first!.isASCII && bucket.first != "-" && bucket.last != "-"
    }
}
