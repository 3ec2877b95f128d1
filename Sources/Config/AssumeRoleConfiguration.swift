import Foundation

/// `<assume_role_credentials>`: credentials from STS AssumeRole, as fluent-plugin-s3.
public struct AssumeRoleConfiguration: Sendable, Hashable {
    /// `role_arn` (required).
    public var roleARN: String
    /// `role_session_name` (required); often `"#{Socket.gethostname}"`.
    public var roleSessionName: String
    /// `duration_seconds`; default 3600, from 900 to 43200.
    public var durationSeconds: Int = 3600
    public var externalID: String?
    /// `policy`: an inline session policy (JSON).
    public var policy: String?
    /// `sts_region`; when nil the S3 region is used.
    public var stsRegion: String?
    /// `sts_endpoint_url`.
    public var stsEndpoint: URL?
    public var location: ConfigLocation

    public init(roleARN: String, roleSessionName: String, location: ConfigLocation) {
        self.roleARN = roleARN
        self.roleSessionName = roleSessionName
        self.location = location
    }

    static let parameters = [
        "role_arn", "role_session_name", "duration_seconds", "external_id", "policy", "sts_region",
        "sts_endpoint_url",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        roleARN = reader.required("role_arn") ?? ""
        roleSessionName = reader.required("role_session_name") ?? ""
        location = element.location
        Self.checkRole(reader, roleARN: roleARN, sessionName: roleSessionName)
        if let value = reader.integer("duration_seconds", in: 900...43200) { durationSeconds = value }
        externalID = reader.string("external_id")
        policy = reader.string("policy")
        stsRegion = reader.string("sts_region")
        stsEndpoint = reader.read("sts_endpoint_url", expected: "an http or https URL", Self.httpURL)
    }

    /// An ARN, and a session name STS accepts; shared with `<web_identity_credentials>`.
    static func checkRole(_ reader: SectionReader, roleARN: String, sessionName: String) {
        if !roleARN.isEmpty, !roleARN.hasPrefix("arn:") {
            reader.badValue(reader.parameter("role_arn")!, expected: "an ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        }
        // STS refuses other names; saying so here beats a 400 at the first upload.
        if !sessionName.isEmpty,
            !(2...64).contains(sessionName.count)
                || !sessionName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) })
        {
            reader.badValue(
                reader.parameter("role_session_name")!,
                expected: "2 to 64 characters of letters, digits and +=,.@_-"
            )
        }
    }

    static func httpURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }
}
