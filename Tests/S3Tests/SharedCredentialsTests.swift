import AsyncHTTPClient
import Foundation
import Logging
@testable import S3
import Testing

/// The shared credentials and config files, written to a temporary home directory.
@Suite("Shared credentials file")
struct SharedCredentialsTests {
    let logger = Logger(label: "SharedCredentialsTests")

    /// A temporary `HOME` with `.aws/credentials` and `.aws/config` as given (nil: no file).
    final class Home {
        let path: String
        init(credentials: String?, config: String? = nil) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-home-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
            if let credentials { try credentials.write(toFile: path + "/.aws/credentials", atomically: true, encoding: .utf8) }
            if let config { try config.write(toFile: path + "/.aws/config", atomically: true, encoding: .utf8) }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// `HOME` and no instance metadata service, plus `extra`.
        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            ["HOME": path, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
        }
    }

    static let credentialsFile = """
        # written by aws configure
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default/secret+key

        [ci]   ; the CI user
        AWS_ACCESS_KEY_ID=AKIDCI
          aws_secret_access_key  =  ci-secret   ; rotated monthly
        aws_session_token = ci-token
        [half]
        aws_access_key_id = AKIDHALF
        [Case]
        aws_access_key_id = AKIDCASE
        aws_secret_access_key = case-secret
        """

    static let configFile = """
        [default]
        region = eu-west-1
        [profile from-config]
        aws_access_key_id = AKIDCONFIG
        aws_secret_access_key = config-secret
        s3 =
          max_concurrent_requests = 20
          aws_access_key_id = AKIDNESTED
        [from-config-without-prefix]
        aws_access_key_id = AKIDIGNORED
        aws_secret_access_key = ignored
        [profile role-only]
        role_arn = arn:aws:iam::123456789012:role/r
        source_profile = default
        """

    @Test("profile selection", arguments: [
        // (profile_name, AWS_PROFILE, key id, secret, token)
        (nil, nil, "AKIDDEFAULT", "default/secret+key", nil),
        (nil, "ci", "AKIDCI", "ci-secret", "ci-token"),
        ("ci", "Case", "AKIDCI", "ci-secret", "ci-token"),
        ("Case", nil, "AKIDCASE", "case-secret", nil),
        ("from-config", nil, "AKIDCONFIG", "config-secret", nil),
    ] as [(String?, String?, String, String, String?)])
    func selection(_ profileName: String?, _ awsProfile: String?, _ keyID: String, _ secret: String, _ token: String?) async throws {
        let home = try Home(credentials: Self.credentialsFile, config: Self.configFile)
        let environment = home.environment(awsProfile.map { ["AWS_PROFILE": $0] } ?? [:])
        let credentials = try await SharedCredentialsProvider(profileName: profileName, environment: environment).credentials(logger: logger)
        #expect(credentials == AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token))
    }

    @Test("AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE and path replace the default files")
    func filesFromEnvironment() async throws {
        let home = try Home(credentials: Self.credentialsFile, config: Self.configFile)
        let other = try Home(credentials: "[default]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=other\n", config: "[profile x]\naws_access_key_id=AKIDX\naws_secret_access_key=x\n")
        let environment = home.environment([
            "AWS_SHARED_CREDENTIALS_FILE": other.path + "/.aws/credentials", "AWS_CONFIG_FILE": other.path + "/.aws/config",
        ])
        #expect(try await SharedCredentialsProvider(environment: environment).credentials(logger: logger).accessKeyID == "AKIDOTHER")
        #expect(try await SharedCredentialsProvider(profileName: "x", environment: environment).credentials(logger: logger).accessKeyID == "AKIDX")
        // `path` reads only that file, as the Ruby SDK's SharedCredentials(path:).
        let onlyPath = SharedCredentialsProvider(path: home.path + "/.aws/credentials", profileName: "from-config", environment: environment)
        let error = try await #require(throws: S3Error.self) { _ = try await onlyPath.credentials(logger: logger) }
        #expect(error.code == .invalidCredentialSource)
        // `~/` in path is the given HOME's.
        #expect(try await SharedCredentialsProvider(path: "~/.aws/credentials", profileName: "ci", environment: environment).credentials(logger: logger).accessKeyID == "AKIDCI")
    }

