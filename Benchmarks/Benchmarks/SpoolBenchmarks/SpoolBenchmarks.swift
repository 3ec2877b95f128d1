import Benchmark
import Foundation
import Logging
import Spool

/// Appending to the write-ahead segment log, per durability policy: one iteration is one batch of 256
/// records of 130 bytes (33 KB) for one partition, as a parser worker hands it over, into a buffer that
/// lives across iterations. Throughput is batches per second (× 256 for records, × 33,280 for bytes);
/// wall clock per iteration is the latency until `append` returns, and, for the "until accepted"
/// cases, until the batch is durable (the group commit's wait).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(3)
    )

    let record = Array(#"{"host":"ip-172-31-92-150","ident":"CRON","pid":"32611","message":"(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"}"#.utf8)
        + [0x0a]
    var part = EncodedBatch.Part()
    for _ in 0..<256 { part.lines += record.prefix(129) + [0x0a] }
    part.recordCount = 256
    var batch = EncodedBatch()
    batch.parts[PartitionKey(tag: "system.cron.info", timeSlice: 1_796_000_000)] = part

    let policies: [(String, DurabilityPolicy, Bool)] = [
        ("batch", .everyBatch, false),
        ("interval 100ms", .interval(.milliseconds(100)), false),
        ("interval 10ms, until accepted", .interval(.milliseconds(10)), true),
        ("interval 100ms, until accepted", .interval(.milliseconds(100)), true),
        ("none", .operatingSystem, false),
    ]
    for (name, durability, waitForDurability) in policies {
        let state = BenchmarkState()
        Benchmark(
            "Spool: append 256 records (33 KB), sync_policy \(name)",
            configuration: .init(maxIterations: waitForDurability ? 100 : 1_000_000),
            closure: { benchmark in
                let buffer = state.buffer!
                for _ in benchmark.scaledIterations {
                    // Full chunks are committed at once, so the disk holds one chunk at a time.
                    for chunk in try await buffer.append(batch) { try await buffer.commit(chunk.id) }
                    if waitForDurability { await buffer.waitUntilDurable() }
                }
            },
            setup: { try await state.open(durability) },
            teardown: { await state.close() }
        )
    }
}

/// The buffer one benchmark appends to, opened in its setup and removed in its teardown.
final class BenchmarkState: @unchecked Sendable {
    var buffer: PartitionBuffer?
    var directory = ""

    func open(_ durability: DurabilityPolicy) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
        buffer = try await PartitionBuffer(
            configuration: SpoolConfiguration(directory: directory, chunkLimitSize: 64 << 20, durability: durability),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func close() async {
        await buffer?.close()
        buffer = nil
        try? FileManager.default.removeItem(atPath: directory)
    }
}
