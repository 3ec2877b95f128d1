import Foundation
import Logging
import SluiceConfig

#if canImport(Glibc)
import Glibc
#endif

/// The process's facts that configuration reading needs: environment and host name.
enum ProcessFacts {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// What Ruby's `Socket.gethostname` returns: the kernel's host name.
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Reads the configuration named on the command line, or the embedded default.
func loadConfiguration(path: String?) throws -> SluiceConfiguration {
    if let path {
        return try SluiceConfiguration.load(path: path, environment: ProcessFacts.environment, hostname: ProcessFacts.hostname)
    }
    return try SluiceConfiguration.parse(
        text: EmbeddedDefault.configuration,
        file: EmbeddedDefault.fileName,
        environment: ProcessFacts.environment,
        hostname: ProcessFacts.hostname
    )
}

func makeLogger(level: Logger.Level) -> Logger {
    var logger = Logger(label: "sluice") { _ in TDAgentLogHandler(logLevel: level) }
    logger.logLevel = level
    return logger
}

extension SystemConfiguration.LogLevel {
    var loggerLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        case .fatal: .critical
        }
    }
}
