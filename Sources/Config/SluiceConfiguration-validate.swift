/// Validation of the top level: which directives, which plugin types, and the routing warnings.
extension SluiceConfiguration {
    static let directives = ["source", "match", "system"]
    static let unsupportedDirectives = ["filter", "label", "worker"]
    static let sourceTypes = ["syslog", "relp"]

    static func validate(_ root: ConfigElement, log: ProblemLog) throws(ConfigError) -> SluiceConfiguration {
        var configuration = SluiceConfiguration()
        for parameter in root.parameters {
            log.error(
                .unknownParameter, at: parameter.location, word: parameter.name,
                "parameter '\(parameter.name)' outside any section; put it inside <source>, <match> or <system>"
            )
        }
        var systemLocation: ConfigLocation?
        for element in root.elements {
            switch element.name {
            case "source":
                if let source = validateSource(element, log: log) { configuration.sources.append(source) }
            case "match":
                if let match = MatchConfiguration(validating: element, log: log) { configuration.matches.append(match) }
            case "system":
                if let systemLocation {
                    log.error(
                        .duplicateSection, at: element.location, word: "system",
                        "<system> is already given at \(systemLocation); keep one"
                    )
                } else {
                    systemLocation = element.location
                    configuration.system = SystemConfiguration(validating: element, log: log)
                }
            case let name where unsupportedDirectives.contains(name):
                log.error(
                    .unsupportedDirective, at: element.location, word: name,
                    "<\(name)> is a Fluentd directive Sluice does not support; Sluice reads <source>, <match> and <system>"
                )
            case let name:
                log.error(
                    .unknownDirective, at: element.location, word: name,
                    "unknown directive <\(name)>; Sluice reads <source>, <match> and <system>"
                        + SectionReader.suggestion(for: name, among: directives)
                )
            }
        }
        guard log.problems.isEmpty else { throw ConfigError(problems: log.problems) }
        configuration.warnings = log.warnings + configuration.routingWarnings()
        return configuration
    }

    private static func validateSource(_ element: ConfigElement, log: ProblemLog) -> SyslogSourceConfiguration? {
        let type = element.parameters.last { $0.name == "@type" }?.value
        guard let type, let kind = SyslogSourceConfiguration.Kind(rawValue: type) else {
            // Only the type is reported: the parameters belong to a plugin Sluice does not know.
            let reader = SectionReader(
                element, known: element.parameters.map(\.name), sections: element.elements.map(\.name), log: log
            )
            _ = reader.type(known: sourceTypes)
            return nil
        }
        return SyslogSourceConfiguration(validating: element, kind: kind, log: log)
    }

    /// Facility names as Fluentd's in_syslog puts them in tags.
    static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "audit", "alert", "at", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ]
    /// Severity names as Fluentd's in_syslog puts them in tags.
    static let severities = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]

    func routingWarnings() -> [ConfigProblem] {
        var warnings: [ConfigProblem] = []
        for (index, match) in matches.enumerated() {
            let earlier = matches[..<index]
            if let catchAll = earlier.first(where: { $0.patterns.contains(where: \.matchesEverything) }) {
                warnings.append(unreachable(match, because: catchAll, "catches every tag with '**'"))
            } else if let same = earlier.first(where: { previous in
                match.patterns.allSatisfy { pattern in previous.patterns.contains { $0.pattern == pattern.pattern } }
            }) {
                warnings.append(unreachable(match, because: same, "has the same patterns"))
            }
        }
        for source in sources {
            // in_syslog tags each record <tag>.<facility>.<severity>.
            let tags = Self.facilities.flatMap { facility in
                Self.severities.map { "\(source.tag).\(facility).\($0)" }
            }
            let unrouted = tags.filter { route(tag: $0) == nil }
            if unrouted.count == tags.count {
                warnings.append(
                    ConfigProblem(
                        code: .unmatchedSourceTag, location: source.location, word: source.tag,
                        message: "no <match> catches the tags of this <source> ('\(source.tag).FACILITY.SEVERITY'); "
                            + "its records are dropped; add <match \(source.tag).**>"
                    )
                )
            } else if let example = unrouted.first {
                warnings.append(
                    ConfigProblem(
                        code: .unmatchedSourceTag, location: source.location, word: source.tag,
                        message: "\(unrouted.count) of the \(tags.count) tags of this <source> reach no <match> "
                            + "(such as '\(example)'); their records are dropped"
                    )
                )
            }
        }
        return warnings
    }

    private func unreachable(_ match: MatchConfiguration, because earlier: MatchConfiguration, _ reason: String)
        -> ConfigProblem
    {
        let patterns = match.patterns.map(\.pattern).joined(separator: " ")
        return ConfigProblem(
            code: .unreachableMatch, location: match.location, word: patterns,
            message: "<match \(patterns)> is never used: the <match> at \(earlier.location) \(reason)"
        )
    }
}
