/// `<system>`: process-wide settings.
public struct SystemConfiguration: Sendable, Hashable {
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        case trace, debug, info, warn, error, fatal
    }

    /// `log_level`; default `info`.
    public var logLevel: LogLevel = .info

    public init(logLevel: LogLevel = .info) {
        self.logLevel = logLevel
    }

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: ["log_level"], log: log)
        if let level = reader.choice("log_level", LogLevel.self) { logLevel = level }
    }
}
