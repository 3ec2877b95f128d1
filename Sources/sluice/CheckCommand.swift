import ArgumentParser
import SluiceConfig

/// `sluice check`: validate a configuration like `fluentd --dry-run`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file and exit: 0 when it is good, 1 with every problem listed otherwise."
    )

    @Option(name: [.customShort("c"), .long], help: "The configuration file (Fluentd syntax).")
    var config: String?

    func run() throws {
        do {
            let configuration = try loadConfiguration(path: config)
            for warning in configuration.warnings {
                printError("warning: \(warning)")
            }
            print("configuration OK: " + Self.summary(of: configuration))
        } catch let error as ConfigError {
            for problem in error.problems {
                printError("error: \(problem)")
            }
            if let readable = error.readable, !readable.sources.isEmpty || !readable.matches.isEmpty {
                printError("without the sections above, this would run: " + Self.summary(of: readable))
            }
            throw ExitCode(1)
        }
    }

    /// "2 sources (syslog udp 5140, relp tcp 2514), 3 outputs (s3, file, stdout), 1 filter, 1 label".
    static func summary(of configuration: SluiceConfiguration) -> String {
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        let sources = configuration.sources.map { "\($0.kind.rawValue) \($0.transport.rawValue) \($0.port)" }
        let outputs = configuration.matches.map { match -> String in
            switch match.output {
            case .s3: "s3"
            case .file: "file"
            case .stdout: "stdout"
            case .null: "null"
            }
        }
        let directives = [configuration.routing.root] + configuration.routing.labels.values
        let filters = directives.joined().filter { if case .filter = $0 { true } else { false } }.count
        var parts = [
            count(sources.count, "source") + (sources.isEmpty ? "" : " (" + sources.joined(separator: ", ") + ")"),
            count(outputs.count, "output") + (outputs.isEmpty ? "" : " (" + outputs.joined(separator: ", ") + ")"),
        ]
        if filters > 0 { parts.append(count(filters, "filter")) }
        if !configuration.routing.labels.isEmpty { parts.append(count(configuration.routing.labels.count, "label")) }
        if !configuration.monitors.isEmpty { parts.append(count(configuration.monitors.count, "monitoring endpoint")) }
        return parts.joined(separator: ", ")
    }
}
