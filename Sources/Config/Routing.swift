/// How records travel from sources to outputs, as Fluentd's event router moves them: through the
/// `<filter>`s whose patterns match their tag, in file order, to the first `<match>` that matches; a
/// `<match> @type copy` hands each record to every `<store>`; `@type relabel` and a source's `@label`
/// continue in a `<label>` section.
public struct Routing: Sendable, Hashable {
    /// A `<filter>` or `<match>` of one scope, in file order.
    public enum Directive: Sendable, Hashable {
        case filter(FilterConfiguration)
        case match(patterns: [TagPattern], targets: [Target], location: ConfigLocation)
    }

    /// Where a matched record goes.
    public enum Target: Sendable, Hashable {
        /// An index into ``SluiceConfiguration/matches``.
        case output(Int)
        /// A `<label>`'s name.
        case label(String)
    }

    /// The top level (`@ROOT`).
    public var root: [Directive] = []
    /// `<label @NAME>` sections by name.
    public var labels: [String: [Directive]] = [:]

    public init() {}

    /// The scope records of `label` are routed in; nil for the top level.
    func scope(_ label: String?) -> [Directive]? {
        guard let label, label != "@ROOT" else { return root }
        return labels[label]
    }
}

/// One way a record of a tag reaches an output: the filters it passes through first, in order.
public struct Route: Sendable, Hashable {
    public var filters: [FilterConfiguration]
    /// An index into ``SluiceConfiguration/matches``.
    public var output: Int

    public init(filters: [FilterConfiguration], output: Int) {
        self.filters = filters
        self.output = output
    }
}

extension SluiceConfiguration {
    /// Every route a record of `tag` entering at `label` (nil: the top level) takes; empty when no
    /// `<match>` takes it. A record is copied to each route.
    public func routes(tag: String, label: String? = nil) -> [Route] {
        var routes: [Route] = []
        collect(tag: tag, label: label, filters: [], into: &routes, depth: 0)
        return routes
    }

    private func collect(tag: String, label: String?, filters: [FilterConfiguration], into routes: inout [Route], depth: Int) {
        // Label cycles are refused when the file is read; the depth bound is a second guard.
        guard depth < 16, let scope = routing.scope(label) else { return }
        var filters = filters
        for directive in scope {
            switch directive {
            case .filter(let filter):
                if filter.matches(tag) { filters.append(filter) }
            case .match(let patterns, let targets, _):
                guard patterns.contains(where: { $0.matches(tag) }) else { continue }
                for target in targets {
                    switch target {
                    case .output(let index): routes.append(Route(filters: filters, output: index))
                    case .label(let name): collect(tag: tag, label: name, filters: filters, into: &routes, depth: depth + 1)
                    }
                }
                return
            }
        }
    }
}

/// Reading `<match>`, `<filter>` and `<label>` into ``Routing`` and the flat list of outputs.
struct RoutingReader {
    let log: ProblemLog
    var routing = Routing()
    var outputs: [MatchConfiguration] = []
    /// Labels named by relabel outputs and sources, with where, to check that each exists.
    var labelReferences: [(name: String, location: ConfigLocation)] = []
    var labelLocations: [String: ConfigLocation] = [:]

    /// Reads one directive of the scope `label` (nil: the top level).
    mutating func read(_ element: ConfigElement, label: String?) {
        switch element.name {
        case "filter":
            if let filter = FilterConfiguration(validating: element, log: log) {
                append(.filter(filter), label: label)
            }
        case "match":
            readMatch(element, label: label)
        default:
            break
        }
    }

    mutating func readLabel(_ element: ConfigElement) {
        let name = element.argument.trimmingCharacters(in: .whitespaces)
        guard name.hasPrefix("@"), name.count > 1, !name.contains(" ") else {
            log.error(.badValue, at: element.location, word: name, "<label \(name)>: a label name starts with '@', such as <label @S3>")
            return
        }
        if let first = labelLocations[name] {
            log.error(.duplicateSection, at: element.location, word: name, "<label \(name)> is already given at \(first); keep one")
            return
        }
        labelLocations[name] = element.location
        if routing.labels[name] == nil { routing.labels[name] = [] }
        for parameter in element.parameters {
            log.error(.unknownParameter, at: parameter.location, word: parameter.name, "<label> takes <filter> and <match> sections, not '\(parameter.name)'")
        }
        for child in element.elements {
            switch child.name {
            case "filter", "match": read(child, label: name)
            default:
                log.error(.unknownSection, at: child.location, word: child.name, "<label> takes <filter> and <match>, not <\(child.name)>")
            }
        }
    }

