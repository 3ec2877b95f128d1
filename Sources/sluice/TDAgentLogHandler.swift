import CivilTime
import Logging
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// Log lines to stderr in td-agent's shape, so existing log watchers keep working:
/// `2026-11-26 16:54:30 +0000 [info]: listening syslog socket on 0.0.0.0:5140 with udp`
struct TDAgentLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = CivilTime(unixSeconds: WallClock.seconds()).formatted("%Y-%m-%d %H:%M:%S +0000")
        var line = "\(time) [\(Self.name(of: event.level))]: \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\"\(value)\""
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            _ = write(2, buffer.baseAddress, buffer.count)
        }
    }

    /// Fluentd's level names.
    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error: "error"
        case .critical: "fatal"
        }
    }
}
