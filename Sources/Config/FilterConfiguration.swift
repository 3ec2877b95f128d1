import Foundation

/// `<filter PATTERN...>`: a step records whose tag matches go through before their `<match>`.
public struct FilterConfiguration: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case grep(GrepFilter)
        case recordTransformer(RecordTransformer)
        /// Fluentd's filter_stdout: prints each record and passes it on.
        case stdout
    }

    public var patterns: [TagPattern]
    public var kind: Kind
    public var id: String?
    public var location: ConfigLocation

    public func matches(_ tag: String) -> Bool {
        patterns.contains { $0.matches(tag) }
    }

    static let types = ["grep", "record_transformer", "stdout"]

    init?(validating element: ConfigElement, log: ProblemLog) {
        let before = log.problems.count
        location = element.location
        patterns = TagPattern.patterns(of: element, log: log)
        id = element.parameters.last { $0.name == "@id" }?.value
        let type = element.parameters.last { $0.name == "@type" }?.value
        switch type {
        case "grep":
            kind = .grep(GrepFilter(validating: element, log: log))
        case "record_transformer":
            kind = .recordTransformer(RecordTransformer(validating: element, log: log))
        case "stdout":
            let reader = SectionReader(element, known: ["@type", "@id", "@log_level", "output_type"], sections: ["format", "inject"], log: log)
            _ = reader.section("format").map { FormatConfiguration(validating: $0, log: log) }
            kind = .stdout
        default:
            PluginSupport.reportUnsupported(element, directive: "filter", type: type, known: Self.types, log: log)
            return nil
        }
        if log.problems.count > before { return nil }
    }
}

/// Fluentd's filter_grep, reduced as Fluentd reduces it to four lists of conditions.
public struct GrepFilter: Sendable, Hashable {
    /// `key` and `pattern`: the record's value under `key` (empty when absent, as in Fluentd) against
    /// the pattern, an ICU regular expression (`/.../i` gives flags).
    public struct Condition: Sendable, Hashable {
        public var key: String
        public var pattern: String
        public var caseInsensitive: Bool

        public init(key: String, pattern: String, caseInsensitive: Bool = false) {
            self.key = key
            self.pattern = pattern
            self.caseInsensitive = caseInsensitive
        }

        /// The compiled expression.
        public func regularExpression() throws -> NSRegularExpression {
            try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        }
    }

    /// Top-level `<regexp>`s and `<and>`'s: every one must match.
    public var regexpAll: [Condition] = []
    /// `<or>`'s `<regexp>`s: at least one must match.
    public var regexpAny: [Condition] = []
    /// `<and>`'s `<exclude>`s: the record is dropped when every one matches.
    public var excludeAll: [Condition] = []
    /// Top-level `<exclude>`s and `<or>`'s: the record is dropped when any matches.
    public var excludeAny: [Condition] = []

    public init() {}

    /// Whether a record passes; `value` reads a field of it.
    public func keeps(_ value: (String) -> String?, matching: (Condition, String) -> Bool) -> Bool {
        func test(_ condition: Condition) -> Bool { matching(condition, value(condition.key) ?? "") }
        if regexpAll.contains(where: { !test($0) }) { return false }
        if !regexpAny.isEmpty, !regexpAny.contains(where: test) { return false }
        if !excludeAll.isEmpty, excludeAll.allSatisfy(test) { return false }
        if excludeAny.contains(where: test) { return false }
        return true
    }

    init(validating element: ConfigElement, log: ProblemLog) {
        let numbered = (1...20).flatMap { ["regexp\($0)", "exclude\($0)"] }
        let reader = SectionReader(
            element, known: ["@type", "@id", "@log_level"] + numbered, sections: [], log: log, multiple: ["regexp", "exclude", "and", "or"])
        for name in numbered {
            guard let parameter = reader.parameter(name) else { continue }
            let parts = parameter.value.split(separator: " ", maxSplits: 1).map(String.init)
            // Fluentd compiles regexpN's pattern as written: slashes there are literal characters.
            guard parts.count == 2,
                let condition = Self.condition(key: parts[0], pattern: parts[1], at: parameter.location, log: log, slashesDelimit: false)
            else {
                if parts.count != 2 { reader.badValue(parameter, expected: "a key and a pattern, separated by a space") }
                continue
            }
            if name.hasPrefix("regexp") { regexpAll.append(condition) } else { excludeAny.append(condition) }
        }
        for child in element.elements {
            switch child.name {
            case "regexp": condition(child, log: log).map { regexpAll.append($0) }
            case "exclude": condition(child, log: log).map { excludeAny.append($0) }
            case "and", "or":
                let group = SectionReader(child, known: [], sections: [], log: log, multiple: ["regexp", "exclude"])
                let regexps = child.elements.filter { $0.name == "regexp" }.compactMap { condition($0, log: log) }
                let excludes = child.elements.filter { $0.name == "exclude" }.compactMap { condition($0, log: log) }
                if !regexps.isEmpty, !excludes.isEmpty {
                    log.error(
                        .conflictingSettings, at: child.location, word: child.name,
                        "<\(child.name)> holds both <regexp> and <exclude>; Fluentd refuses this too: put them in two <\(child.name)>s"
                    )
                }
                _ = group
                if child.name == "and" {
                    regexpAll += regexps
                    excludeAll += excludes
                } else {
                    regexpAny += regexps
                    excludeAny += excludes
                }
            default: break
            }
        }
    }

    private func condition(_ element: ConfigElement, log: ProblemLog) -> Condition? {
        let reader = SectionReader(element, known: ["key", "pattern"], log: log)
        guard let key = reader.required("key"), let pattern = reader.required("pattern") else { return nil }
        return Self.condition(key: key, pattern: pattern, at: reader.parameter("pattern")!.location, log: log)
    }

