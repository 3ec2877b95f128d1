/// Fluentd v1's compatibility layer for v0.12 configurations, applied to the tree before validation,
/// so that every section is validated in its v1 form and problems name the lines as written.
///
/// - `type`, `id`, `log_level` stand for `@type`, `@id`, `@log_level` in plugin sections
///   (Fluentd's `RESERVED_PARAMETERS_COMPAT`).
/// - `<match>` and `<store>` parameters of out_s3 and out_file move into the `<buffer>`, `<format>` and
///   `<inject>` sections Fluentd's `compat_parameters` helper builds from them (`buffer_path`,
///   `time_slice_format`, `format json`, `include_time_key`, ...), when no such section is written.
/// - in_syslog's `format`, `with_priority` and `include_source_host`.
///
/// Each section that was rewritten gets one warning naming the old spellings and what they became.
enum Compatibility {
    /// Sections whose `type`, `id` and `log_level` are Fluentd's reserved parameters under their old names.
    static let pluginSections: Set<String> = ["source", "match", "filter", "store", "buffer", "format", "parse", "inject"]

    static let reservedNames = [("type", "@type"), ("id", "@id"), ("log_level", "@log_level"), ("label", "@label")]

    static func apply(to element: inout ConfigElement, log: ProblemLog) {
        if pluginSections.contains(element.name) {
            renameReserved(&element, log: log)
        }
        if element.name == "match", element.parameters.last(where: { $0.name == "@type" })?.value == "forest" {
            Forest.expand(&element, log: log)
            renameReserved(&element, log: log)
        }
        switch (element.name, element.parameters.last { $0.name == "@type" }?.value) {
        case ("match", "s3"), ("store", "s3"), ("match", "file"), ("store", "file"):
            convertOutputParameters(&element, log: log)
        case ("source", "syslog"), ("source", "relp"):
            convertSyslogParameters(&element, log: log)
        default:
            break
        }
        element.parameters.removeAll { $0.name == Forest.marker }
        for index in element.elements.indices {
            apply(to: &element.elements[index], log: log)
        }
    }

    private static func renameReserved(_ element: inout ConfigElement, log: ProblemLog) {
        // `label` is a parameter only of sources and relabel outputs.
        let names = ["source", "match", "store"].contains(element.name) ? reservedNames : reservedNames.dropLast()
        for (old, new) in names {
            guard element.parameters.contains(where: { $0.name == old }) else { continue }
            if let current = element.parameters.last(where: { $0.name == new }) {
                let stale = element.parameters.last { $0.name == old }!
                log.warn(
                    .deprecatedParameter, at: stale.location, word: old,
                    "'\(old)' is ignored: \(element.displayName) also has '\(new)' (at \(current.location))"
                )
                element.parameters.removeAll { $0.name == old }
                continue
            }
            for index in element.parameters.indices where element.parameters[index].name == old {
                element.parameters[index].name = new
                log.warn(
                    .deprecatedParameter, at: element.parameters[index].location, word: old,
                    "'\(old)' is the Fluentd v0.12 name of '\(new)'; read as '\(new)'"
                )
            }
        }
    }

    // MARK: Outputs

    /// Fluentd's `BUFFER_PARAMS` and `BUFFER_TIME_SLICED_PARAMS`: old name, name in `<buffer>`.
    static let bufferParameters: [(String, String?)] = [
        ("buffer_type", "@type"), ("buffer_path", "path"), ("num_threads", "flush_thread_count"),
        ("flush_interval", "flush_interval"), ("try_flush_interval", "flush_thread_interval"),
        ("queued_chunk_flush_interval", "flush_thread_burst_interval"), ("disable_retry_limit", "retry_forever"),
        ("retry_limit", "retry_max_times"), ("max_retry_wait", "retry_max_interval"), ("retry_wait", "retry_wait"),
        ("buffer_chunk_limit", "chunk_limit_size"), ("buffer_queue_limit", "queue_limit_length"),
        ("buffer_queue_full_action", "overflow_action"), ("flush_at_shutdown", "flush_at_shutdown"),
        ("time_slice_format", nil), ("time_slice_wait", "timekey_wait"), ("timezone", "timekey_zone"),
    ]

