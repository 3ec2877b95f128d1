import AsyncHTTPClient
import Codec
import Foundation
import Ingest
import Logging
import Metrics
import NIOCore
import NIOPosix
import S3
import ServiceLifecycle
import SluiceConfig
import Spool
import SyslogProtocol

/// Sluice's whole path as one service: receivers → parser workers → per-output buffer → uploaders
/// (compress, cut into parts, send), joined by bounded queues.
///
/// Shutdown flows down the pipe: on graceful shutdown the receivers stop (frames already read are still
/// delivered), then the parser queue is finished and drained, then each output's record queue, so every
/// message received reaches a chunk on disk before the process exits.
public final class SluicePipeline: Service, Sendable {
    private let receivers: [Receiver]
    private let sourceRouting: [SourceRouting]
    private let outputs: [any PipelineOutput]
    /// One queue per parser worker: a connection's batches always go to the same worker, so its
    /// records stay in the order they were sent.
    private let parseQueues: [BoundedQueue<SourceBatch>]
    private let workerCount: Int
    /// The shared client, then one per output that names its own proxy or TLS trust.
    private let httpClients: [HTTPClient]
    private let logger: Logger

    enum Receiver: Sendable {
        case tcp(TCPReceiver)
        case udp(UDPReceiver)

        func run(onBound: @escaping @Sendable (Int) -> Void) async throws {
            switch self {
            case .tcp(let receiver): try await receiver.run(onBound: onBound)
            case .udp(let receiver): try await receiver.run(onBound: onBound)
            }
        }

        func stop() {
            switch self {
            case .tcp(let receiver): receiver.stop()
            case .udp(let receiver): receiver.stop()
            }
        }

        var boundPort: Int? {
            switch self {
            case .tcp(let receiver): receiver.boundPort
            case .udp(let receiver): receiver.boundPort
            }
        }
    }

    /// Builds the pipeline for a validated configuration: opens (and recovers) each output's buffer.
    public init(
        configuration: SluiceConfiguration,
        options: PipelineOptions,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws {
        self.logger = logger
        self.workerCount = max(1, options.parserWorkers)
        let parseQueues = (0..<workerCount).map { _ in BoundedQueue<SourceBatch>(.watermark(low: 4, high: 16)) }
        self.parseQueues = parseQueues

        let needsHTTP = configuration.matches.contains { match in
            if case .s3(let s3) = match.output, s3.localDirectory == nil { return true }
            return false
        }
        let httpClient = needsHTTP ? HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup)) : nil
        var httpClients = httpClient.map { [$0] } ?? []

        var outputs: [any PipelineOutput] = []
        do {
            for (index, match) in configuration.matches.enumerated() {
                switch match.output {
                case .s3(let s3):
                    let settings = try OutputPlanning.settings(for: s3, index: index, matchCount: configuration.matches.count, options: options, id: match.id)
                    var client = httpClient
                    if s3.localDirectory == nil, let configuration = try OutputPlanning.httpConfiguration(for: s3) {
                        let own = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
                        httpClients.append(own)
                        client = own
                    }
                    let store = try OutputPlanning.objectStore(for: s3, options: options, httpClient: client)
                    outputs.append(try await S3Output(settings: settings, store: store, logger: logger))
                case .stdout:
                    outputs.append(StdoutOutput())
                case .file(let file):
                    let s3 = OutputPlanning.fileOutput(file)
                    let settings = try OutputPlanning.settings(for: s3, index: index, matchCount: configuration.matches.count, options: options, id: match.id)
                    let store = try OutputPlanning.objectStore(for: s3, options: options, httpClient: nil, appends: file.append)
                    outputs.append(try await S3Output(settings: settings, store: store, logger: logger))
                case .null:
                    outputs.append(NullOutput())
                }
            }
        } catch {
            for client in httpClients { try? await client.shutdown() }
            throw error
        }
        self.httpClients = httpClients
        self.outputs = outputs

        // What the buffers hold of RELP senders' messages, so resends after a crash are recognised. A
        // message counts as stored only when every buffer holding that sender's receipts has it: a crash
        // between two outputs' appends then costs a duplicate in one, never a loss in the other.
        var recovered: [String: [UInt64]] = [:]
        for output in outputs {
            for (sender, digests) in await output.recoveredReceipts().digestsBySender {
                if let earlier = recovered[sender] {
                    let here = Set(digests)
                    recovered[sender] = earlier.filter(here.contains)
                } else {
                    recovered[sender] = digests
                }
            }
        }
        let resendFilter = ResendFilter(recovered: recovered)

