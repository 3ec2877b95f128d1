import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

/// Credentials given in the configuration (`aws_key_id` / `aws_sec_key`).
public struct StaticCredentialProvider: AWSCredentialProvider {
    public var credentials: AWSCredentials

    public init(credentials: AWSCredentials) {
        self.credentials = credentials
    }

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.credentials = AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        credentials
    }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: AWSCredentialProvider {
    private let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        switch (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")) {
        case (let keyID?, let secret?):
            return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        case (nil, nil):
            throw S3Error(code: .credentialsNotFound, message: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (_?, nil):
            throw S3Error(code: .credentialsNotFound, message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both or neither")
        case (nil, _?):
            throw S3Error(code: .credentialsNotFound, message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both or neither")
        }
    }
}

/// Asks each provider in turn and returns the first credentials found.
///
/// A provider that throws `.credentialsNotFound` is skipped; any other error is thrown at once.
/// The provider that answered is remembered and asked first from then on (as the AWS SDKs
/// resolve their chain once), so a missing instance metadata service is not waited for again
/// at every request; if it later finds nothing, the whole chain is walked again.
public final class CredentialChain: AWSCredentialProvider {
    public let providers: [any AWSCredentialProvider]
    private let chosen = Mutex<Int?>(nil)

    public init(providers: [any AWSCredentialProvider]) {
        self.providers = providers
    }

    /// The AWS SDK for Ruby's default chain, which fluent-plugin-s3 uses when no credential
    /// section is given: static keys from the configuration, the environment
    /// (`AWS_ACCESS_KEY_ID`...), web identity from the environment (`AWS_WEB_IDENTITY_TOKEN_FILE`
    /// and `AWS_ROLE_ARN`), the shared credentials and config files (`AWS_PROFILE`), the ECS
    /// container endpoint when its variables are set, and the EC2 instance metadata service (IMDSv2,
    /// one-second connect timeout, no retries).
    ///
    /// - Parameter region: the region for STS (web identity).
    public static func standard(
        staticCredentials: AWSCredentials?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        region: String,
        httpClient: HTTPClient
    ) throws -> CredentialChain {
        var providers: [any AWSCredentialProvider] = []
        if let staticCredentials {
            providers.append(StaticCredentialProvider(credentials: staticCredentials))
        }
        providers.append(EnvironmentCredentialProvider(environment: environment))
        providers.append(WebIdentityCredentialProvider.environment(
            environment,
            stsEndpoint: try AWSEndpoints.sts(configured: nil, region: region, environment: environment),
            region: region, httpClient: httpClient
        ))
        providers.append(SharedCredentialsProvider(environment: environment))
        if ContainerCredentialProvider.isConfigured(environment: environment) {
            providers.append(ContainerCredentialProvider(environment: environment))
        } else {
            var imds = InstanceMetadataCredentialProvider.Configuration(
                endpoint: try InstanceMetadataCredentialProvider.Configuration.endpoint(ipAddress: nil, port: nil, environment: environment)
            )
            imds.retries = 0
            imds.missingServiceIsNotFound = true
            providers.append(InstanceMetadataCredentialProvider(configuration: imds, environment: environment))
        }
        return CredentialChain(providers: providers)
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        if let index = chosen.withLock({ $0 }) {
            do {
                return try await providers[index].credentials(logger: logger)
            } catch let error as S3Error where error.code == .credentialsNotFound {
                chosen.withLock { $0 = nil }
            }
        }
        var reasons: [String] = []
        for (index, provider) in providers.enumerated() {
            do {
                let credentials = try await provider.credentials(logger: logger)
                chosen.withLock { $0 = index }
                if providers.count > 1 {
                    logger.info("using AWS credentials from \(type(of: provider))", metadata: ["aws.access_key_id": "\(credentials.accessKeyID)"])
                }
                return credentials
            } catch let error as S3Error where error.code == .credentialsNotFound {
                reasons.append("\(type(of: provider)): \(error.message)")
            }
        }
        throw S3Error(
            code: .credentialsNotFound,
            message: "no AWS credentials found (\(reasons.joined(separator: "; "))); "
                + "set aws_key_id/aws_sec_key in the config, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, "
                + "a profile in ~/.aws/credentials, or run with an instance profile or task role"
        )
    }
}