    /// Fluentd's `FORMATTER_PARAMS` (with `format_json`, fluent-plugin-s3's older switch).
    static let formatParameters: [(String, String?)] = [
        ("format", "@type"), ("delimiter", "delimiter"), ("force_quotes", "force_quotes"), ("keys", "keys"),
        ("fields", "fields"), ("json_parser", "json_parser"), ("label_delimiter", "label_delimiter"),
        ("output_time", "output_time"), ("output_tag", "output_tag"), ("message_key", "message_key"),
        ("add_newline", "add_newline"), ("format_json", nil),
    ]

    /// Fluentd's `INJECT_PARAMS`.
    static let injectParameters: [(String, String?)] = [
        ("include_time_key", nil), ("time_key", "time_key"), ("time_format", "time_format"),
        ("include_tag_key", nil), ("tag_key", "tag_key"), ("time_as_epoch", nil),
    ]

    private static func convertOutputParameters(_ element: inout ConfigElement, log: ProblemLog) {
        let original = element
        var moved: [String] = []
        var consumed: Set<String> = []
        func value(_ name: String) -> ConfigParameter? { original.parameters.last { $0.name == name } }
        func has(_ name: String) -> Bool { value(name) != nil }

        // <buffer>
        let bufferNames = bufferParameters.map(\.0)
        if bufferNames.contains(where: has) {
            if let written = original.elements.first(where: { $0.name == "buffer" }) {
                // Fluentd's compat_parameters leaves a written <buffer> alone and ignores the flat ones.
                for name in bufferNames where has(name) && name != "timezone" && name != "time_slice_format" {
                    log.warn(
                        .unusedParameter, at: value(name)!.location, word: name,
                        "'\(name)' is not used: it is the Fluentd v0.12 spelling of a <buffer> parameter, and this "
                            + "\(original.displayName) has a <buffer> at \(written.location), which Fluentd uses instead; move it there"
                    )
                    consumed.insert(name)
                }
            } else {
                var buffer = ConfigElement(name: "buffer", argument: "time", location: original.location)
                for (old, new) in bufferParameters {
                    guard let parameter = value(old), let new else { continue }
                    var copy = parameter
                    copy.name = new
                    if old == "buffer_queue_full_action", copy.value == "exception" { copy.value = "throw_exception" }
                    buffer.parameters.append(copy)
                    moved.append(old)
                    consumed.insert(old)
                }
                if let slice = value("time_slice_format") {
                    moved.append("time_slice_format")
                    // out_s3 keeps formatting %{time_slice} with it; the chunks' timekey follows from it.
                    if slice.value.isEmpty, log.problems.contains(where: { $0.location == slice.location }) {
                        // Its embedded code was refused already; no second error about the empty result.
                    } else if let timekey = timekey(forTimeSliceFormat: slice.value) {
                        buffer.parameters.append(ConfigParameter(name: "timekey", value: String(timekey), location: slice.location))
                    } else {
                        log.error(
                            .badValue, at: slice.location, word: slice.value,
                            "time_slice_format '\(slice.value)' has none of %S, %M, %H, %d: a slice of a month or more is too long"
                        )
                    }
                }
                if let utc = timekeyUsesUTC(original, log: log) {
                    buffer.parameters.append(ConfigParameter(name: "timekey_use_utc", value: utc ? "true" : "false", location: original.location))
                }
                element.elements.append(buffer)
            }
        }

        // <format>
        if let written = original.elements.first(where: { $0.name == "format" }) {
            let names = Set(formatParameters.map(\.0))
            for parameter in original.parameters where names.contains(parameter.name) && !consumed.contains(parameter.name) && parameter.name != "format" {
                let name = parameter.name
                log.warn(
                    .unusedParameter, at: parameter.location, word: name,
                    "'\(name)' is not used: this \(original.displayName) has a <format> at \(written.location), which Fluentd uses instead"
                )
                consumed.insert(name)
            }
        }
        if !original.elements.contains(where: { $0.name == "format" }),
            formatParameters.map(\.0).contains(where: { has($0) && !consumed.contains($0) })
        {
            var format = ConfigElement(name: "format", location: original.location)
            for (old, new) in formatParameters {
                guard let parameter = value(old) else { continue }
                moved.append(old)
                consumed.insert(old)
                if old == "format_json" {
                    if ConfigValue.bool(parameter.value) == true, value("format") == nil {
                        format.parameters.append(ConfigParameter(name: "@type", value: "json", location: parameter.location))
                    }
                    continue
                }
                guard let new else { continue }
                var copy = parameter
                copy.name = new
                format.parameters.append(copy)
            }
            if let zone = value("timezone"), format.parameters.first(where: { $0.name == "@type" })?.value == "out_file" {
                format.parameters.append(ConfigParameter(name: "timezone", value: zone.value, location: zone.location))
            }
            element.elements.append(format)
        }

        // <inject>
        if !original.elements.contains(where: { $0.name == "inject" }),
            injectParameters.map(\.0).contains(where: has)
        {
            var inject = ConfigElement(name: "inject", location: original.location)
            for (old, new) in injectParameters {
                guard let parameter = value(old) else { continue }
                moved.append(old)
                consumed.insert(old)
                guard let new else { continue }
                var copy = parameter
                copy.name = new
                inject.parameters.append(copy)
            }
            if let include = value("include_time_key"), ConfigValue.bool(include.value) == true {
                if !inject.parameters.contains(where: { $0.name == "time_key" }) {
                    inject.parameters.append(ConfigParameter(name: "time_key", value: "time", location: include.location))
                }
                inject.parameters.append(ConfigParameter(name: "time_type", value: "string", location: include.location))
            }
            if let epoch = value("time_as_epoch"), ConfigValue.bool(epoch.value) == true {
                if !inject.parameters.contains(where: { $0.name == "time_key" }) {
                    inject.parameters.append(ConfigParameter(name: "time_key", value: "time", location: epoch.location))
                }
                inject.parameters.removeAll { $0.name == "time_type" }
                inject.parameters.append(ConfigParameter(name: "time_type", value: "unixtime", location: epoch.location))
            }
            if let include = value("include_tag_key"), ConfigValue.bool(include.value) == true,
                !inject.parameters.contains(where: { $0.name == "tag_key" })
            {
                inject.parameters.append(ConfigParameter(name: "tag_key", value: "tag", location: include.location))
            }
            if let zone = value("timezone") {
                inject.parameters.append(ConfigParameter(name: "timezone", value: zone.value, location: zone.location))
            }
            if let utc = value("utc") {
                inject.parameters.append(ConfigParameter(name: "utc", value: utc.value, location: utc.location))
            } else if let local = value("localtime") {
                inject.parameters.append(ConfigParameter(name: "localtime", value: local.value, location: local.location))
            }
            element.elements.append(inject)
        }

        if Forest.isExpanded(original) {
            for index in element.elements.indices where element.elements[index].name == "buffer" {
                Forest.keyByTag(&element.elements[index])
            }
        }
        // `utc`, `localtime` and `timezone` were read above where they belong; out_s3 itself takes `utc`.
        consumed.insert("localtime")
        if original.parameters.first(where: { $0.name == "@type" })?.value == "s3" {
            consumed.remove("utc")
        } else {
            consumed.insert("utc")
        }
        if has("timezone") { consumed.insert("timezone") }
        element.parameters.removeAll { consumed.contains($0.name) }
        if !moved.isEmpty {
            log.warn(
                .compatibilityMapped, at: original.location, word: moved[0],
                "Fluentd v0.12 parameters of \(original.displayName) read as Fluentd v1 does: "
                    + moved.joined(separator: ", ") + " (write them in <buffer>, <format> and <inject>)"
            )
        }
    }

