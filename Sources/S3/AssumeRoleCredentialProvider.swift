import AsyncHTTPClient
import Foundation
import Logging

/// Temporary credentials from STS AssumeRole, signed with the base provider's credentials.
///
/// Cached and refreshed five minutes before they expire (`RefreshingCredentials`).
public struct AssumeRoleCredentialProvider: AWSCredentialProvider {
    /// How long before expiry the credentials are replaced.
    public static let refreshMargin = RefreshingCredentials.refreshMargin

    private let cache: RefreshingCredentials

    /// `now` is the clock for expiry decisions and request signing, injectable for tests.
    public init(
        base: any AWSCredentialProvider,
        roleARN: String,
        sessionName: String,
        durationSeconds: Int,
        externalID: String?,
        policy: String? = nil,
        stsEndpoint: URL,
        region: String,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var fields = [
            ("RoleArn", roleARN),
            ("RoleSessionName", sessionName),
            ("DurationSeconds", String(durationSeconds)),
        ]
        if let externalID { fields.append(("ExternalId", externalID)) }
        if let policy { fields.append(("Policy", policy)) }
        let query = STSQuery(
            action: "AssumeRole", fields: fields, endpoint: stsEndpoint,
            operation: "AssumeRole \(roleARN) at \(stsEndpoint.absoluteString)",
            permission: "sts:AssumeRole on \(roleARN) (and a trust policy that allows the base identity)"
        )
        cache = RefreshingCredentials(source: "AssumeRole", metadata: ["aws.role_arn": "\(roleARN)"], now: now) { logger in
            let baseCredentials = try await base.credentials(logger: logger)
            return try await query.credentials(
                signingCredentials: baseCredentials, region: region, httpClient: httpClient, date: now(), logger: logger
            )
        }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        try await cache.credentials(logger: logger)
    }
}
