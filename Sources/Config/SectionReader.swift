/// Reads one section's parameters against the names it takes, reporting
/// unknown and duplicate names once, up front, and bad values as they are read.
struct SectionReader {
    let element: ConfigElement
    let log: ProblemLog
    private var parameters: [String: ConfigParameter] = [:]
    private var sections: [String: ConfigElement] = [:]

    /// - Parameters:
    ///   - known: parameter names the section takes, `@type` included where it has one.
    ///   - sections: names of nested sections it takes, each at most once.
    ///   - multiple: names of nested sections it takes any number of times (read from `element.elements`).
    init(_ element: ConfigElement, known: [String], sections singleSections: [String] = [], log: ProblemLog, multiple: [String] = []) {
        let knownSections = singleSections + multiple
        self.element = element
        self.log = log
        for parameter in element.parameters {
            guard known.contains(parameter.name) else {
                if Self.outputAndFormatParameters.contains(parameter.name) {
                    // A parameter of another output, buffer or formatter: Fluentd runs the file and warns
                    // that it is not used; so does Sluice. Anything else is more likely a typo.
                    log.warn(
                        .unusedParameter, at: parameter.location, word: parameter.name,
                        "parameter '\(parameter.name)' in \(element.displayName) is not used: it belongs to other Fluentd plugins (Fluentd ignores it too)"
                    )
                    continue
                }
                log.error(
                    .unknownParameter, at: parameter.location, word: parameter.name,
                    "unknown parameter '\(parameter.name)' in \(element.displayName)"
                        + Self.suggestion(for: parameter.name, among: known)
                )
                continue
            }
            if let first = parameters[parameter.name] {
                // Fluentd keeps the last; say so, since the first may be the one meant.
                log.warn(
                    .duplicateParameterReplaced, at: first.location, word: parameter.name,
                    "'\(parameter.name)' is set again in \(element.displayName) at \(parameter.location); "
                        + "the later value '\(parameter.value)' is used, as in Fluentd"
                )
            }
            parameters[parameter.name] = parameter
        }
        for child in element.elements {
            guard knownSections.contains(child.name) else {
                let takes = knownSections.isEmpty
                    ? "it takes none"
                    : "it takes " + knownSections.map { "<\($0)>" }.joined(separator: ", ")
                log.error(
                    .unknownSection, at: child.location, word: child.name,
                    "unknown section <\(child.name)> in \(element.displayName); \(takes)"
                        + Self.suggestion(for: child.name, among: knownSections)
                )
                continue
            }
            if multiple.contains(child.name) { continue }
            if let first = sections[child.name] {
                log.error(
                    .duplicateSection, at: child.location, word: child.name,
                    "<\(child.name)> is already given in \(element.displayName) at \(first.location); keep one"
                )
                continue
            }
            sections[child.name] = child
        }
    }

    /// Names Fluentd's outputs, buffers and formatters take, which real files leave on other outputs.
    static let outputAndFormatParameters: Set<String> = Set(
        S3OutputConfiguration.parameters + FileOutputConfiguration.parameters + BufferConfiguration.parameters
            + FormatConfiguration.parameters + InjectConfiguration.parameters
            + Compatibility.bufferParameters.map(\.0) + Compatibility.formatParameters.map(\.0)
            + Compatibility.injectParameters.map(\.0)
    ).subtracting(["@type", "@id", "@log_level", "path"])

    func section(_ name: String) -> ConfigElement? { sections[name] }

    func parameter(_ name: String) -> ConfigParameter? { parameters[name] }

    func string(_ name: String) -> String? { parameters[name]?.value }

    /// The value of a required parameter, reported at the section's opening line when absent or empty.
    func required(_ name: String) -> String? {
        guard let parameter = parameters[name] else {
            log.error(
                .missingParameter, at: element.location, word: name,
                "\(element.displayName) needs '\(name)'"
            )
            return nil
        }
        guard !parameter.value.isEmpty else {
            badValue(parameter, expected: "a value")
            return nil
        }
        return parameter.value
    }

    /// `@type`, checked against the types Sluice implements.
    func type(known: [String], default defaultType: String? = nil) -> String? {
        guard let parameter = parameters["@type"] else {
            if let defaultType { return defaultType }
            log.error(
                .missingParameter, at: element.location, word: "@type",
                "\(element.displayName) needs '@type' (\(known.joined(separator: ", ")))"
            )
            return nil
        }
        guard known.contains(parameter.value) else {
            log.error(
                .unknownType, at: parameter.location, word: parameter.value,
                "unknown @type '\(parameter.value)' in \(element.displayName); Sluice supports "
                    + known.joined(separator: ", ") + Self.suggestion(for: parameter.value, among: known)
            )
            return nil
        }
        return parameter.value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        read(name, expected: "an integer from \(range.lowerBound) to \(range.upperBound)") {
            ConfigValue.integer($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    func size(_ name: String, in range: ClosedRange<Int>) -> Int? {
        read(name, expected: "a size from \(range.lowerBound) to \(range.upperBound) bytes (like 8192, 10k, 256m, 1g)") {
            ConfigValue.size($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    func duration(_ name: String, atLeast minimum: Duration = .zero) -> Duration? {
        read(name, expected: "a time (like 30s, 60m, 1h, 1d or seconds)") {
            ConfigValue.time($0).flatMap { $0 >= minimum ? $0 : nil }
        }
    }

    func bool(_ name: String) -> Bool? {
        read(name, expected: "true or false") { ConfigValue.bool($0) }
    }

    func utcOffset(_ name: String) -> Int? {
        read(name, expected: "a UTC offset (like +09:00, -0500 or UTC)") { ConfigValue.utcOffset($0) }
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _: Choice.Type = Choice.self) -> Choice?
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        return read(name, expected: "one of " + names.joined(separator: ", ")) { Choice(rawValue: $0) }
    }

    func oneOf(_ name: String, _ allowed: [String]) -> String? {
        read(name, expected: "one of " + allowed.joined(separator: ", ")) { allowed.contains($0) ? $0 : nil }
    }

    func read<Value>(_ name: String, expected: String, _ convert: (String) -> Value?) -> Value? {
        guard let parameter = parameters[name] else { return nil }
        guard let value = convert(parameter.value) else {
            badValue(parameter, expected: expected)
            return nil
        }
        return value
    }

    func badValue(_ parameter: ConfigParameter, expected: String) {
        log.error(
            .badValue, at: parameter.location, word: parameter.value,
            "bad value '\(parameter.value)' for '\(parameter.name)' in \(element.displayName): expected \(expected)"
        )
    }

    /// "; did you mean 'x'?" when a known name is a small edit away.
    static func suggestion(for word: String, among known: [String]) -> String {
        let limit = word.count <= 4 ? 1 : 2
        let best = known.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= limit else { return "" }
        return "; did you mean '\(best.0)'?"
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