    /// `utc` / `localtime` given as a v0.12 output parameter: whether time slices are in UTC.
    private static func timekeyUsesUTC(_ element: ConfigElement, log: ProblemLog) -> Bool? {
        let utc = element.parameters.last { $0.name == "utc" }
        let local = element.parameters.last { $0.name == "localtime" }
        switch (utc, local) {
        case (let utc?, let local?):
            if ConfigValue.bool(utc.value) == ConfigValue.bool(local.value) {
                log.error(
                    .conflictingSettings, at: local.location, word: "localtime",
                    "'utc' (at \(utc.location)) and 'localtime' are both given and disagree; keep one"
                )
            }
            return ConfigValue.bool(utc.value)
        case (let utc?, nil): return ConfigValue.bool(utc.value)
        case (nil, let local?): return ConfigValue.bool(local.value).map { !$0 }
        case (nil, nil): return nil
        }
    }

    /// The timekey Fluentd derives from a `time_slice_format`: its smallest field.
    static func timekey(forTimeSliceFormat format: String) -> Int? {
        if format.contains("%S") { return 1 }
        if format.contains("%M") { return 60 }
        if format.contains("%H") { return 3600 }
        if format.contains("%d") || format.contains("%j") { return 86400 }
        return nil
    }

    // MARK: in_syslog

