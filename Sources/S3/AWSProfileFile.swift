/// The AWS shared credentials and config files (`~/.aws/credentials`, `~/.aws/config`), read
/// the way the AWS SDKs and CLI read them:
///
/// ```
/// # a comment          ; also a comment
/// [default]            ; in the config file also [profile default]
/// aws_access_key_id = AKID
/// AWS_Secret_Access_Key=secret     keys are case-insensitive, names and values trimmed
/// s3 =                 a sub-section: the indented lines after it are its keys, not the profile's
///   max_concurrent_requests = 20
/// [profile ci]         config file: profile "ci"; credentials file: [ci]
/// ```
///
/// A `#` or `;` starts a comment at the start of a line, after a section header, or after
/// whitespace in a value (`key = value ; note`). Profile names are case-sensitive. A profile
/// given twice is merged, the later key winning.
struct AWSProfileFile: Sendable, Equatable {
    enum Kind: Sendable {
        /// `[name]`.
        case credentials
        /// `[profile name]`, and `[default]` for the default profile.
        case config
    }

    /// Profile name → lower-cased key → value.
    private(set) var profiles: [String: [String: String]] = [:]

    init(text: String, kind: Kind) {
        var current: String?
        var inSubsection = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = Self.stripComment(rawLine)
            let trimmed = line.trimmingWhitespace()
            guard !trimmed.isEmpty else { continue }
            if trimmed.hasPrefix("[") {
                inSubsection = false
                guard trimmed.hasSuffix("]") else {
                    current = nil  // a malformed header: ignore its keys rather than give them to the previous profile
                    continue
                }
                current = Self.profileName(header: trimmed.dropFirst().dropLast().trimmingWhitespace(), kind: kind)
                if let current, profiles[current] == nil { profiles[current] = [:] }
                continue
            }
            let indented = line.first?.isWhitespace ?? false
            if indented && inSubsection { continue }
            guard let profile = current, let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingWhitespace().lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingWhitespace()
            guard !key.isEmpty else { continue }
            inSubsection = value.isEmpty
            if !value.isEmpty { profiles[profile, default: [:]][key] = value }
        }
    }

    /// The profile's value for `key` (lower case), nil when absent or empty.
    func value(_ key: String, profile: String) -> String? {
        profiles[profile]?[key]
    }

    /// `[default]`, `[name]` or, in the config file, `[profile name]`; nil for headers that name
    /// no profile (`[sso-session x]`, `[services x]`, or `[name]` in the config file).
    private static func profileName(header: String, kind: Kind) -> String? {
        switch kind {
        case .credentials:
            return header.isEmpty ? nil : header
        case .config:
            if header == "default" { return header }
            let words = header.split(maxSplits: 1, whereSeparator: \.isWhitespace)
            guard words.count == 2, words[0] == "profile" else { return nil }
            let name = words[1].trimmingWhitespace()
            return name.isEmpty ? nil : name
        }
    }

    /// The line without its comment: `#`/`;` at its start, after a `]`, or after whitespace.
    private static func stripComment(_ line: Substring) -> Substring {
        var previous: Character = " "
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "#" || character == ";",
               previous.isWhitespace || previous == "]" || index == line.startIndex {
                return line[..<index]
            }
            previous = character
            index = line.index(after: index)
        }
        return line
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