    /// Fluentd's `regexp` type: `/source/flags` or the bare source.
    static func condition(
        key: String, pattern: String, at location: ConfigLocation, log: ProblemLog, slashesDelimit: Bool = true
    ) -> Condition? {
        var source = pattern
        var insensitive = false
        if slashesDelimit, pattern.count >= 2, pattern.hasPrefix("/"), let close = pattern.lastIndex(of: "/"), close != pattern.startIndex {
            let flags = pattern[pattern.index(after: close)...]
            if flags.allSatisfy({ "imx".contains($0) }) {
                source = String(pattern[pattern.index(after: pattern.startIndex)..<close])
                insensitive = flags.contains("i")
            }
        }
        let condition = Condition(key: key.hasPrefix("$.") ? String(key.dropFirst(2)) : key, pattern: source, caseInsensitive: insensitive)
        do {
            _ = try condition.regularExpression()
        } catch {
            log.error(.badValue, at: location, word: pattern, "bad regular expression '\(pattern)' for key '\(key)'")
            return nil
        }
        return condition
    }
}

/// Fluentd's filter_record_transformer without Ruby: `<record>` fields from placeholders.
public struct RecordTransformer: Sendable, Hashable {
    /// `<record>`: name and template, in order. Templates hold `${tag}`, `${tag_parts[N]}`,
    /// `${tag_prefix[N]}`, `${tag_suffix[N]}`, `${hostname}`, `${time}`, `${record["key"]}` and `${key}`.
    public var fields: [KeyValue] = []
    /// `remove_keys`: fields taken out after the record is built.
    public var removeKeys: [String] = []
    /// `keep_keys`: with `renew_record`, fields kept from the original.
    public var keepKeys: [String] = []
    /// `renew_record`: start from an empty record.
    public var renewRecord = false
    /// `auto_typecast`: Fluentd keeps a single placeholder's value type; every syslog value is a string.
    public var autoTypecast = false
    /// The collector's name for `${hostname}`.
    public var hostname: String?

    public init() {}

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(
            element,
            known: ["@type", "@id", "@log_level", "remove_keys", "keep_keys", "renew_record", "renew_time_key", "enable_ruby", "auto_typecast"],
            sections: ["record"], log: log)
        if let section = reader.section("record") {
            fields = section.parameters.map { KeyValue(name: $0.name, value: $0.value) }
            for child in section.elements {
                log.error(.unknownSection, at: child.location, word: child.name, "<record> takes fields, not sections such as <\(child.name)>")
            }
        }
        let list = { (name: String) in
            reader.string(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        }
        removeKeys = list("remove_keys")
        keepKeys = list("keep_keys")
        if let value = reader.bool("renew_record") { renewRecord = value }
        if let value = reader.bool("auto_typecast") { autoTypecast = value }
        if !keepKeys.isEmpty, !renewRecord {
            log.error(.conflictingSettings, at: reader.parameter("keep_keys")!.location, word: "keep_keys", "'keep_keys' needs 'renew_record true', as in Fluentd")
        }
        if let parameter = reader.parameter("renew_time_key") {
            log.error(
                .unsupportedParameter, at: parameter.location, word: parameter.name,
                "'renew_time_key' is not supported: a record's time is its syslog stamp"
            )
        }
        if reader.bool("enable_ruby") == true {
            log.error(
                .unsupportedParameter, at: reader.parameter("enable_ruby")!.location, word: "enable_ruby",
                "'enable_ruby true' asks for Ruby in placeholders, which Sluice does not run; use ${tag}, ${tag_parts[N]}, ${hostname}, ${time}, ${record[\"key\"]}"
            )
        }
        for field in fields where field.value.contains("${") {
            if let unknown = Self.unknownPlaceholder(in: field.value) {
                // Fluentd runs such a configuration, writing null (or "" inside longer text) for it.
                log.warn(
                    .noEffect, at: section(element)?.location ?? element.location, word: unknown,
                    "placeholder '\(unknown)' in <record> \(field.name) is not one Fluentd expands without Ruby: the field is written "
                        + "as null (or \"\" inside longer text), as Fluentd writes it; use ${record[\"key\"]} for a field's value"
                )
            }
        }
    }

    private func section(_ element: ConfigElement) -> ConfigElement? {
        element.elements.first { $0.name == "record" }
    }

    /// `key` of `record["key"]` or `record['key']`.
    public static func recordKey(in name: String) -> String? {
        for (open, close) in [("record[\"", "\"]"), ("record['", "']")] where name.hasPrefix(open) && name.hasSuffix(close) {
            let key = name.dropFirst(open.count).dropLast(close.count)
            return key.isEmpty || key.contains("[") ? nil : String(key)
        }
        return nil
    }

    /// The first placeholder that is neither a known name nor a plain field name.
    static func unknownPlaceholder(in template: String) -> String? {
        var rest = Substring(template)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { return String(rest[start.lowerBound...]) }
            let name = String(rest[start.upperBound..<end])
            if !isKnownPlaceholder(name) { return "${\(name)}" }
            rest = rest[rest.index(after: end)...]
        }
        return nil
    }

    static func isKnownPlaceholder(_ name: String) -> Bool {
        if ["tag", "hostname", "time"].contains(name) { return true }
        for prefix in ["tag_parts[", "tag_prefix[", "tag_suffix["] where name.hasPrefix(prefix) && name.hasSuffix("]") {
            return Int(name.dropFirst(prefix.count).dropLast()) != nil
        }
        return recordKey(in: name) != nil
    }
}
