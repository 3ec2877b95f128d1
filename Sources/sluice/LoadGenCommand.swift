import ArgumentParser
import LoadGen
import Logging
import NIOCore
import NIOPosix
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sluice loadgen`: send numbered syslog messages to a receiver, like syslog-ng's `loggen`.
struct LoadGenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Send numbered syslog messages to a receiver over UDP, TCP, TLS or RELP, at a set rate or as fast as it takes them.",
        discussion: """
            Each generated message carries seq=<connection>:<number> after its header (connections from 0, \
            messages of each connection from 0, decimal), then a space and filler up to --size bytes:
              <134>Nov 27 10:00:00 loadgen app[4242]: seq=0:42 abcdefgh...
              <134>1 2026-11-27T10:00:00.000000Z loadgen app 4242 - - seq=0:42 abcdefgh...
            A checker can tell loss, duplicates and (TCP) order per connection. --count is the total over \
            all connections, split evenly. Without --count or --duration the run stops after 10 s; a TCP \
            connection the receiver takes nothing from for 30 s stops too. Corpus lines are sent as they are.
            Exit status: 0, or 1 when a connection could not be opened or ended with an error.
            """
    )

    @Option(help: "The receiver's address.")
    var host: String = "127.0.0.1"

    @Option(help: "The receiver's port.")
    var port: Int = 5140

    @Option(help: "udp, tcp, tls (RFC 5425; use --framing octet-counted as RFC 5425 frames) or relp (each message acknowledged).")
    var transport: String = "tcp"

    @Option(help: "TCP and TLS framing: lf or octet-counted.")
    var framing: String = "lf"

    @Option(help: "TLS: PEM file of the CAs that signed the receiver's certificate (default: the system's).")
    var caFile: String?

    @Option(help: "TLS: PEM client certificate to present, for a receiver with client_cert_auth.")
    var certFile: String?

    @Option(help: "TLS: the client certificate's PEM private key.")
    var keyFile: String?

    @Flag(help: "TLS: do not verify the receiver's certificate (load tests against a test certificate).")
    var insecure = false

    @Option(help: "rfc3164 or rfc5424.")
    var format: String = "rfc3164"

    @Option(help: "Messages per second per connection; 0 for as fast as the receiver takes them.")
    var rate: Int = 0

    @Option(help: "Parallel connections (UDP: sockets), each numbered on its own.")
    var connections: Int = 1

    @Option(help: "Stop after this many seconds (default 10 when --count is not given).")
    var duration: Double?

    @Option(help: "Stop after this many messages in all.")
    var count: Int?

    @Option(help: "Message length in bytes without framing; shorter messages are padded (0: no padding).")
    var size: Int = 130

    @Option(help: "Replay the lines of this file round-robin instead of generated messages.")
    var corpus: String?

    @Flag(help: "Print the summary as one JSON object on stdout.")
    var json = false

    @Flag(name: [.customShort("q"), .long], help: "No progress line and no text summary.")
    var quiet = false

    func run() async throws {
        let configuration = try makeConfiguration()
        let logger = Logger(label: "sluice.loadgen")
        let generator: LoadGenerator
        do {
            generator = try LoadGenerator(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        } catch let error as LoadGenError {
            throw ValidationError(error.detail)
        }

        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        let stopOnSignal = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                generator.stop()
            }
        }
        defer { stopOnSignal.cancel() }

        var progressLine: (@Sendable (LoadGenerator.Progress) -> Void)?
        if showProgress {
            progressLine = { progress in
                let line: String = "\r\u{1B}[K" + progress.line
                writeStandardError(line)
            }
        }
        let report: LoadGenerator.Report
        do {
            report = try await generator.run(onProgress: progressLine)
        } catch let error as LoadGenError {
            writeStandardError("sluice loadgen: \(error)\n")
            throw ExitCode(1)
        }
        if showProgress { writeStandardError("\r\u{1B}[K") }

        let cpu = ResourceUsage.current().cpuSeconds
        let cpuPerMillion = report.sent > 0 ? cpu / Double(report.sent) * 1e6 : 0
        if json {
            print(report.json(extra: [
                ("cpu_seconds", LoadGenerator.Report.decimalString(cpu, 3)),
                ("cpu_seconds_per_million", LoadGenerator.Report.decimalString(cpuPerMillion, 3)),
            ]))
        } else if !quiet {
            print(report.summary + "; CPU \(LoadGenerator.Report.decimalString(cpu, 2)) s (\(LoadGenerator.Report.decimalString(cpuPerMillion, 3)) s per million)")
        }
        for failure in report.failures {
            writeStandardError("sluice loadgen: \(failure)\n")
        }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    private func makeConfiguration() throws -> LoadGenerator.Configuration {
        var configuration = LoadGenerator.Configuration()
        configuration.host = host
        configuration.port = port
        guard let transport = LoadGenerator.Transport(rawValue: transport) else {
            throw ValidationError("unknown --transport '\(transport)': use udp, tcp, tls or relp")
        }
        configuration.transport = transport
        if transport == .tls {
            configuration.tls = LoadGenerator.TLSOptions(caFile: caFile, certificateFile: certFile, keyFile: keyFile, insecure: insecure)
        } else if caFile != nil || certFile != nil || keyFile != nil || insecure {
            throw ValidationError("--ca-file, --cert-file, --key-file and --insecure apply to --transport tls only")
        }
        guard let framing = LoadGenerator.Framing(rawValue: framing) else {
            throw ValidationError("unknown --framing '\(framing)': use lf or octet-counted")
        }
        configuration.framing = framing
        guard let format = LoadGenerator.Format(rawValue: format) else {
            throw ValidationError("unknown --format '\(format)': use rfc3164 or rfc5424")
        }
        configuration.format = format
        configuration.rate = rate
        configuration.connections = connections
        let durationAmount = try duration.map { seconds -> TimeAmount in
            guard seconds > 0, seconds < 1e9 else { throw ValidationError("--duration \(seconds) must be positive") }
            return .nanoseconds(Int64(seconds * 1e9))
        }
        switch (count, durationAmount) {
        case (nil, nil): configuration.bound = .defaultBound
        case (let count?, nil): configuration.bound = .count(count)
        case (nil, let duration?): configuration.bound = .duration(duration)
        case (let count?, let duration?): configuration.bound = .countOrDuration(count, duration)
        }
        configuration.size = size
        configuration.processID = Int(getpid())
        if let corpus {
            do {
                configuration.corpus = try Corpus(contentsOfFile: corpus)
            } catch let error as LoadGenError {
                throw ValidationError("--corpus: \(error.detail)")
            }
        }
        do {
            try configuration.validate()
        } catch let error as LoadGenError {
            throw ValidationError(error.detail)
        }
        return configuration
    }
}
