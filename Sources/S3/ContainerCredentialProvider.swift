import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The task role's credentials from the ECS agent (or EKS Pod Identity):
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` → `http://169.254.170.2<uri>`;
/// - else `AWS_CONTAINER_CREDENTIALS_FULL_URI`: https, or http to a loopback address,
///   169.254.170.2, 169.254.170.23 or fd00:ec2::23, as the AWS SDKs allow;
/// - `Authorization` from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at each refresh) or
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
///
/// Neither variable set is `.credentialsNotFound`. The answer is the same JSON document as the
/// instance metadata service's; it is cached and refreshed five minutes before expiry.
public struct ContainerCredentialProvider: AWSCredentialProvider {
    public static let relativeURIHost = "http://169.254.170.2"

    private enum Source {
        case notConfigured
        case invalid(String)
        case endpoint(URL, RefreshingCredentials)
    }

    private let source: Source

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        openTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(5),
        retries: Int = 5,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let url: URL
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            guard let resolved = URL(string: Self.relativeURIHost + (relative.hasPrefix("/") ? "" : "/") + relative) else {
                source = .invalid("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \"\(relative)\" is not a URL path")
                return
            }
            url = resolved
        } else if let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard let resolved = URL(string: full), Self.isAllowed(resolved) else {
                source = .invalid(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI \"\(full)\" must be https, or http to a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23"
                )
                return
            }
            url = resolved
        } else {
            source = .notConfigured
            return
        }
        let tokenFile = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        let cache = RefreshingCredentials(source: "container credentials", metadata: ["aws.container_endpoint": "\(url.absoluteString)"], now: now) { logger in
            var headers: [(String, String)] = [("Accept", "application/json")]
            if let tokenFile {
                guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                    throw S3Error(
                        code: .invalidCredentialSource,
                        message: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile) cannot be read"
                    )
                }
                headers.append(("Authorization", text.trimmingCharacters(in: .whitespacesAndNewlines)))
            } else if let token {
                headers.append(("Authorization", token))
            }
            let response: MetadataHTTP.Response
            do {
                response = try await MetadataHTTP.send(
                    "GET", url, headers: headers, client: MetadataHTTP.client(connectTimeout: TimeAmount(openTimeout)),
                    deadline: TimeAmount(openTimeout + readTimeout), retries: retries, logger: logger
                )
            } catch let error as MetadataHTTP.NoAnswer {
                throw S3ObjectStore.transportError(error.underlying, operation: "container credentials GET", endpoint: url)
            }
            guard response.status == 200 else {
                throw S3Error(
                    code: (500..<600).contains(response.status) ? .serverError : .accessDenied,
                    message: "container credentials at \(url.absoluteString) answered HTTP \(response.status)"
                        + (response.status == 401 || response.status == 403 ? "; check AWS_CONTAINER_AUTHORIZATION_TOKEN" : ""),
                    httpStatus: response.status
                )
            }
            return try MetadataHTTP.credentials(json: response.body, operation: "container credentials at \(url.absoluteString)")
        }
        source = .endpoint(url, cache)
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        switch source {
        case .notConfigured:
            throw S3Error(code: .credentialsNotFound, message: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
        case .invalid(let reason):
            throw S3Error(code: .invalidCredentialSource, message: reason)
        case .endpoint(_, let cache):
            return try await cache.credentials(logger: logger)
        }
    }

    /// Whether the environment names a container credentials endpoint at all.
    public static func isConfigured(environment: [String: String]) -> Bool {
        ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"].contains {
            !(environment[$0]?.trimmingCharacters(in: .whitespaces).isEmpty ?? true)
        }
    }

    private static func isAllowed(_ url: URL) -> Bool {
        guard let scheme = url.scheme?.lowercased(), let host = url.host(percentEncoded: false)?.lowercased(), !host.isEmpty else {
            return false
        }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
            || ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"].contains(bare)
    }
}
