import Foundation

/// `<web_identity_credentials>`: credentials from STS AssumeRoleWithWebIdentity, as fluent-plugin-s3.
public struct WebIdentityConfiguration: Sendable, Hashable {
    /// `role_arn` (required).
    public var roleARN: String
    /// `role_session_name` (required).
    public var roleSessionName: String
    /// `web_identity_token_file` (required): the OIDC token, read again at every refresh.
    public var webIdentityTokenFile: String
    /// `policy`: an inline session policy (JSON).
    public var policy: String?
    /// `duration_seconds`, 900 to 43200; when nil STS's default (3600) applies.
    public var durationSeconds: Int?
    /// `sts_region`; when nil the S3 region is used.
    public var stsRegion: String?
    /// `sts_endpoint_url` (Sluice, as in `<assume_role_credentials>`).
    public var stsEndpoint: URL?
    public var location: ConfigLocation

    public init(roleARN: String, roleSessionName: String, webIdentityTokenFile: String, location: ConfigLocation) {
        self.roleARN = roleARN
        self.roleSessionName = roleSessionName
        self.webIdentityTokenFile = webIdentityTokenFile
        self.location = location
    }

    static let parameters = [
        "role_arn", "role_session_name", "web_identity_token_file", "policy", "duration_seconds", "sts_region",
        "sts_endpoint_url",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        roleARN = reader.required("role_arn") ?? ""
        roleSessionName = reader.required("role_session_name") ?? ""
        webIdentityTokenFile = reader.required("web_identity_token_file") ?? ""
        location = element.location
        AssumeRoleConfiguration.checkRole(reader, roleARN: roleARN, sessionName: roleSessionName)
        durationSeconds = reader.integer("duration_seconds", in: 900...43200)
        policy = reader.string("policy")
        stsRegion = reader.string("sts_region")
        stsEndpoint = reader.read("sts_endpoint_url", expected: "an http or https URL", AssumeRoleConfiguration.httpURL)
    }
}
