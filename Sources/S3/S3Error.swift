/// An S3, STS or local-bucket failure, classified so the caller can decide to retry.
///
/// `message` says what went wrong and what to check. It never contains a secret key or
/// session token: it is built from the operation, the bucket and key, and the server's
/// error body, none of which carry them.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case accessDenied
            case signatureMismatch
            case invalidCredentials
            case expiredCredentials
            case clockSkew
            case noSuchBucket
            case wrongRegion
            case throttled
            case serverError
            case requestTimeout
            case rejected
            case transport
            case invalidResponse
            case credentialsNotFound
            case invalidCredentialSource
            case assumeRoleFailed
            case invalidKey
            case invalidRequest
            case invalidEndpoint
            case localIO
            case noSuchUpload
            case badDigest
            case invalidPart
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// 403 AccessDenied and friends: the identity lacks a permission.
        public static let accessDenied = Code(.accessDenied)
        /// The server computed another signature: wrong secret, or a signing bug.
        public static let signatureMismatch = Code(.signatureMismatch)
        /// The access key ID or session token is not known to the server.
        public static let invalidCredentials = Code(.invalidCredentials)
        /// The session token has expired; fresh credentials fix it.
        public static let expiredCredentials = Code(.expiredCredentials)
        /// The request time is too far from the server's clock.
        public static let clockSkew = Code(.clockSkew)
        public static let noSuchBucket = Code(.noSuchBucket)
        /// The bucket lives in another region than the one signed for.
        public static let wrongRegion = Code(.wrongRegion)
        /// SlowDown, 429, throttling: back off and retry.
        public static let throttled = Code(.throttled)
        /// 5xx from the server.
        public static let serverError = Code(.serverError)
        /// The server or the client gave up waiting.
        public static let requestTimeout = Code(.requestTimeout)
        /// Any other 4xx: the request itself is wrong and a retry will not help.
        public static let rejected = Code(.rejected)
        /// The connection failed or broke.
        public static let transport = Code(.transport)
        /// The server answered something that is not a valid response.
        public static let invalidResponse = Code(.invalidResponse)
        /// No provider had credentials; a `CredentialChain` moves on to the next.
        public static let credentialsNotFound = Code(.credentialsNotFound)
        /// A credential source that was named cannot be used: a profile that does not exist or
        /// lacks a key, an unreadable web identity token file. It stops a `CredentialChain`.
        public static let invalidCredentialSource = Code(.invalidCredentialSource)
        public static let assumeRoleFailed = Code(.assumeRoleFailed)
        /// The object key cannot be used (empty, `..` segments, ...).
        public static let invalidKey = Code(.invalidKey)
        /// A request field is invalid (non-ASCII metadata, ...).
        public static let invalidRequest = Code(.invalidRequest)
        public static let invalidEndpoint = Code(.invalidEndpoint)
        /// Reading or writing the local-directory bucket failed.
        public static let localIO = Code(.localIO)
        /// The multipart upload is gone: completed, aborted, or expired by a lifecycle rule.
        public static let noSuchUpload = Code(.noSuchUpload)
        /// The body did not match its Content-MD5 or checksum: damaged on the way, so sent again.
        public static let badDigest = Code(.badDigest)
        /// CompleteMultipartUpload named a part the server does not hold, or holds with another ETag.
        public static let invalidPart = Code(.invalidPart)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var httpStatus: Int?
    /// The `<Code>` of the server's XML error body, such as `AccessDenied` or `SlowDown`.
    public var awsCode: String?
    public var message: String
    public var requestID: String?
    /// Overrides the retry decision derived from `code`; set for transport errors.
    private var retryableOverride: Bool?

    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        awsCode: String? = nil,
        requestID: String? = nil,
        isRetryable: Bool? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.awsCode = awsCode
        self.requestID = requestID
        self.retryableOverride = isRetryable
    }

    /// Whether the same request may succeed if sent again after a back-off: 5xx, throttling,
    /// timeouts, broken connections, clock skew and expired tokens (the provider refreshes).
    public var isRetryable: Bool {
        if let retryableOverride { return retryableOverride }
        switch code {
        case .throttled, .serverError, .requestTimeout, .transport, .clockSkew, .expiredCredentials, .badDigest:
            return true
        default:
            return false
        }
    }

    public var description: String {
        var details: [String] = []
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let awsCode { details.append(awsCode) }
        if let requestID { details.append("request id \(requestID)") }
        let suffix = details.isEmpty ? "" : " [\(details.joined(separator: ", "))]"
        return "S3Error.\(code): \(message)\(suffix)"
    }
}

