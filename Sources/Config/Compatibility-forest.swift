/// fluent-plugin-forest, as old td-agent files use it to give each tag its own S3 path: `<match>
/// @type forest`, `subtype s3`, and a `<template>` whose values hold `${tag}`, `${tag_parts[N]}`,
/// `${hostname}` (or `__TAG__`, `__TAG_PARTS[N]__`, `__HOSTNAME__`). Forest makes one output per tag;
/// Sluice makes one output keyed by tag, whose object keys carry the same placeholders: the objects
/// land under the same keys. `<case>` sections are refused.
enum Forest {
    /// Marks a `<match>` made from a forest, for the buffer's chunk keys.
    static let marker = "@forest"

    static func isExpanded(_ element: ConfigElement) -> Bool {
        element.parameters.contains { $0.name == marker }
    }

    static func expand(_ element: inout ConfigElement, log: ProblemLog) {
        let original = element
        let subtype = original.parameters.last { $0.name == "subtype" }
        for child in original.elements where child.name == "case" {
            log.error(
                .unsupportedPlugin, at: child.location, word: "case",
                "forest's <case \(child.argument)> is not supported: write a <match \(child.argument)> with its own output before this one"
            )
        }
        guard let subtype else {
            log.error(.missingParameter, at: original.location, word: "subtype", "<match> @type forest needs 'subtype' (such as s3)")
            return
        }
        guard let template = original.elements.first(where: { $0.name == "template" }) else {
            log.error(.missingParameter, at: original.location, word: "template", "<match> @type forest needs a <template>")
            return
        }
        var expanded = ConfigElement(name: "match", argument: original.argument, location: original.location)
        expanded.parameters = [ConfigParameter(name: "@type", value: subtype.value, location: subtype.location)]
        expanded.parameters += original.parameters.filter { ["@id", "@log_level", "id", "log_level"].contains($0.name) }
        expanded.parameters += template.parameters.filter { !["@type", "type"].contains($0.name) }
        expanded.parameters.append(ConfigParameter(name: marker, value: "", location: original.location))
        expanded.elements = template.elements
        translate(&expanded)
        for parameter in original.parameters where !["@type", "subtype", "@id", "@log_level", "id", "log_level", "escape_tag_separator"].contains(parameter.name) {
            log.error(.unknownParameter, at: parameter.location, word: parameter.name, "unknown parameter '\(parameter.name)' in <match> @type forest")
        }
        log.warn(
            .compatibilityMapped, at: original.location, word: "forest",
            "<match> @type forest (subtype \(subtype.value)) runs as one \(subtype.value) output keyed by tag, its keys holding the template's tag placeholders"
        )
        element = expanded
    }

    /// Placeholders in key-forming values become the output's own; in buffer paths they are dropped
    /// (one buffer serves every tag).
    private static func translate(_ element: inout ConfigElement) {
        for index in element.parameters.indices {
            let name = element.parameters[index].name
            let value = element.parameters[index].value
            if name == "buffer_path" || (element.name == "buffer" && name == "path") {
                element.parameters[index].value = bufferPath(value)
            } else {
                element.parameters[index].value = keyPlaceholders(value)
            }
        }
        if element.name == "buffer" { keyByTag(&element) }
        if element.name == "store" {
            element.parameters.append(ConfigParameter(name: marker, value: "", location: element.location))
        }
        for index in element.elements.indices { translate(&element.elements[index]) }
    }

    static func keyPlaceholders(_ value: String) -> String {
        var value = value.replacingOccurrences(of: "__TAG__", with: "${tag}")
            .replacingOccurrences(of: "__HOSTNAME__", with: "%{hostname}")
            .replacingOccurrences(of: "${hostname}", with: "%{hostname}")
        for (prefix, suffix) in [("${tag_parts[", "]}"), ("__TAG_PARTS[", "]__")] {
            while let start = value.range(of: prefix), let end = value[start.upperBound...].range(of: suffix) {
                value.replaceSubrange(start.lowerBound..<end.upperBound, with: "${tag[" + value[start.upperBound..<end.lowerBound] + "]}")
            }
        }
        return value
    }

    static func bufferPath(_ value: String) -> String {
        var value = keyPlaceholders(value)
        while let start = value.range(of: "${"), let end = value[start.upperBound...].firstIndex(of: "}") {
            value.removeSubrange(start.lowerBound...end)
        }
        while let last = value.last, last == "/" || last == "." || last == "_" || last == "-", value.count > 1 { value.removeLast() }
        return value
    }

    /// Chunks keyed by tag, so that each tag's objects take its own keys.
    static func keyByTag(_ buffer: inout ConfigElement) {
        var keys = buffer.argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if keys.isEmpty { keys = ["time"] }
        if !keys.contains("tag") { keys.insert("tag", at: 0) }
        buffer.argument = keys.joined(separator: ",")
    }
}
