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
            print("configuration OK: \(configuration.sources.count) sources, \(configuration.matches.count) matches")
        } catch let error as ConfigError {
            for problem in error.problems {
                printError("error: \(problem)")
            }
            throw ExitCode(1)
        }
    }
}
