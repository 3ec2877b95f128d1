import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The EC2 instance profile's role credentials from the instance metadata service, IMDSv2:
///
/// 1. `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: 21600` → a session token;
/// 2. `GET /latest/meta-data/iam/security-credentials/` → the role name;
/// 3. `GET /latest/meta-data/iam/security-credentials/ROLE` → JSON with AccessKeyId,
///    SecretAccessKey, Token and Expiration;
///
/// both GETs carrying `X-aws-ec2-metadata-token`. The credentials are cached and refreshed five
/// minutes before they expire. `AWS_EC2_METADATA_DISABLED=true` turns the provider off.
///
/// In the default chain (`missingServiceIsNotFound`), a service that does not answer within the
/// connect timeout, or an instance without a role, is `.credentialsNotFound`: off EC2 that costs
/// about a second, once, and the chain gives its full error.
public struct InstanceMetadataCredentialProvider: AWSCredentialProvider {
    /// fluent-plugin-s3's `<instance_profile_credentials>`; the defaults are the AWS SDK for Ruby's.
    public struct Configuration: Sendable {
        /// The service, `http://169.254.169.254` unless set.
        public var endpoint: URL
        public var openTimeout: Duration = .seconds(1)
        public var readTimeout: Duration = .seconds(1)
        /// Further attempts after a request gets no answer or a 5xx.
        public var retries: Int = 1
        /// The lifetime asked for the IMDSv2 session token.
        public var tokenTTLSeconds: Int = 21600
        /// No answer from the service, or no role on the instance, is `.credentialsNotFound`
        /// (the default chain) rather than an error.
        public var missingServiceIsNotFound: Bool = false

        public init(endpoint: URL) {
            self.endpoint = endpoint
        }

        /// `ip_address`/`port` when given, else `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else 169.254.169.254:80.
        public static func endpoint(ipAddress: String?, port: Int?, environment: [String: String]) throws -> URL {
            if ipAddress != nil || port != nil {
                var host = ipAddress ?? "169.254.169.254"
                if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
                guard let url = URL(string: "http://\(host):\(port ?? 80)") else {
                    throw S3Error(code: .invalidEndpoint, message: "ip_address \"\(ipAddress ?? "")\" is not an IP address or host name")
                }
                return url
            }
            if let value = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                guard let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                      let host = url.host(percentEncoded: false), !host.isEmpty
                else {
                    throw S3Error(code: .invalidEndpoint, message: "AWS_EC2_METADATA_SERVICE_ENDPOINT \"\(value)\" is not an http:// URL with a host")
                }
                return url
            }
            return URL(string: "http://169.254.169.254")!
        }
    }

    static let tokenPath = "/latest/api/token"
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    /// The settings it was made with.
    public let configuration: Configuration
    private let cache: RefreshingCredentials?
    private let disabledReason: String?

    public init(
        configuration: Configuration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            disabledReason = "AWS_EC2_METADATA_DISABLED is true"
            cache = nil
            return
        }
        disabledReason = nil
        cache = RefreshingCredentials(
            source: "instance metadata", metadata: ["aws.imds_endpoint": "\(configuration.endpoint.absoluteString)"], now: now
        ) { logger in
            try await Self.fetch(configuration, logger: logger)
        }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        guard let cache else {
            throw S3Error(code: .credentialsNotFound, message: disabledReason ?? "the instance metadata service is off")
        }
        return try await cache.credentials(logger: logger)
    }

    private static func fetch(_ configuration: Configuration, logger: Logger) async throws -> AWSCredentials {
        let base = configuration.endpoint.absoluteString.hasSuffix("/")
            ? String(configuration.endpoint.absoluteString.dropLast()) : configuration.endpoint.absoluteString
        let client = MetadataHTTP.client(connectTimeout: TimeAmount(configuration.openTimeout))
        let deadline = TimeAmount(configuration.openTimeout + configuration.readTimeout)
        func send(_ method: String, _ path: String, _ headers: [(String, String)]) async throws -> MetadataHTTP.Response {
            let url = URL(string: base + path)!
            do {
                return try await MetadataHTTP.send(
                    method, url, headers: headers, client: client, deadline: deadline, retries: configuration.retries, logger: logger
                )
            } catch {
                if configuration.missingServiceIsNotFound {
                    throw S3Error(
                        code: .credentialsNotFound,
                        message: "no instance metadata service answered at \(base) (\(error.underlying)); not on EC2, or set AWS_EC2_METADATA_DISABLED=true"
                    )
                }
                throw S3ObjectStore.transportError(error.underlying, operation: "instance metadata \(method) \(path)", endpoint: configuration.endpoint)
            }
        }
        func unexpected(_ response: MetadataHTTP.Response, _ what: String) -> S3Error {
            S3Error(
                code: (500..<600).contains(response.status) ? .serverError : .invalidResponse,
                message: "instance metadata at \(base): \(what) answered HTTP \(response.status)",
                httpStatus: response.status
            )
        }

        let tokenResponse = try await send("PUT", tokenPath, [("X-aws-ec2-metadata-token-ttl-seconds", String(configuration.tokenTTLSeconds))])
        guard tokenResponse.status == 200, !tokenResponse.body.isEmpty else {
            if configuration.missingServiceIsNotFound, [403, 404, 405].contains(tokenResponse.status) {
                throw S3Error(code: .credentialsNotFound, message: "\(base) gives no IMDSv2 token (HTTP \(tokenResponse.status)); not an EC2 instance metadata service")
            }
            throw unexpected(tokenResponse, "the IMDSv2 token request (PUT \(tokenPath))")
        }
        let tokenHeader = [("X-aws-ec2-metadata-token", tokenResponse.body)]

        let roles = try await send("GET", credentialsPath, tokenHeader)
        guard roles.status == 200 else {
            if roles.status == 404 {
                throw S3Error(
                    code: .credentialsNotFound,
                    message: "the EC2 instance has no IAM role (\(base)\(credentialsPath) answered 404); attach an instance profile"
                )
            }
            throw unexpected(roles, "GET \(credentialsPath)")
        }
        guard let role = roles.body.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !role.isEmpty, !role.contains("/")
        else {
            throw S3Error(code: .credentialsNotFound, message: "the EC2 instance has no IAM role (\(base)\(credentialsPath) is empty); attach an instance profile")
        }

        let document = try await send("GET", credentialsPath + role, tokenHeader)
        guard document.status == 200 else { throw unexpected(document, "GET \(credentialsPath)\(role)") }
        return try MetadataHTTP.credentials(json: document.body, operation: "instance metadata role \(role) at \(base)")
    }
}
