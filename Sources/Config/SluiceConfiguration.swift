import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole of a Fluentd-style configuration, read and validated once at start-up.
///
/// ```swift
/// let configuration = try SluiceConfiguration.load(
///     path: "/etc/td-agent/td-agent.conf",
///     environment: ProcessInfo.processInfo.environment,
///     hostname: SluiceConfiguration.systemHostname
/// )
/// for warning in configuration.warnings { logger.warning("\(warning)") }
/// ```
public struct SluiceConfiguration: Sendable {
    public var sources: [SyslogSourceConfiguration]
    /// Every output (a `<match>` of an output type, or a `<store>` of a copy), in file order; records
    /// reach them along ``routes(tag:label:)``.
    public var matches: [MatchConfiguration]
    /// `<filter>`s, `<match>`es and `<label>`s, as Fluentd's event router walks them.
    public var routing = Routing()
    /// `<system>`; defaults when absent.
    public var system: SystemConfiguration
    /// `<source>`s of `@type prometheus` and `monitor_agent`: more addresses for the status endpoint.
    public var monitors: [MonitorEndpoint] = []
    /// Doubtful but valid things: unreachable `<match>`es, sources whose tags reach no `<match>`,
    /// unset environment variables, includes that match nothing.
    public var warnings: [ConfigProblem]

    public init(
        sources: [SyslogSourceConfiguration] = [],
        matches: [MatchConfiguration] = [],
        system: SystemConfiguration = SystemConfiguration(),
        warnings: [ConfigProblem] = []
    ) {
        self.sources = sources
        self.matches = matches
        self.system = system
        self.warnings = warnings
    }

    /// Reads and validates the file at `path`.
    ///
    /// - Parameters:
    ///   - environment: what `"#{ENV['NAME']}"` reads.
    ///   - hostname: what `"#{Socket.gethostname}"` reads.
    /// - Throws: every problem found, each with its file and line.
    public static func load(
        path: String, environment: [String: String], hostname: String
    ) throws(ConfigError) -> SluiceConfiguration {
        let log = ProblemLog()
        let root = ConfigReader(environment: environment, hostname: hostname, log: log).read(path: path)
        return try validate(root, log: log)
    }

    /// Reads and validates `text` as the file `file` (which names it in problems and anchors `@include`s).
    public static func parse(
        text: String, file: String, environment: [String: String], hostname: String
    ) throws(ConfigError) -> SluiceConfiguration {
        let log = ProblemLog()
        let root = ConfigReader(environment: environment, hostname: hostname, log: log).read(text: text, file: file)
        return try validate(root, log: log)
    }

    /// The output of `tag` when it has exactly one route and no filter: the common case, which the
    /// parser workers serve without building records. Nil when no `<match>` takes the tag.
    public func route(tag: String) -> Int? {
        routes(tag: tag).first?.output
    }

    /// This machine's name as Ruby's `Socket.gethostname` gives it.
    public static var systemHostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
