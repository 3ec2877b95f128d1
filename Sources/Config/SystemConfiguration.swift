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

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: ["log_level", "metrics_address"], log: log)
        if let level = reader.choice("log_level", LogLevel.self) { logLevel = level }
        if let parameter = reader.parameter("metrics_address") {
            if parameter.value == "off" {
                metricsAddress = nil
            } else if let address = HostAndPort(parameter.value) {
                metricsAddress = address
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