extension S3Error {
    /// Classifies an error answer from S3 or STS.
    ///
    /// - Parameters:
    ///   - operation: what was attempted, for the message: `PutObject s3://bucket/key`.
    ///   - permission: the IAM action the caller needs, named in AccessDenied messages.
    static func fromResponse(
        operation: String,
        permission: String,
        status: Int,
        body: ErrorResponseBody?,
        requestID headerRequestID: String?
    ) -> S3Error {
        let awsCode = body?.code
        let serverMessage = body?.message.map { ": \($0)" } ?? ""
        let requestID = body?.requestID ?? headerRequestID
        let (code, advice): (Code, String) = {
            switch awsCode {
            case "AccessDenied", "AllAccessDisabled", "AccountProblem", "UnauthorizedOperation":
                return (.accessDenied, "access denied; check that the role or user has \(permission) on the bucket, and the bucket policy / KMS key policy")
            case "SignatureDoesNotMatch":
                return (.signatureMismatch, "signature rejected; check aws_sec_key (the secret access key) and that no proxy rewrites the request")
            case "InvalidAccessKeyId", "InvalidClientTokenId", "InvalidToken", "UnrecognizedClientException":
                return (.invalidCredentials, "the access key ID or session token is not recognised; check aws_key_id and the credential source")
            case "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired":
                return (.expiredCredentials, "the session token has expired; fresh credentials are needed")
            case "RequestTimeTooSkewed", "RequestExpired":
                return (.clockSkew, "the request time differs too much from the server's clock; check the system clock (NTP)")
            case "NoSuchBucket":
                return (.noSuchBucket, "the bucket does not exist; check s3_bucket and s3_region, or create the bucket")
            case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
                return (.wrongRegion, "the bucket is in another region or behind another endpoint; check s3_region and s3_endpoint")
            case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                 "RequestThrottled", "ProvisionedThroughputExceededException", "BandwidthLimitExceeded":
                return (.throttled, "the server asks to slow down")
            case "RequestTimeout", "RequestTimeoutException":
                return (.requestTimeout, "the server timed out waiting for the request")
            case "InternalError", "ServiceUnavailable", "InternalFailure":
                return (.serverError, "server error")
            case "NoSuchUpload":
                return (.noSuchUpload, "the multipart upload no longer exists (completed, aborted, or removed by a lifecycle rule)")
            case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch":
                return (.badDigest, "the body did not match its checksum; it was damaged on the way")
            case "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
                return (.invalidPart, "the server does not hold the parts as listed")
            default:
                switch status {
                case 429: return (.throttled, "the server asks to slow down")
                case 500...599: return (.serverError, "server error")
                case 301, 307: return (.wrongRegion, "the bucket is in another region or behind another endpoint; check s3_region and s3_endpoint")
                case 403: return (.accessDenied, "access denied; check that the role or user has \(permission) on the bucket")
                case 404: return (.rejected, "not found; check s3_bucket and s3_endpoint")
                default: return (.rejected, "the request was rejected")
                }
            }
        }()
        return S3Error(
            code: code,
            message: "\(operation) failed: \(advice)\(serverMessage)",
            httpStatus: status,
            awsCode: awsCode,
            requestID: requestID
        )
    }
}
