import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Syslog in, compressed JSON objects in S3 out: a drop-in for td-agent's syslog-to-S3 pipeline.",
        subcommands: [RunCommand.self, CheckCommand.self, ParseCommand.self, LoadGenCommand.self, TopCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
