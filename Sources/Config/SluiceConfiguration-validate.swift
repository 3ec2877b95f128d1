/// Validation of the top level: which directives, which plugin types, and the routing warnings.
extension SluiceConfiguration {
    static let directives = ["source", "match", "filter", "label", "system"]
    static let unsupportedDirectives = ["worker"]
    static let sourceTypes = ["syslog", "relp"]

    static func validate(_ root: ConfigElement, log: ProblemLog) throws(ConfigError) -> SluiceConfiguration {
        var root = root
        Compatibility.apply(to: &root, log: log)
        var configuration = SluiceConfiguration()
        for parameter in root.parameters {
            log.error(
                .unknownParameter, at: parameter.location, word: parameter.name,
                "parameter '\(parameter.name)' outside any section; put it inside <source>, <match> or <system>"
            )
        }
        var systemLocation: ConfigLocation?
        var routing = RoutingReader(log: log)
        for element in root.elements {
            switch element.name {
            case "source":
                let type = element.parameters.last { $0.name == "@type" }?.value ?? ""
                if monitorTypes.contains(type) {
                    if let monitor = MonitorEndpoint(validating: element, type: type, log: log) { configuration.monitors.append(monitor) }
                } else if let source = validateSource(element, log: log) {
                    configuration.sources.append(source)
                }
            case "match", "filter":
                routing.read(element, label: nil)
            case "label":
                routing.readLabel(element)
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
                    "<\(name)> is a Fluentd directive Sluice does not support: Sluice runs one process; move its sections to the top level"
                )
            case let name:
                log.error(
                    .unknownDirective, at: element.location, word: name,
                    "unknown directive <\(name)>; Sluice reads <source>, <filter>, <match>, <label> and <system>"
                        + SectionReader.suggestion(for: name, among: directives)
                )
            }
        }
        routing.checkLabels(sources: configuration.sources)
        configuration.matches = routing.outputs
        configuration.routing = routing.routing
        guard log.problems.isEmpty else { throw ConfigError(problems: log.problems, readable: configuration) }
        configuration.warnings = log.warnings + configuration.routingWarnings()
        return configuration
    }

    static let monitorTypes = ["prometheus", "monitor_agent"] + MonitorEndpoint.companionTypes

    private static func validateSource(_ element: ConfigElement, log: ProblemLog) -> SyslogSourceConfiguration? {
        let type = element.parameters.last { $0.name == "@type" }?.value
        guard let type, let kind = SyslogSourceConfiguration.Kind(rawValue: type) else {
            PluginSupport.reportUnsupported(element, directive: "source", type: type, known: sourceTypes + monitorTypes, log: log)
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
        let topLevel: [MatchConfiguration] = routing.root.compactMap {
            guard case .match(let patterns, _, let location) = $0 else { return nil }
            return MatchConfiguration(patterns: patterns, output: .null, location: location)
        }
        for (index, match) in topLevel.enumerated() {
            let earlier = topLevel[..<index]
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
            let unrouted = tags.filter { routes(tag: $0, label: source.label).isEmpty }
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
