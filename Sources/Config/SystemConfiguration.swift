/// `<system>`: process-wide settings.
public struct SystemConfiguration: Sendable, Hashable {
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        case trace, debug, info, warn, error, fatal
    }

    /// `log_level`; default `info`.
    public var logLevel: LogLevel = .info
    /// `metrics_address` (Sluice): where `/metrics` and `/api/status` are served, `HOST:PORT`; nil
    /// for `off`. Default 127.0.0.1:24231, fluent-plugin-prometheus's port.
    public var metricsAddress: HostAndPort? = HostAndPort(host: "127.0.0.1", port: 24231)

    public init(logLevel: LogLevel = .info) {
        self.logLevel = logLevel
    }

    /// Whether `metrics_address` was written (monitoring sources then add listeners beside it
    /// rather than take its place).
    public var metricsAddressGiven = false

    /// td-agent's `<system>` parameters that concern Fluentd's own process (supervisor, workers, its
    /// log file and RPC), which Sluice, one process with its own parser pool, has no use for.
    static let processParameters = [
        "workers", "root_dir", "suppress_repeated_stacktrace", "suppress_config_dump", "process_name",
        "without_source", "rpc_endpoint", "enable_get_dump", "emit_error_log_interval", "ignore_repeated_log_interval",
        "ignore_same_log_interval", "log_event_verbose", "dir_permission", "file_permission", "enable_msgpack_time_support",
        "enable_input_metrics", "enable_size_metrics", "disable_shared_socket", "umask", "strict_config_value",
        "suppress_interval", "log_format", "format",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(
            element, known: ["log_level", "metrics_address"] + Self.processParameters, sections: ["log", "counter_server", "source_only_buffer"],
            log: log)
        if let level = reader.choice("log_level", LogLevel.self) { logLevel = level }
        if let workers = reader.integer("workers", in: 1...1024), workers > 1 {
            log.warn(
                .noEffect, at: reader.parameter("workers")!.location, word: "workers",
                "'workers \(workers)': Sluice runs one process whose parser workers use every core; the setting has no effect"
            )
        }
        if let section = reader.section("log") {
            // <log>: Fluentd's own log format and rotation; Sluice logs to stderr in td-agent's text shape.
            let logSection = SectionReader(
                section, known: ["format", "time_format", "rotate_age", "rotate_size", "forced_stacktrace_level"], log: log)
            if let format = logSection.oneOf("format", ["text", "json"]), format == "json" {
                log.warn(
                    .noEffect, at: logSection.parameter("format")!.location, word: "format",
                    "<log> format json: Sluice writes its log as text lines, in td-agent's shape"
                )
            }
        }
        for name in ["counter_server", "source_only_buffer"] {
            if let section = reader.section(name) {
                log.warn(.noEffect, at: section.location, word: name, "<\(name)> configures a Fluentd feature Sluice has no part like; it is ignored")
            }
        }
        if let parameter = reader.parameter("metrics_address") {
            if parameter.value == "off" {
                metricsAddress = nil
                metricsAddressGiven = true
            } else if let address = HostAndPort(parameter.value) {
                metricsAddress = address
                metricsAddressGiven = true
            } else {
                reader.badValue(parameter, expected: "HOST:PORT (such as 127.0.0.1:24231) or off")
            }
        }
    }
}

/// `HOST:PORT`, `[IPv6]:PORT`.
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A monitoring `<source>` of td-agent files (`@type prometheus`, `@type monitor_agent`): Sluice serves
/// its own status endpoint (`/metrics`, `/api/status`, `/api/plugins.json`) on the address it names.
public struct MonitorEndpoint: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case prometheus
        case monitorAgent = "monitor_agent"
    }

    public var kind: Kind
    public var address: HostAndPort
    public var location: ConfigLocation

    /// The other fluent-plugin-prometheus sources: they add metrics to `@type prometheus`'s page, which
    /// Sluice's own counters cover, and listen on nothing.
    static let companionTypes = ["prometheus_monitor", "prometheus_output_monitor", "prometheus_tail_monitor"]

    init?(validating element: ConfigElement, type: String, log: ProblemLog) {
        let before = log.problems.count
        location = element.location
        if Self.companionTypes.contains(type) {
            _ = SectionReader(element, known: ["@type", "@id", "@log_level", "interval"], sections: ["labels"], log: log)
            return nil
        }
        kind = type == "prometheus" ? .prometheus : .monitorAgent
        let known = ["@type", "@id", "@log_level", "bind", "port", "metrics_path", "aggregated_metrics_path", "tag", "emit_interval", "include_config", "include_retry", "emit_config"]
        let reader = SectionReader(element, known: known, sections: ["labels", "transport"], log: log)
        let port = reader.integer("port", in: 0...65535) ?? (kind == .prometheus ? 24231 : 24220)
        let bind = reader.string("bind") ?? "0.0.0.0"
        address = HostAndPort(host: bind, port: port)
        if let path = reader.parameter("metrics_path"), path.value != "/metrics" {
            reader.badValue(path, expected: "/metrics (Sluice serves its metrics there)")
        }
        if let tag = reader.parameter("tag") {
            log.warn(.noEffect, at: tag.location, word: "tag", "monitor_agent 'tag' would emit its figures as records; Sluice serves them over HTTP only")
        }
        if log.problems.count > before { return nil }
    }
}
