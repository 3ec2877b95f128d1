/// `<match PATTERN...>`: where records whose tag matches go.
public struct MatchConfiguration: Sendable, Hashable {
    /// The section's space-separated patterns; `<match>` alone means `**`, as in Fluentd.
    public var patterns: [TagPattern]
    public var output: OutputConfiguration
    public var location: ConfigLocation

    public init(patterns: [TagPattern], output: OutputConfiguration, location: ConfigLocation) {
        self.patterns = patterns
        self.output = output
        self.location = location
    }

    /// Whether any of the patterns matches `tag`.
    public func matches(_ tag: String) -> Bool {
        patterns.contains { $0.matches(tag) }
    }

    static let outputTypes = ["s3", "stdout", "null"]

    init?(validating element: ConfigElement, log: ProblemLog) {
        let before = log.problems.count
        location = element.location
        let words = element.argument.split(whereSeparator: \.isWhitespace).map(String.init)
        patterns = []
        for word in words.isEmpty ? ["**"] : words {
            do {
                patterns.append(try TagPattern(word))
            } catch {
                log.error(.badValue, at: element.location, word: word, "bad tag pattern in <match>: \(error)")
            }
        }
        output = .null
        let type = element.parameters.last { $0.name == "@type" }?.value
        switch type {
        case "s3":
            output = .s3(S3OutputConfiguration(validating: element, log: log))
        case "stdout", "null":
            // Both take only @id and @log_level (and a <format> for stdout, as in Fluentd).
            let reader = SectionReader(
                element, known: ["@type", "@id", "@log_level"], sections: type == "stdout" ? ["format"] : [], log: log
            )
            _ = reader.choice("@log_level", SystemConfiguration.LogLevel.self)
            if let section = reader.section("format") { _ = FormatConfiguration(validating: section, log: log) }
            output = type == "stdout" ? .stdout : .null
        default:
            // Only the type is reported: the parameters belong to a plugin Sluice does not know.
            let reader = SectionReader(
                element, known: element.parameters.map(\.name), sections: element.elements.map(\.name), log: log
            )
            _ = reader.type(known: Self.outputTypes)
        }
        if log.problems.count > before { return nil }
    }
}

/// The output of a `<match>`, by `@type`.
public enum OutputConfiguration: Sendable, Hashable {
    case s3(S3OutputConfiguration)
    /// Fluentd's out_stdout: records to standard output, for trying a configuration.
    case stdout
    /// Fluentd's out_null: records are dropped.
    case null
}

/// `<format>`: how records are written.
public struct FormatConfiguration: Sendable, Hashable {
    public enum FormatType: String, Sendable, Hashable, CaseIterable { case json }

    /// `@type`; default json (out_s3's own default, out_file, is not supported).
    public var type: FormatType = .json

    public init(type: FormatType = .json) {
        self.type = type
    }

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: ["@type"], log: log)
        if let value = reader.type(known: FormatType.allCases.map(\.rawValue), default: "json") {
            type = FormatType(rawValue: value) ?? .json
        }
    }
}
