import Logging
import Synchronization

/// A logger whose messages a test can read back: to check that a condition is logged, and only once.
public final class CapturedLogs: Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    public var logger: Logger {
        var logger = Logger(label: "sluice.test") { _ in Handler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    public func messages(at level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    /// Whether any message, at any level, contains `text`.
    public func contains(_ text: String) -> Bool {
        entries.withLock { $0.contains { $0.message.contains(text) } }
    }

    fileprivate func record(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            logs.record(Entry(level: event.level, message: "\(event.message)"))
        }
    }
}