        var receivers: [Receiver] = []
        var routing: [SourceRouting] = []
        let planning = try RoutePlanning(configuration: configuration, hostname: options.hostname)
        let hostnames = HostnameCache()
        for (index, source) in configuration.sources.enumerated() {
            let name = "\(source.kind == .relp ? "relp" : source.transport.rawValue)/\(source.bind):\(source.port)"
            let sink = QueueSink(source: index, queues: parseQueues)
            let keys = RecordKeys(
                severity: source.severityKey ?? source.priorityKey, facility: source.facilityKey,
                sourceAddress: source.sourceAddressKey, sourceHostname: source.sourceHostnameKey,
                clientSubject: source.clientSubjectKey
            )
            var receiverConfiguration = ReceiverConfiguration(
                host: source.bind,
                port: options.portOverrides[index] ?? source.port,
                messageLengthLimit: source.messageLengthLimit,
                receiveBufferSize: source.receiveBufferSize,
                tls: source.tls.map(TLSServerConfiguration.init),
                connectionLimits: ConnectionLimits(
                    maxConnections: source.maxConnections,
                    idleTimeout: source.idleTimeout == .zero ? nil : TimeAmount(source.idleTimeout)
                )
            )
            receiverConfiguration.keepsSenders = keys.needSender
            switch source.transport {
            case _ where source.kind == .relp:
                let relp = RELPConfiguration(name: name, resendFilter: resendFilter)
                let receiver = TCPReceiver(
                    configuration: receiverConfiguration, protocol: .relp(relp), sink: sink, group: eventLoopGroup, logger: logger,
                    connectionEvents: .metrics(input: name))
                try Self.verifyTLS(of: receiver, source: source)
                receivers.append(.tcp(receiver))
            case .udp:
                let kernelDrops = Counter(label: MetricName.udpKernelDrops, dimensions: [("source", "\(receiverConfiguration.port)")])
                receivers.append(.udp(UDPReceiver(
                    configuration: receiverConfiguration, sink: sink, group: eventLoopGroup, logger: logger,
                    onKernelDrops: { kernelDrops.increment(by: $0) })))
            case .tcp, .tls:
                let receiver = TCPReceiver(
                    configuration: receiverConfiguration, sink: sink, group: eventLoopGroup, logger: logger,
                    connectionEvents: .metrics(input: name))
                try Self.verifyTLS(of: receiver, source: source)
                receivers.append(.tcp(receiver))
            }
            let parser = SyslogParser(configuration: .init(
                format: SyslogFormat(rawValue: source.messageFormat.rawValue) ?? .auto,
                utcOffsetSeconds: Int32(source.timezone ?? TimeZone.current.secondsFromGMT())
            ))
            var sourceRouting = SourceRouting(
                name: name,
                tag: source.tag,
                parser: parser,
                emitUnmatchedLines: source.emitUnmatchedLines,
                keys: keys,
                hostnames: hostnames,
                plan: { planning.plan(tag: $0, label: source.label) }
            )
            sourceRouting.keepsLinesWhole = source.parseNone
            routing.append(sourceRouting)
        }
        self.receivers = receivers
        self.sourceRouting = routing
    }

    /// A certificate or key that cannot be used is an error naming the source's line, at start.
    private static func verifyTLS(of receiver: TCPReceiver, source: SyslogSourceConfiguration) throws {
        do {
            try receiver.verifyTLSSetup()
        } catch {
            throw PipelineError(code: .invalidSetting, detail: "\(source.location): <transport tls>: \(error)")
        }
    }

    /// The ports the receivers are bound to, in source order (nil until bound).
    public var boundPorts: [Int?] { receivers.map(\.boundPort) }

    public func run() async throws {
        let receivers = self.receivers
        var receiveError: (any Error)?
        await withTaskGroup(of: Void.self) { outputsGroup in
            for output in outputs {
                outputsGroup.addTask { await output.run() }
            }
            await withTaskGroup(of: Void.self) { workers in
                let outputQueues = outputs.map { ($0.partitioning, $0.records) }
                for queue in parseQueues {
                    let worker = ParserWorker(input: queue, sources: sourceRouting, outputs: outputQueues, logger: logger)
                    workers.addTask { await worker.run() }
                }
                do {
                    try await withGracefulShutdownHandler {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for receiver in receivers {
                                group.addTask { try await receiver.run(onBound: { _ in }) }
                            }
                            do {
                                try await group.waitForAll()
                            } catch {
                                // One receiver failed (e.g. its port is taken): stop the others too.
                                for receiver in receivers { receiver.stop() }
                                throw error
                            }
                        }
                    } onGracefulShutdown: {
                        self.logger.info("shutting down: reading what senders already sent, then closing the syslog sockets")
                        for output in self.outputs { output.beginShutdown() }
                        for receiver in receivers { receiver.stop() }
                    }
                } catch {
                    receiveError = error
                }
                for queue in parseQueues { queue.finish() }
            }
            for output in outputs {
                output.beginShutdown()
                output.records.finish()
            }
        }
        for client in httpClients { try? await client.shutdown() }
        if let receiveError { throw receiveError }
        logger.info("shutdown complete")
    }

    /// Seals and uploads every buffered chunk now (SIGUSR1), as Fluentd flushes its buffers.
    public func flush() async {
        for output in outputs { await output.flush() }
    }
}

/// Hands a receiver's batches to a parser worker's queue, tagged with the source they came from. The
/// worker is chosen by sender (a TCP connection's peer address; for datagrams, the source), so each
/// sender's records are parsed, and stored, in order.
struct QueueSink: FrameBatchSink {
    let source: Int
    let queues: [BoundedQueue<SourceBatch>]

    func deliver(_ batch: FrameBatch) async {
        var hasher = Hasher()
        hasher.combine(source)
        hasher.combine(batch.peer)
        let queue = queues[Int(UInt(bitPattern: hasher.finalize()) % UInt(queues.count))]
        try? await queue.send(SourceBatch(source: source, batch: batch))
    }
}

/// Choices made when Sluice is started rather than in the configuration file.
public struct PipelineOptions: Sendable {
    /// Parser worker tasks; by default one per core.
    public var parserWorkers: Int
    /// Replaces every buffer `path` (tests, or a buffer path the process cannot write).
    public var bufferPathOverride: String?
    /// Source index → port, replacing the configured port (tests bind to port 0).
    public var portOverrides: [Int: Int]
    public var environment: [String: String]
    public var hostname: String

    public init(
        parserWorkers: Int = System.coreCount,
        bufferPathOverride: String? = nil,
        portOverrides: [Int: Int] = [:],
        environment: [String: String],
        hostname: String
    ) {
        self.parserWorkers = parserWorkers
        self.bufferPathOverride = bufferPathOverride
        self.portOverrides = portOverrides
        self.environment = environment
        self.hostname = hostname
    }
}

public struct PipelineError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unsupported = Code("not supported")
        public static let invalidSetting = Code("invalid setting")
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
