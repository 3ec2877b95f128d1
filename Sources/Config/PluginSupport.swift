/// What Sluice says about a Fluentd plugin it does not run: one error per section, naming the plugin
/// and, for the common ones, why and what to use, without reporting the plugin's own parameters.
enum PluginSupport {
    /// Fluentd plugins that real td-agent files carry and that Sluice leaves to other tools.
    static let outOfScope: [String: String] = [
        "tail": "in_tail reads local files; point rsyslog's imfile at them and forward to a syslog <source>",
        "forward": "in_forward (the Fluent Forward protocol) is not supported yet",
        "http": "in_http is not supported; send syslog",
        "systemd": "in_systemd reads the journal; forward it with rsyslog's imjournal",
        "exec": "in_exec runs commands, which Sluice does not do",
        "dummy": "in_dummy is not supported; use sluice loadgen",
        "sample": "in_sample is not supported; use sluice loadgen",
        "windows_eventlog": "Windows event logs are not read; forward them over syslog",
        "elasticsearch": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "kinesis_streams": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "kinesis_firehose": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "cloudwatch_logs": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "kafka": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "kafka2": "only s3, file, stdout, null, copy and relabel outputs are supported",
        "rewrite_tag_filter": "tags are not rewritten; route with <filter> grep, <label> and relabel",
        "parser": "filter_parser is not supported: records are parsed syslog",
        "kubernetes_metadata": "Kubernetes metadata is not added: Sluice collects syslog",
        "concat": "filter_concat is not supported",
        "exec_filter": "commands are not run",
        "secure_forward": "secure_forward is not supported",
        "geoip": "filter_geoip is not supported",
    ]

    static func reportUnsupported(_ element: ConfigElement, directive: String, type: String?, known: [String], log: ProblemLog) {
        guard let type else {
            log.error(
                .missingParameter, at: element.location, word: "@type",
                "\(element.displayName) needs '@type' (\(known.joined(separator: ", ")))"
            )
            return
        }
        let location = element.parameters.last { $0.name == "@type" }?.location ?? element.location
        if let reason = outOfScope[type] {
            log.error(.unsupportedPlugin, at: location, word: type, "\(element.displayName) @type \(type) is not supported: \(reason)")
        } else {
            log.error(
                .unknownType, at: location, word: type,
                "unknown @type '\(type)' in \(element.displayName): not a plugin Sluice runs; it supports " + known.joined(separator: ", ")
                    + SectionReader.suggestion(for: type, among: known)
            )
        }
    }
}

/// Warnings shared by the outputs.
enum OutputWarnings {
    /// `<secondary>`: where Fluentd hands chunks it gave up on; Sluice keeps them on disk instead.
    static func secondary(_ element: ConfigElement, log: ProblemLog) {
        let type = element.parameters.last { $0.name == "@type" }?.value ?? "?"
        log.warn(
            .noEffect, at: element.location, word: "secondary",
            "<secondary> @type \(type) is not used: chunks Sluice gives up on (retry_max_times, retry_timeout) stay in the buffer's failed/ folder, whole, for a person to resend"
        )
    }
}
