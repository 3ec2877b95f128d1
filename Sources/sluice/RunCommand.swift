import ArgumentParser
import CivilTime
import Metrics
import Prometheus
import Status
import Logging
import Pipeline
import ServiceLifecycle
import SluiceConfig
import UnixSignals

/// `sluice run`: the collector.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the collector: with --config, a td-agent configuration; without, the embedded default.",
        discussion: """
            Signals: SIGUSR1 seals and uploads every buffered chunk now; SIGTERM or SIGINT stop accepting, \
            write what was received to the buffer and, with flush_at_shutdown, upload it before exiting.
            Environment: SLUICE_BUFFER_PATH replaces the buffer path of the configuration (one directory \
            per <match> when there are several); AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 and \
            AWS_ENDPOINT_URL_STS point S3 and STS at another server.
            """
    )

    @Option(name: [.customShort("c"), .long], help: "The configuration file (Fluentd syntax).")
    var config: String?

    @Option(help: "Replaces every <buffer> path (also: SLUICE_BUFFER_PATH).")
    var bufferPath: String?

    @Option(help: "Parser worker tasks (default: one per core).")
    var workers: Int?

    @Option(help: "Log level: trace, debug, info, warn, error (default: the configuration's <system> log_level, or info).")
    var logLevel: String?

    @Option(help: "Serve /metrics and /api/status on HOST:PORT, or off (default: <system> metrics_address, else 127.0.0.1:24231).")
    var metricsAddress: String?

    @Flag(help: "Print the embedded default configuration and exit.")
    var printDefaultConfig = false

    func run() async throws {
        if printDefaultConfig {
            print(EmbeddedDefault.configuration, terminator: "")
            return
        }
        ResourceUsage.configureMalloc()
        let configuration: SluiceConfiguration
        do {
            configuration = try loadConfiguration(path: config)
        } catch let error as ConfigError {
            for problem in error.problems { printError("error: \(problem)") }
            throw ExitCode(1)
        }
        let level = try logLevel.map { name -> Logger.Level in
            guard let level = SystemConfiguration.LogLevel(rawValue: name) else {
                throw ValidationError("unknown log level '\(name)'")
            }
            return level.loggerLevel
        } ?? configuration.system.logLevel.loggerLevel
        let logger = makeLogger(level: level)
        logger.info("starting sluice with \(config ?? EmbeddedDefault.fileName)")
        for warning in configuration.warnings {
            logger.warning("\(warning)")
        }

        let statusServers = try await startStatusServers(configuration: configuration, logger: logger)
        defer { for server in statusServers { Task { await server.stop() } } }

        var options = PipelineOptions(
            bufferPathOverride: bufferPath ?? ProcessFacts.environment["SLUICE_BUFFER_PATH"],
            environment: ProcessFacts.environment,
            hostname: ProcessFacts.hostname
        )
        if let workers { options.parserWorkers = workers }

        let pipeline: SluicePipeline
        do {
            pipeline = try await SluicePipeline(configuration: configuration, options: options, logger: logger)
        } catch {
            logger.error("cannot start: \(error)")
            throw ExitCode(1)
        }

        let flushSignals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigusr1) {
                logger.info("force flushing buffered events (SIGUSR1)")
                await pipeline.flush()
            }
        }
        defer { flushSignals.cancel() }

        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pipeline)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.error("stopped: \(error)")
            throw ExitCode(1)
        }
        let usage = ResourceUsage.current()
        logger.info("stopped", metadata: [
            "cpu_seconds": "\(usage.cpuSeconds)",
            "peak_rss_kb": "\(usage.peakResidentKilobytes)",
        ])
    }

    /// Bootstraps swift-metrics with a Prometheus registry and serves it: on `metrics_address`, and on
    /// the address of every `@type prometheus` or `monitor_agent` source (a prometheus source takes
    /// the default address's place, as both name fluent-plugin-prometheus's port). An address in use
    /// is a warning, not a reason to stop collecting logs.
    private func startStatusServers(configuration: SluiceConfiguration, logger: Logger) async throws -> [StatusServer] {
        var address = configuration.system.metricsAddress
        if !configuration.system.metricsAddressGiven, configuration.monitors.contains(where: { $0.kind == .prometheus }) {
            address = nil
        }
        if let metricsAddress {
            if metricsAddress == "off" {
                address = nil
            } else if let parsed = HostAndPort(metricsAddress) {
                address = parsed
            } else {
                throw ValidationError("--metrics-address \(metricsAddress): expected HOST:PORT or off")
            }
        }
        var addresses: [(HostAndPort, String)] = address.map { [($0, "metrics_address")] } ?? []
        for monitor in configuration.monitors where !addresses.contains(where: { $0.0 == monitor.address }) {
            addresses.append((monitor.address, "<source> @type \(monitor.kind.rawValue) at \(monitor.location)"))
        }
        guard !addresses.isEmpty else { return [] }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var servers: [StatusServer] = []
        for (address, origin) in addresses {
            do {
                let server = try await StatusServer.start(host: address.host, port: address.port, registry: registry, startedAt: WallClock.nanoseconds())
                logger.info("serving metrics on http://\(HostAndPort(host: address.host, port: server.port))/metrics and /api/status (\(origin))")
                servers.append(server)
            } catch {
                logger.warning("cannot serve metrics on \(address) (\(origin)): \(error); running without it")
            }
        }
        return servers
    }
}
