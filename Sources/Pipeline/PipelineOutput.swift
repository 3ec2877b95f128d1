import Spool

#if canImport(Glibc)
import Glibc
#endif

/// An output stage behind a `<match>`: takes encoded batches until its queue is finished.
protocol PipelineOutput: Sendable {
    var records: BoundedQueue<EncodedBatch> { get }
    var partitioning: OutputPartitioning { get }
    func run() async
    /// Flush whatever is buffered now (SIGUSR1).
    func flush() async
    /// A graceful shutdown has begun.
    func beginShutdown()
    /// Which senders' messages the buffer held at start (see `ResendFilter`).
    func recoveredReceipts() async -> RecoveredReceipts
}

extension PipelineOutput {
    func recoveredReceipts() async -> RecoveredReceipts { RecoveredReceipts() }
}

/// `@type stdout`: each record printed as the parser workers formatted it (Fluentd's
/// `time tag: {json}` line by default), for trying a configuration out.
final class StdoutOutput: PipelineOutput {
    let records = BoundedQueue<EncodedBatch>(.watermark(low: 4, high: 16))

    /// One part per batch, whatever the tag: lines are printed in the order records came.
    var partitioning: OutputPartitioning {
        OutputPartitioning(byTag: false, spool: SpoolConfiguration(directory: "", timekey: 0))
    }

    func run() async {
        while let batch = await records.next() {
            var text: [UInt8] = []
            for part in batch.parts.values {
                text.append(contentsOf: part.lines)
            }
            text.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
            batch.reportStored(true)
        }
    }

    func flush() async {}
    func beginShutdown() {}
}

/// `@type null`: records are counted and dropped.
final class NullOutput: PipelineOutput {
    let records = BoundedQueue<EncodedBatch>(.watermark(low: 4, high: 16))

    var partitioning: OutputPartitioning {
        OutputPartitioning(byTag: false, spool: SpoolConfiguration(directory: "", timekey: 0))
    }

    func run() async {
        while let batch = await records.next() {
            batch.reportStored(true)
        }
    }

    func flush() async {}
    func beginShutdown() {}
}
