import Foundation
import Logging

/// Keys from a profile of the shared credentials file, then of the config file, as the AWS SDK
/// for Ruby reads them (fluent-plugin-s3's `<shared_credentials>`).
///
/// - Files: `path` (only that file), else `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`,
///   then `AWS_CONFIG_FILE` or `~/.aws/config`.
/// - Profile: `profileName`, else `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
///
/// No file at all, or a `default` profile that is absent or has no keys, is `.credentialsNotFound`
/// (a chain moves on). A profile that was named but does not exist, or that has one key of the
/// pair without the other, is `.invalidCredentialSource`, naming the files and the profile.
/// The files are read at each call, so rotated keys are picked up.
public struct SharedCredentialsProvider: AWSCredentialProvider {
    private let path: String?
    private let profileName: String?
    private let environment: [String: String]

    public init(path: String? = nil, profileName: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.path = path
        self.profileName = profileName
        self.environment = environment
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let (profile, named) = resolvedProfile()
        let files = try candidateFiles()
        let present = files.compactMap { file -> (path: String, profiles: AWSProfileFile)? in
            guard let text = try? String(contentsOfFile: file.path, encoding: .utf8) else { return nil }
            return (file.path, AWSProfileFile(text: text, kind: file.kind))
        }
        let searched = files.map(\.path).joined(separator: " and ")
        guard !present.isEmpty else {
            throw S3Error(code: .credentialsNotFound, message: "no shared credentials file: \(searched) cannot be read")
        }
        for file in present {
            let keyID = file.profiles.value("aws_access_key_id", profile: profile)
            let secret = file.profiles.value("aws_secret_access_key", profile: profile)
            switch (keyID, secret) {
            case (let keyID?, let secret?):
                return AWSCredentials(
                    accessKeyID: keyID, secretAccessKey: secret,
                    sessionToken: file.profiles.value("aws_session_token", profile: profile)
                )
            case (_?, nil), (nil, _?):
                let missing = keyID == nil ? "aws_access_key_id" : "aws_secret_access_key"
                throw S3Error(
                    code: .invalidCredentialSource,
                    message: "profile '\(profile)' in \(file.path) has no \(missing); add it, or choose another profile"
                )
            case (nil, nil):
                continue
            }
        }
        let holding = present.filter { $0.profiles.profiles[profile] != nil }.map(\.path)
        guard named else {
            let detail = holding.isEmpty ? "has no profile 'default'" : "has no aws_access_key_id/aws_secret_access_key in profile 'default'"
            throw S3Error(code: .credentialsNotFound, message: "\(present.map(\.path).joined(separator: " and ")) \(detail)")
        }
        if holding.isEmpty {
            let known = Set(present.flatMap { $0.profiles.profiles.keys }).sorted()
            throw S3Error(
                code: .invalidCredentialSource,
                message: "profile '\(profile)' (\(namedBy)) is not in \(present.map(\.path).joined(separator: " or ")); "
                    + (known.isEmpty ? "they have no profiles" : "profiles there: \(known.joined(separator: ", "))")
            )
        }
        throw S3Error(
            code: .invalidCredentialSource,
            message: "profile '\(profile)' in \(holding.joined(separator: " and ")) has no aws_access_key_id/aws_secret_access_key; "
                + "Sluice reads keys only (not role_arn, sso_* or credential_process profiles)"
        )
    }

    /// The profile, and whether the user named it (rather than falling back to `default`).
    private func resolvedProfile() -> (String, named: Bool) {
        if let profileName, !profileName.isEmpty { return (profileName, true) }
        for variable in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
            if let value = environment[variable], !value.isEmpty { return (value, true) }
        }
        return ("default", false)
    }

    private var namedBy: String {
        if let profileName, !profileName.isEmpty { return "profile_name" }
        if let value = environment["AWS_PROFILE"], !value.isEmpty { return "AWS_PROFILE" }
        return "AWS_DEFAULT_PROFILE"
    }

    private func candidateFiles() throws -> [(path: String, kind: AWSProfileFile.Kind)] {
        if let path, !path.isEmpty { return [(try expand(path), .credentials)] }
        func file(_ variable: String, _ fallback: String) throws -> String {
            if let value = environment[variable], !value.isEmpty { return try expand(value) }
            return try expand(fallback)
        }
        return [
            (try file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), .credentials),
            (try file("AWS_CONFIG_FILE", "~/.aws/config"), .config),
        ]
    }

    /// `~/` from `HOME` of the given environment, so tests never read the real home directory.
    private func expand(_ path: String) throws -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw S3Error(code: .credentialsNotFound, message: "HOME is not set, so \(path) cannot be found")
        }
        return home + path.dropFirst()
    }
}
