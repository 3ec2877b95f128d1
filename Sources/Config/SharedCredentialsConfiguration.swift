/// `<shared_credentials>`: keys from a profile of the AWS shared credentials file, as fluent-plugin-s3.
public struct SharedCredentialsConfiguration: Sendable, Hashable {
    /// `path`: read only this file; when nil, `AWS_SHARED_CREDENTIALS_FILE` or
    /// `~/.aws/credentials`, then `AWS_CONFIG_FILE` or `~/.aws/config`.
    public var path: String?
    /// `profile_name`; when nil, `AWS_PROFILE`, else `default`.
    public var profileName: String?
    public var location: ConfigLocation

    public init(location: ConfigLocation) {
        self.location = location
    }

    static let parameters = ["path", "profile_name"]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        location = element.location
        path = reader.string("path")
        if let path, path.isEmpty { reader.badValue(reader.parameter("path")!, expected: "a file path") }
        profileName = reader.string("profile_name")
        if let profileName, profileName.isEmpty || profileName.contains(where: { $0 == "[" || $0 == "]" || $0.isNewline }) {
            reader.badValue(reader.parameter("profile_name")!, expected: "a profile name")
        }
    }
}