    @Test("a named profile that does not exist is an error naming the files and the profile", arguments: [
        ("missing", nil), (nil, "missing"), ("ci ", nil), ("from-config-without-prefix", nil),
    ] as [(String?, String?)])
    func missingNamedProfile(_ profileName: String?, _ awsProfile: String?) async throws {
        let home = try Home(credentials: Self.credentialsFile, config: Self.configFile)
        let environment = home.environment(awsProfile.map { ["AWS_PROFILE": $0] } ?? [:])
        let error = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(profileName: profileName, environment: environment).credentials(logger: logger)
        }
        let name = profileName ?? awsProfile!
        #expect(error.code == .invalidCredentialSource)
        #expect(error.message.contains("profile '\(name)'"))
        #expect(error.message.contains(profileName == nil ? "AWS_PROFILE" : "profile_name"))
        #expect(error.message.contains(home.path + "/.aws/credentials"))
        #expect(error.message.contains(home.path + "/.aws/config"))
        #expect(error.message.contains("ci, default, from-config, half"))
        #expect(!error.message.contains("secret"))
    }

    @Test("a profile with half a key pair, or no keys, is an error naming file and profile")
    func incompleteProfiles() async throws {
        let home = try Home(credentials: Self.credentialsFile, config: Self.configFile)
        let half = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(profileName: "half", environment: home.environment()).credentials(logger: logger)
        }
        #expect(half.code == .invalidCredentialSource)
        #expect(half.message == "profile 'half' in \(home.path)/.aws/credentials has no aws_secret_access_key; add it, or choose another profile")
        let roleOnly = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(environment: home.environment(["AWS_PROFILE": "role-only"])).credentials(logger: logger)
        }
        #expect(roleOnly.code == .invalidCredentialSource)
        #expect(roleOnly.message.contains("role_arn"))
        #expect(roleOnly.message.contains("\(home.path)/.aws/config"))
    }

    @Test("no file, or no default profile, is not found: the chain moves on")
    func notFound() async throws {
        let empty = try Home(credentials: nil)
        let error = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(environment: empty.environment()).credentials(logger: logger)
        }
        #expect(error.code == .credentialsNotFound)
        #expect(error.message.contains(empty.path + "/.aws/credentials"))
        // A config file with only a region in [default] is common and means "no keys here".
        let regionOnly = try Home(credentials: nil, config: "[default]\nregion = us-west-2\n")
        let noKeys = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(environment: regionOnly.environment()).credentials(logger: logger)
        }
        #expect(noKeys.code == .credentialsNotFound)
        // No HOME and no variables: nothing to read, and the real home directory is not used.
        let noHome = try await #require(throws: S3Error.self) {
            _ = try await SharedCredentialsProvider(environment: [:]).credentials(logger: logger)
        }
        #expect(noHome.code == .credentialsNotFound)
    }

    @Test("the file is read at each call, so rotated keys are used")
    func rotation() async throws {
        let home = try Home(credentials: "[default]\naws_access_key_id=AKIDOLD\naws_secret_access_key=old\n")
        let provider = SharedCredentialsProvider(environment: home.environment())
        #expect(try await provider.credentials(logger: logger).accessKeyID == "AKIDOLD")
        try "[default]\naws_access_key_id=AKIDNEW\naws_secret_access_key=new\n".write(toFile: home.path + "/.aws/credentials", atomically: true, encoding: .utf8)
        #expect(try await provider.credentials(logger: logger).accessKeyID == "AKIDNEW")
    }

    @Test("INI details: comments, whitespace, case, sub-sections, duplicates")
    func iniReader() {
        let file = AWSProfileFile(text: """
            ; leading comment
            [a] # trailing comment
            Key_One = one#not-a-comment
            key_two=two ; a comment
            \tkey_three =\tthree\t
            empty =
            [a]
            key_one = replaced
            [broken
            stray = x
            """, kind: .credentials)
        #expect(file.value("key_one", profile: "a") == "replaced")
        #expect(file.value("key_two", profile: "a") == "two")
        #expect(file.value("key_three", profile: "a") == "three")
        #expect(file.value("empty", profile: "a") == nil)
        #expect(file.value("stray", profile: "a") == nil)
        #expect(file.profiles.keys.sorted() == ["a"])
        let config = AWSProfileFile(text: "[profile  spaced ]\nk = v\n[default]\nk = d\n[profile default]\nj = e\n[sso-session s]\nk = s\n", kind: .config)
        #expect(config.value("k", profile: "spaced") == "v")
        #expect(config.value("k", profile: "default") == "d")
        #expect(config.value("j", profile: "default") == "e")
        #expect(config.profiles.keys.sorted() == ["default", "spaced"])
    }

    @Test("default chain: static > environment > web identity > shared file > instance metadata")
    func chainPrecedence() async throws {
        let home = try Home(credentials: Self.credentialsFile)
        let environmentKeys = ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]
        func chain(_ configured: AWSCredentials?, _ extra: [String: String]) throws -> CredentialChain {
            try CredentialChain.standard(
                staticCredentials: configured, environment: home.environment(extra), region: "us-east-1", httpClient: HTTPClient.shared
            )
        }
        let configured = AWSCredentials(accessKeyID: "AKIDSTATIC", secretAccessKey: "s")
        #expect(try await chain(configured, environmentKeys).credentials(logger: logger).accessKeyID == "AKIDSTATIC")
        #expect(try await chain(nil, environmentKeys).credentials(logger: logger).accessKeyID == "AKIDENV")
        #expect(try await chain(nil, [:]).credentials(logger: logger).accessKeyID == "AKIDDEFAULT")
        #expect(try await chain(nil, ["AWS_PROFILE": "ci"]).credentials(logger: logger).accessKeyID == "AKIDCI")
        // A named profile that is missing stops the chain instead of falling through to IMDS.
        let error = try await #require(throws: S3Error.self) {
            _ = try await chain(nil, ["AWS_PROFILE": "nope"]).credentials(logger: logger)
        }
        #expect(error.code == .invalidCredentialSource)
        // Web identity from the environment comes before the shared file (the Ruby SDK's order):
        // a token file that cannot be read is its error, not the file's keys.
        let webError = try await #require(throws: S3Error.self) {
            _ = try await chain(nil, [
                "AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/no-token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
            ]).credentials(logger: logger)
        }
        #expect(webError.code == .invalidCredentialSource)
        #expect(webError.message.contains("no-token"))
    }
}