    private mutating func append(_ directive: Routing.Directive, label: String?) {
        if let label {
            routing.labels[label, default: []].append(directive)
        } else {
            routing.root.append(directive)
        }
    }

    private mutating func readMatch(_ element: ConfigElement, label: String?) {
        let patterns = TagPattern.patterns(of: element, log: log)
        let type = element.parameters.last { $0.name == "@type" }?.value
        var targets: [Routing.Target] = []
        switch type {
        case "copy":
            let reader = SectionReader(
                element, known: ["@type", "@id", "@log_level", "deep_copy", "copy_mode"], log: log, multiple: ["store"])
            _ = reader.oneOf("copy_mode", ["no_copy", "shallow", "deep", "marshal"])
            let stores = element.elements.filter { $0.name == "store" }
            if stores.isEmpty {
                log.error(.missingParameter, at: element.location, word: "store", "<match> @type copy needs at least one <store>")
            }
            for store in stores {
                let reader = SectionReader(store, known: store.parameters.map(\.name), sections: store.elements.map(\.name), log: log)
                // `ignore_error` and `ignore_if_prev_success` concern Fluentd's error handling; each store is its own output here.
                let storeType = store.parameters.last { $0.name == "@type" }?.value
                if let target = readOutput(store, type: storeType, patterns: patterns, extra: ["ignore_error", "ignore_if_prev_success"]) {
                    targets.append(target)
                }
                _ = reader
            }
        default:
            if let target = readOutput(element, type: type, patterns: patterns, extra: []) { targets.append(target) }
        }
        append(.match(patterns: patterns, targets: targets, location: element.location), label: label)
    }

    /// A leaf output or a relabel; nil when it has problems (already logged).
    private mutating func readOutput(_ element: ConfigElement, type: String?, patterns: [TagPattern], extra: [String]) -> Routing.Target? {
        var element = element
        element.parameters.removeAll { extra.contains($0.name) }
        switch type {
        case "relabel":
            let reader = SectionReader(element, known: ["@type", "@id", "@log_level", "@label"], log: log)
            guard let label = reader.required("@label") else { return nil }
            labelReferences.append((label, reader.parameter("@label")!.location))
            return .label(label)
        case .some(let type) where ["s3", "file", "stdout", "null"].contains(type):
            guard let output = MatchConfiguration(validating: element, type: type, patterns: patterns, log: log) else { return nil }
            outputs.append(output)
            return .output(outputs.count - 1)
        default:
            PluginSupport.reportUnsupported(element, directive: element.name, type: type, known: MatchConfiguration.outputTypes, log: log)
            return nil
        }
    }

    /// Every label named exists, and no label leads back to itself.
    func checkLabels(sources: [SyslogSourceConfiguration]) {
        var references = labelReferences
        for source in sources { if let label = source.label { references.append((label, source.location)) } }
        for (name, location) in references where name != "@ROOT" && routing.labels[name] == nil && name != "@ERROR" {
            log.error(
                .badValue, at: location, word: name,
                "label '\(name)' has no <label \(name)> section" + SectionReader.suggestion(for: name, among: Array(routing.labels.keys))
            )
        }
        for name in routing.labels.keys.sorted() where reaches(name, from: name, seen: []) {
            log.error(
                .conflictingSettings, at: labelLocations[name] ?? ConfigLocation(file: "", line: 0), word: name,
                "<label \(name)> relabels back into itself: its records would never reach an output"
            )
        }
    }

    private func reaches(_ target: String, from label: String, seen: Set<String>) -> Bool {
        guard let scope = routing.labels[label] else { return false }
        for directive in scope {
            guard case .match(_, let targets, _) = directive else { continue }
            for case .label(let next) in targets {
                if next == target { return true }
                if !seen.contains(next), reaches(target, from: next, seen: seen.union([next])) { return true }
            }
        }
        return false
    }
}
