import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A syslog load generator: opens `connections` connections, sends numbered messages on each as fast as
/// allowed until the bound, and reports what the sockets took.
///
/// Each connection runs on its event loop without a task per message: messages are rendered in place
/// into 64 KiB buffers (TCP: one write per buffer; UDP: one datagram per message, up to 256 per
/// `sendmmsg`), and the channel's writability holds the generator back when the receiver is slow.
/// A generator runs once.
public final class LoadGenerator: Sendable {
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channels = Mutex<[any Channel]?>([])
    private let tlsContext: NIOSSLContext?

    /// Validates the configuration and, for TLS, reads its files; throws `LoadGenError` naming the wrong
    /// option.
    public init(configuration: Configuration, group: any EventLoopGroup, logger: Logger) throws {
        try configuration.validate()
        self.tlsContext = configuration.transport == .tls ? try Self.makeTLSContext(configuration.tls) : nil
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Connects, sends until the bound, and waits for the last write. Throws `LoadGenError.connectFailed`
    /// when a connection cannot be opened (the others are closed, nothing is sent).
    /// `onProgress` is called every `progressInterval` while messages are sent.
    public func run(
        progressInterval: TimeAmount = .seconds(1),
        onProgress: (@Sendable (Progress) -> Void)? = nil
    ) async throws -> Report {
        let counters = (0..<configuration.connections).map { _ in ConnectionCounters() }
        let opened = try await connectAll(counters: counters)
        let registered = channels.withLock { channels -> Bool in
            guard channels != nil else { return false }
            channels = opened
            return true
        }
        guard registered else {
            // stop() came while connecting.
            for channel in opened { channel.close(promise: nil) }
            return report(counters: counters, elapsed: .zero)
        }

        let start = NIODeadline.now()
        let deadline = configuration.bound.duration.map { start + $0 } ?? .distantFuture
        logger.debug("load run started", metadata: ["connections": "\(opened.count)"])
        for channel in opened {
            channel.pipeline.fireUserInboundEventTriggered(LoadWriter.Start(deadline: deadline))
        }
        let progress = onProgress.map { onProgress in
            Task {
                var last = (time: start, sent: 0)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .nanoseconds(progressInterval.nanoseconds))
                    guard !Task.isCancelled else { break }
                    let now = NIODeadline.now()
                    let totals = Self.totals(counters)
                    let interval = Double((now - last.time).nanoseconds) / 1e9
                    onProgress(
                        Progress(
                            elapsedSeconds: Double((now - start).nanoseconds) / 1e9,
                            sent: totals.sent, sentBytes: totals.sentBytes, errors: totals.errors,
                            acknowledged: configuration.transport == .relp ? totals.acknowledged : nil,
                            messagesPerSecond: interval > 0 ? Double(totals.sent - last.sent) / interval : 0,
                            waiting: totals.queued - totals.sent - totals.errors - totals.unsent
                        )
                    )
                    last = (now, totals.sent)
                }
            }
        }
        await withTaskCancellationHandler {
            for channel in opened {
                try? await channel.closeFuture.get()
            }
        } onCancel: {
            self.stop()
        }
        progress?.cancel()
        let elapsed = NIODeadline.now() - start
        channels.withLock { $0 = nil }
        return report(counters: counters, elapsed: elapsed)
    }

    /// Ends the run early: every connection stops rendering, drains what it queued and closes; `run`
    /// then returns its report as at the bound.
    public func stop() {
        let open = channels.withLock { channels -> [any Channel] in
            defer { channels = nil }
            return channels ?? []
        }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(LoadWriter.Stop())
        }
    }

    private func connectAll(counters: [ConnectionCounters]) async throws -> [any Channel] {
        let configuration = configuration
        let group = group
        let tlsContext = tlsContext
        let results = await withTaskGroup(of: (Int, Result<any Channel, any Error>).self) { tasks in
            for index in counters.indices {
                let quota = configuration.bound.count.map {
                    Bound.share(of: $0, connection: index, connections: configuration.connections)
                }
                let counter = counters[index]
                tasks.addTask {
                    do {
                        let channel = try await Connector.connect(
                            configuration: configuration, connection: index, quota: quota, counters: counter, group: group,
                            tlsContext: tlsContext
                        )
                        return (index, .success(channel))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<any Channel, any Error>?](repeating: nil, count: counters.count)
            for await (index, result) in tasks { results[index] = result }
            return results.map { $0! }
        }
        let opened = results.compactMap { try? $0.get() }
        for case .failure(let error) in results {
            for channel in opened { channel.close(promise: nil) }
            throw LoadGenError(
                code: .connectFailed,
                detail: "\(configuration.host):\(configuration.port) over \(configuration.transport): \(error)"
            )
        }
        return opened
    }

    private static func totals(_ counters: [ConnectionCounters]) -> ConnectionCounters.Snapshot {
        var totals = ConnectionCounters.Snapshot(sent: 0, sentBytes: 0, errors: 0, unsent: 0, queued: 0)
        for counter in counters {
            let snapshot = counter.snapshot
            totals.sent += snapshot.sent
            totals.sentBytes += snapshot.sentBytes
            totals.errors += snapshot.errors
            totals.unsent += snapshot.unsent
            totals.queued += snapshot.queued
            totals.acknowledged += snapshot.acknowledged
        }
        return totals
    }

    private func report(counters: [ConnectionCounters], elapsed: TimeAmount) -> Report {
        let connections = counters.enumerated().map { index, counter in
            let snapshot = counter.snapshot
            return Report.Connection(
                index: index, sent: snapshot.sent, sentBytes: snapshot.sentBytes, errors: snapshot.errors,
                unsent: snapshot.unsent, acknowledged: snapshot.acknowledged, refused: snapshot.refused,
                failure: snapshot.failure
            )
        }
        return Report(
            transport: configuration.transport, format: configuration.format,
            elapsedSeconds: Double(elapsed.nanoseconds) / 1e9, connections: connections
        )
    }
}
