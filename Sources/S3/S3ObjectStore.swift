import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// PutObject and HeadObject against S3 or any S3 API server, signed with SigV4.
///
/// Each PUT carries `Content-MD5` (S3 rejects a body corrupted on the way) and the signed
/// SHA-256 of the body in `x-amz-content-sha256`.
public struct S3ObjectStore: ObjectStore {
    public struct Configuration: Sendable {
        public var bucket: String
        public var region: String
        /// From `AWSEndpoints.s3(...)`.
        public var endpoint: URL
        /// Path-style addressing (`endpoint/bucket/key`). Also used, whatever this says, when
        /// the endpoint is an IP address or localhost, or the bucket name is not DNS-compatible.
        public var forcePathStyle: Bool
        /// The whole request, from connecting to the last response byte. Default 60 seconds.
        public var requestTimeout: TimeAmount

        public init(bucket: String, region: String, endpoint: URL, forcePathStyle: Bool = false, requestTimeout: TimeAmount = .seconds(60)) {
            self.bucket = bucket
            self.region = region
            self.endpoint = endpoint
            self.forcePathStyle = forcePathStyle
            self.requestTimeout = requestTimeout
        }
    }

    public let configuration: Configuration
    private let credentials: any AWSCredentialProvider
    private let httpClient: HTTPClient
    private let addressing: S3Addressing
    private let now: @Sendable () -> Date

    public init(configuration: Configuration, credentials: any AWSCredentialProvider, httpClient: HTTPClient) {
        self.init(configuration: configuration, credentials: credentials, httpClient: httpClient, now: { Date() })
    }

    /// `now` is the signing clock, injectable for tests.
    public init(
        configuration: Configuration,
        credentials: any AWSCredentialProvider,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.httpClient = httpClient
        self.addressing = S3Addressing(endpoint: configuration.endpoint, bucket: configuration.bucket, forcePathStyle: configuration.forcePathStyle)
        self.now = now
    }

    /// The URL a key is sent to.
    public func url(forKey key: String) -> URL {
        addressing.url(forKey: key)
    }

    public func putObject(_ request: PutObjectRequest, logger: Logger) async throws -> PutObjectResult {
        let operation = "PutObject s3://\(configuration.bucket)/\(request.key)"
        var headers = try objectHeaders(
            key: request.key, contentType: request.contentType, contentEncoding: request.contentEncoding,
            metadata: request.metadata, extra: request.headers, operation: operation
        )
        let body = request.body.readableBytesView
        headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()))
        let response = try await send(
            method: "PUT", key: request.key, headers: headers, body: request.body,
            payloadHash: SigV4Encoding.hex(SHA256.hash(data: body)), operation: operation, permission: "s3:PutObject", logger: logger
        )
        try response.check(operation: operation, permission: "s3:PutObject")
        return PutObjectResult(etag: response.etag)
    }

    /// Content type, encoding, `x-amz-meta-*` and the extra headers of a new object, checked.
    func objectHeaders(
        key: String, contentType: String?, contentEncoding: String?, metadata: [String: String],
        extra: [(String, String)], operation: String
    ) throws -> [(String, String)] {
        guard !key.isEmpty else {
            throw S3Error(code: .invalidKey, message: "\(operation): the object key is empty; check s3_object_key_format")
        }
        var headers: [(String, String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let contentEncoding { headers.append(("Content-Encoding", contentEncoding)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard Self.isPrintableASCII(name), !name.isEmpty, Self.isPrintableASCII(value) else {
                throw S3Error(code: .invalidRequest, message: "\(operation): metadata \"\(name)\" must have a printable ASCII name and value")
            }
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        return headers + extra
    }

    public func headObject(key: String, logger: Logger) async throws -> ObjectHead? {
        let operation = "HeadObject s3://\(configuration.bucket)/\(key)"
        let response = try await send(
            method: "HEAD", key: key, headers: [], body: nil,
            payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:GetObject", logger: logger
        )
        switch response.status {
        case 200..<300: return ObjectHead(metadata: response.metadata)
        case 404: return nil
        default:
            // HEAD answers have no body, so the AWS code is unknown and the status decides.
            throw S3Error.fromResponse(
                operation: operation, permission: "s3:GetObject (and s3:ListBucket to tell a missing key from a denied one)",
                status: response.status, body: nil, requestID: response.requestID
            )
        }
    }

    struct Response {
        var status: Int
        var metadata: [String: String] = [:]
        var etag: String?
        var requestID: String?
        var body: String = ""

        /// Throws the classified error unless the status is 2xx and the body is not an `<Error>`
        /// (CompleteMultipartUpload can fail after its 200 OK has been sent).
        func check(operation: String, permission: String) throws {
            let error = ErrorResponseBody(xml: body)
            guard !(200..<300).contains(status) || (error != nil && body.contains("<Error")) else { return }
            throw S3Error.fromResponse(operation: operation, permission: permission, status: status, body: error, requestID: requestID)
        }
    }

    func send(
        method: String,
        key: String,
        query: String? = nil,
        headers: [(String, String)],
        body: ByteBuffer?,
        payloadHash: String,
        operation: String,
        permission: String,
        timeout: TimeAmount? = nil,
        logger: Logger
    ) async throws -> Response {
        let url = addressing.url(forKey: key, query: query)
        let host = SigV4Signer.hostHeader(for: url)
        let signedHeaders = [("Host", host)] + headers
        let credentials = try await self.credentials.credentials(logger: logger)
        let signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "s3")
        let authHeaders = signer.signedHeaders(method: method, url: url, headers: signedHeaders, payloadSHA256: payloadHash, date: now())

        var request = HTTPClientRequest(url: url.absoluteString)
        // NIOHTTP1's HTTPMethod, named through inference: S3 does not depend on NIOHTTP1 directly.
        request.method = .init(rawValue: method)
        for (name, value) in signedHeaders + authHeaders { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }

        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout ?? configuration.requestTimeout, logger: logger)
        } catch {
            throw Self.transportError(error, operation: operation, endpoint: configuration.endpoint)
        }
        var result = Response(
            status: Int(response.status.code),
            etag: response.headers.first(name: "etag"),
            requestID: response.headers.first(name: "x-amz-request-id")
        )
        for (name, value) in response.headers {
            let lowered = name.lowercased()
            if lowered.hasPrefix("x-amz-meta-") { result.metadata[String(lowered.dropFirst(11))] = value }
        }
        do {
            // Answers are small XML documents (a ListParts page of 1,000 parts is about 200 KB).
            result.body = String(buffer: try await response.body.collect(upTo: 8 << 20))
        } catch {
            if (200..<300).contains(result.status) { throw Self.transportError(error, operation: operation, endpoint: configuration.endpoint) }
        }
        logger.debug("S3 response", metadata: [
            "s3.operation": "\(operation)", "http.status": "\(result.status)", "s3.request_id": "\(result.requestID ?? "-")",
        ])
        return result
    }

    static func transportError(_ error: any Error, operation: String, endpoint: URL) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? S3Error { return error }
        let timeouts: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout]
        if let httpError = error as? HTTPClientError, timeouts.contains(httpError) {
            return S3Error(code: .requestTimeout, message: "\(operation) timed out talking to \(endpoint.absoluteString) (\(httpError))")
        }
        return S3Error(
            code: .transport,
            message: "\(operation): could not talk to \(endpoint.absoluteString) (\(error)); check s3_endpoint, DNS and the network",
            isRetryable: true
        )
    }

    static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
    }
}
