import AsyncHTTPClient
import Foundation
import Logging

/// Temporary credentials from STS AssumeRoleWithWebIdentity: an OIDC token (an EKS service
/// account's, a CI system's) read from a file and exchanged for a role's credentials. The
/// request is unsigned; the token is the proof.
///
/// fluent-plugin-s3's `<web_identity_credentials>`, or in the default chain
/// `AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN` (and `AWS_ROLE_SESSION_NAME`). The token
/// file is read again at every refresh, because its owner rotates it. The credentials are
/// cached and refreshed five minutes before they expire.
public struct WebIdentityCredentialProvider: AWSCredentialProvider {
    private let cache: RefreshingCredentials?

    public init(
        roleARN: String,
        sessionName: String?,
        tokenFile: String,
        policy: String? = nil,
        durationSeconds: Int? = nil,
        stsEndpoint: URL,
        region: String,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        cache = RefreshingCredentials(source: "AssumeRoleWithWebIdentity", metadata: ["aws.role_arn": "\(roleARN)"], now: now) { logger in
            let token: String
            do {
                token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw S3Error(
                    code: .invalidCredentialSource,
                    message: "the web identity token file \(tokenFile) cannot be read (\(error.localizedDescription)); check web_identity_token_file or AWS_WEB_IDENTITY_TOKEN_FILE"
                )
            }
            guard !token.isEmpty else {
                throw S3Error(code: .invalidCredentialSource, message: "the web identity token file \(tokenFile) is empty")
            }
            var fields = [
                ("RoleArn", roleARN),
                ("RoleSessionName", sessionName ?? "sluice-\(Int(now().timeIntervalSince1970))"),
                ("WebIdentityToken", token),
            ]
            if let durationSeconds { fields.append(("DurationSeconds", String(durationSeconds))) }
            if let policy { fields.append(("Policy", policy)) }
            let query = STSQuery(
                action: "AssumeRoleWithWebIdentity", fields: fields, endpoint: stsEndpoint,
                operation: "AssumeRoleWithWebIdentity \(roleARN) at \(stsEndpoint.absoluteString)",
                permission: "a trust policy on \(roleARN) that allows sts:AssumeRoleWithWebIdentity for the token's issuer and subject"
            )
            return try await query.credentials(signingCredentials: nil, region: region, httpClient: httpClient, date: now(), logger: logger)
        }
    }

    private init(notConfigured: Void) {
        cache = nil
    }

    /// The provider for `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`;
    /// one that answers `.credentialsNotFound` when the first two are not both set.
    public static func environment(
        _ environment: [String: String],
        stsEndpoint: URL,
        region: String,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }
    ) -> WebIdentityCredentialProvider {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        guard let tokenFile = value("AWS_WEB_IDENTITY_TOKEN_FILE"), let roleARN = value("AWS_ROLE_ARN") else {
            return WebIdentityCredentialProvider(notConfigured: ())
        }
        return WebIdentityCredentialProvider(
            roleARN: roleARN, sessionName: value("AWS_ROLE_SESSION_NAME"), tokenFile: tokenFile,
            stsEndpoint: stsEndpoint, region: region, httpClient: httpClient, now: now
        )
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        guard let cache else {
            throw S3Error(code: .credentialsNotFound, message: "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not both set")
        }
        return try await cache.credentials(logger: logger)
    }
}
