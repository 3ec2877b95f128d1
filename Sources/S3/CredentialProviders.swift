import Foundation
import Logging

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
public struct CredentialChain: AWSCredentialProvider {
    public var providers: [any AWSCredentialProvider]

    public init(providers: [any AWSCredentialProvider]) {
        self.providers = providers
    }

    /// The chain for a configuration: static keys if configured, then the environment.
    ///
    /// The shared credentials file (`~/.aws/credentials`, `AWS_PROFILE`) and the instance
    /// metadata service (IMDSv2) go after the environment, in that order, when they exist.
    public static func standard(
        staticCredentials: AWSCredentials?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> CredentialChain {
        var providers: [any AWSCredentialProvider] = []
        if let staticCredentials {
            providers.append(StaticCredentialProvider(credentials: staticCredentials))
        }
        providers.append(EnvironmentCredentialProvider(environment: environment))
        return CredentialChain(providers: providers)
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        var reasons: [String] = []
        for provider in providers {
            do {
                return try await provider.credentials(logger: logger)
            } catch let error as S3Error where error.code == .credentialsNotFound {
                reasons.append("\(type(of: provider)): \(error.message)")
            }
        }
        throw S3Error(
            code: .credentialsNotFound,
            message: "no AWS credentials found (\(reasons.joined(separator: "; "))); "
                + "set aws_key_id/aws_sec_key in the config or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment"
        )
    }
}