    /// Fluentd's `PARSER_PARAMS` that in_syslog takes, and its deprecated `include_source_host`.
    private static func convertSyslogParameters(_ element: inout ConfigElement, log: ProblemLog) {
        let original = element
        func value(_ name: String) -> ConfigParameter? { original.parameters.last { $0.name == name } }
        var moved: [String] = []
        let parserNames = ["format", "with_priority", "rfc5424_time_format"]
        if parserNames.contains(where: { value($0) != nil }) {
            if let written = original.elements.first(where: { $0.name == "parse" }) {
                for name in parserNames {
                    guard let parameter = value(name) else { continue }
                    log.warn(
                        .unusedParameter, at: parameter.location, word: name,
                        "'\(name)' is not used: it is the Fluentd v0.12 spelling of a <parse> parameter, and this <source> has a <parse> at \(written.location), which Fluentd uses instead"
                    )
                }
            } else {
                var parse = ConfigElement(name: "parse", location: original.location)
                for name in parserNames {
                    guard var parameter = value(name) else { continue }
                    if name == "format" {
                        parameter.name = "@type"
                        if parameter.value.hasPrefix("/") {
                            log.error(
                                .unsupportedPlugin, at: parameter.location, word: parameter.value,
                                "'format \(parameter.value)' asks in_syslog for a regular-expression parser, which Sluice does not run: it reads syslog as RFC 3164 and RFC 5424"
                            )
                            continue
                        }
                    }
                    parse.parameters.append(parameter)
                    moved.append(name)
                }
                element.elements.append(parse)
            }
            element.parameters.removeAll { parserNames.contains($0.name) }
        }
        if let include = value("include_source_host") {
            element.parameters.removeAll { $0.name == "include_source_host" || $0.name == "source_host_key" }
            moved.append("include_source_host")
            if ConfigValue.bool(include.value) == true {
                if let address = value("source_address_key") {
                    log.error(
                        .conflictingSettings, at: include.location, word: "include_source_host",
                        "'include_source_host' and 'source_address_key' (at \(address.location)) both name the sender's address key; keep 'source_address_key'"
                    )
                } else {
                    let key = value("source_host_key")?.value ?? "source_host"
                    element.parameters.append(ConfigParameter(name: "source_address_key", value: key, location: include.location))
                }
            } else if ConfigValue.bool(include.value) == nil {
                log.error(.badValue, at: include.location, word: include.value, "bad value '\(include.value)' for 'include_source_host': expected true or false")
            }
        } else if let key = value("source_host_key") {
            element.parameters.removeAll { $0.name == "source_host_key" }
            log.warn(
                .deprecatedParameter, at: key.location, word: key.name,
                "'source_host_key' has no effect without 'include_source_host true' (as in Fluentd); use 'source_address_key'"
            )
        }
        if !moved.isEmpty {
            log.warn(
                .compatibilityMapped, at: original.location, word: moved[0],
                "Fluentd v0.12 parameters of <source> read as Fluentd v1 does: " + moved.joined(separator: ", ")
            )
        }
    }
}
