import CivilTime
import Codec
import Ingest
import Logging
import Metrics
import NIOCore
import Spool
import SyslogProtocol

/// A batch of frames and the source it came from: what receivers hand the parser workers.
struct SourceBatch: Sendable {
    var source: Int
    var batch: FrameBatch
}

/// How an output wants its records partitioned. Plain values only: a worker reads it for every record.
struct OutputPartitioning: Sendable {
    /// `tag` is a chunk key: one chunk per tag. Otherwise all tags share chunks.
    var byTag: Bool
    var slicing: TimeSlicing

    init(byTag: Bool, spool: SpoolConfiguration) {
        self.byTag = byTag
        self.slicing = spool.timeSlicing
    }
}

/// A parser worker: takes frame batches, parses each frame, encodes the record as a JSON line and
/// sorts it into per-output, per-partition parts, then hands each output one `EncodedBatch`.
/// Several workers consume the same queue; each works on whole batches, so no record is shared.
struct ParserWorker: Sendable {
    let input: BoundedQueue<SourceBatch>
    let sources: [SourceRouting]
    let outputs: [(partitioning: OutputPartitioning, queue: BoundedQueue<EncodedBatch>)]
    let logger: Logger

    func run() async {
        let received = sources.map { Counter(label: MetricName.receivedMessages, dimensions: [("input", $0.name)]) }
        let receivedBytes = sources.map { Counter(label: MetricName.receivedBytes, dimensions: [("input", $0.name)]) }
        let cut = sources.map { Counter(label: MetricName.cutMessages, dimensions: [("input", $0.name)]) }
        let unmatched = sources.map { Counter(label: MetricName.unmatchedMessages, dimensions: [("input", $0.name)]) }
        let unrouted = Counter(label: MetricName.unroutedMessages)
        var warnings = RateLimitedWarning(logger: logger)

        var encoded = [EncodedBatch](repeating: EncodedBatch(), count: outputs.count)
        let partitionings = outputs.map(\.partitioning)  // apart from the queues: no reference counted per record
        let scratch = EncoderScratch()
        while let item = await input.next() {
            let routing = sources[item.source]
            let batch = item.batch
            let (unmatchedCount, unroutedCount) = Self.sortRecords(
                of: batch, routing: routing, partitionings: partitionings, into: &encoded, warnings: &warnings, scratch: scratch)
            received[item.source].increment(by: batch.frames.count)
            receivedBytes[item.source].increment(by: batch.byteCount)
            if batch.cutFrames > 0 { cut[item.source].increment(by: batch.cutFrames) }
            if unmatchedCount > 0 { unmatched[item.source].increment(by: unmatchedCount) }
            if unroutedCount > 0 {
                unrouted.increment(by: unroutedCount)
                warnings.warn("no <match> for \(unroutedCount) records from \(routing.name)", frame: nil)
            }
            // A sender waiting for an acknowledgement (RELP) gets it once every output that took records
            // has them durable; the receipt goes into the log with the records.
            let acknowledgement = batch.acknowledgement
            let receipt = batch.sender.map { DeliveryReceipt(sender: $0, receivedAt: batch.receivedAt, digests: batch.digests) }
            for index in encoded.indices where !encoded[index].isEmpty {
                var output = encoded[index]
                encoded[index] = EncodedBatch()
                output.receipt = receipt
                if let acknowledgement {
                    acknowledgement.hold()
                    output.whenStored.append { acknowledgement.release(stored: $0) }
                }
                do {
                    try await outputs[index].queue.send(output)
                } catch {
                    output.reportStored(false)
                }
            }
            acknowledgement?.release(stored: true)
        }
    }
}

extension ParserWorker {
    /// Parses and encodes every frame of `batch`, and sorts the records into `encoded`, per output and
    /// partition. Returns how many frames were not syslog, and how many records no `<match>` took.
    ///
    /// Synchronous, apart from the worker's loop: its locals are plain locals, and their accesses are
    /// checked when it is compiled rather than at run time, once per record, as in an async function.
    static func sortRecords(
        of batch: FrameBatch, routing: SourceRouting, partitionings: [OutputPartitioning],
        into encoded: inout [EncodedBatch], warnings: inout RateLimitedWarning, scratch: EncoderScratch
    ) -> (unmatched: Int, unrouted: Int) {
        let now = batch.receivedAt / 1_000_000_000
        let receptionTime = routing.parser.receptionTime(now)
        // A stream's records share one sender; datagrams each name theirs (kept when a key asks).
        var senderFields = routing.senderFields(peer: batch.peer, identity: batch.peerIdentity)
        var fieldsPeer = batch.peer
        var unmatchedCount = 0
        var unroutedCount = 0
        var running = RunningPart(reserve: min(batch.byteCount + batch.frames.count * 64, 1 << 20))
        // Records of one slot (facility and severity) and slice share their route, key and fields:
        // they are looked up when the slot or slice changes, not for every record.
        var run = RecordRun()
        var line: [UInt8] = []  // a record being built as fields, on the slow path
        var timeText = OutFilePrefix.Cache()
        // Records without a stamp of their own (unmatched lines, `<parse> @type none`) carry their arrival.
        let arrival = RecordTime(seconds: now, nanoseconds: Int32(batch.receivedAt % 1_000_000_000))
        for index in batch.frames.indices {
            if let peers = batch.framePeers, index < peers.count, peers[index] != fieldsPeer {
                fieldsPeer = peers[index]
                senderFields = routing.senderFields(peer: fieldsPeer, identity: nil)
            }
            batch.frames[index].withUnsafeReadableBytes { bytes in
                do {
                    if routing.keepsLinesWhole {
                        let (priority, start) = try SyslogParser.priority(of: bytes)
                        let slot = min(priority >> 3, SourceRouting.facilityCount - 1) * SourceRouting.severityCount + (priority & 7)
                        line.removeAll(keepingCapacity: true)
                        routing.appendWholeLineRecord(bytes, from: start, slot: slot, senderFields: senderFields, to: &line)
                        if let plans = routing.plans[slot] {
                            Self.deliver(line, tag: routing.tags[slot], time: arrival, plans: plans, partitionings: partitionings, running: &running, into: &encoded)
                        } else if let route = routing.routes[slot] {
                            let partitioning = partitionings[route]
                            let key = PartitionKey(tag: partitioning.byTag ? routing.tags[slot] : "", timeSlice: partitioning.slicing.slice(of: now))
                            running.append(route: route, key: key, time: now, into: &encoded) { lines in
                                routing.prefixes[slot]?.append(
                                    time: arrival, tag: routing.tags[slot],
                                    to: &lines, cache: &timeText)
                                lines.append(contentsOf: line)
                            }
                        } else {
                            unroutedCount += 1
                        }
                        return
                    }
                    let message = try routing.parser.parse(bytes, at: receptionTime)
                    let time = message.timestamp?.seconds ?? now
                    let slot = SourceRouting.slot(message)
                    if let plans = routing.plans[slot] {
                        line.removeAll(keepingCapacity: true)
                        JSONRecordEncoder.appendRecord(
                            message, frame: bytes, extraFields: routing.slotFields?[slot], moreFields: senderFields, to: &line, scratch: scratch)
                        let recordTime = RecordTime(seconds: time, nanoseconds: message.timestamp?.nanoseconds ?? 0)
                        Self.deliver(line, tag: routing.tags[slot], time: recordTime, plans: plans, partitionings: partitionings, running: &running, into: &encoded)
                        return
                    }
                    guard let route = run.enter(slot: slot, time: time, routing: routing, partitionings: partitionings)
                    else {
                        unroutedCount += 1
                        return
                    }
                    running.append(route: route, key: run.key, time: time, into: &encoded) { lines in
                        if let prefix = run.prefix {
                            let recordTime = RecordTime(seconds: time, nanoseconds: message.timestamp?.nanoseconds ?? 0)
                            prefix.append(time: recordTime, tag: routing.tags[slot], to: &lines, cache: &timeText)
                        }
                        JSONRecordEncoder.appendRecord(
                            message, frame: bytes, extraFields: run.extraFields, moreFields: senderFields, to: &lines, scratch: scratch)
                    }
                } catch {
                    unmatchedCount += 1
                    if let (tag, _, plans, _) = routing.unmatched, let plans {
                        line.removeAll(keepingCapacity: true)
                        JSONRecordEncoder.appendUnmatchedRecord(bytes, moreFields: senderFields, to: &line, scratch: scratch)
                        Self.deliver(line, tag: tag, time: arrival, plans: plans, partitionings: partitionings, running: &running, into: &encoded)
                        return
                    }
                    guard let (tag, route, _, prefix) = routing.unmatched, let route else {
                        warnings.warn("invalid syslog message from \(routing.name): \(error)", frame: bytes)
                        return
                    }
                    let partitioning = partitionings[route]
                    let key = PartitionKey(
                        tag: partitioning.byTag ? tag : "",
                        timeSlice: partitioning.slicing.slice(of: now)
                    )
                    running.append(route: route, key: key, time: now, into: &encoded) { lines in
                        prefix?.append(
                            time: arrival, tag: tag, to: &lines,
                            cache: &timeText)
                        JSONRecordEncoder.appendUnmatchedRecord(bytes, moreFields: senderFields, to: &lines, scratch: scratch)
                    }
                }
            }
        }
        running.flush(into: &encoded)
        return (unmatchedCount, unroutedCount)
    }
}

extension ParserWorker {
    /// The slow path: the record's JSON line read back into fields, then for each route its filters,
    /// and the output's format. A record a filter drops goes on along the other routes.
    static func deliver(
        _ line: [UInt8], tag: String, time: RecordTime, plans: [RoutePlan], partitionings: [OutputPartitioning],
        running: inout RunningPart, into encoded: inout [EncodedBatch]
    ) {
        guard let base = FlatRecord(json: line.last == UInt8(ascii: "\n") ? line.dropLast() : line[...]) else { return }
        for plan in plans {
            var record = base
            var kept = true
            for filter in plan.filters where kept {
                kept = filter.apply(to: &record, tag: tag, time: time)
            }
            guard kept else { continue }
            let partitioning = partitionings[plan.output]
            let key = PartitionKey(tag: partitioning.byTag ? tag : "", timeSlice: partitioning.slicing.slice(of: time.seconds))
            running.append(route: plan.output, key: key, time: time.seconds, into: &encoded) { lines in
                plan.formatter.append(record, tag: tag, time: time, to: &lines)
            }
        }
    }
}

/// What the records of one slot and time slice share, kept while they come one after another.
struct RecordRun {
    private var slot = -1
    private var route: Int?
    private(set) var key = PartitionKey(tag: "", timeSlice: .min)
    private(set) var extraFields: [UInt8]?
    /// out_file's time and tag before each line of the run, when its output writes them.
    private(set) var prefix: OutFilePrefix?

    /// Enters the run of a record in `slot` at `time`: its output route, or nil when no `<match>` takes it.
    mutating func enter(slot: Int, time: Int64, routing: SourceRouting, partitionings: [OutputPartitioning]) -> Int? {
        if slot != self.slot {
            self.slot = slot
            route = routing.routes[slot]
            guard let route else { return nil }
            extraFields = routing.slotFields?[slot]
            prefix = routing.prefixes[slot]
            key = PartitionKey(
                tag: partitionings[route].byTag ? routing.tags[slot] : "", timeSlice: partitionings[route].slicing.slice(of: time))
            return route
        }
        guard let route else { return nil }
        let slice = partitionings[route].slicing.slice(of: time)
        if slice != key.timeSlice { key.timeSlice = slice }
        return route
    }
}

/// The partition records are being appended to. A batch's records mostly share one partition, so they
/// go here until the partition changes: the per-output dictionary is hashed once per run of records,
/// not once per record, and the lines, reserved for the whole batch, are rarely copied to grow.
struct RunningPart {
    private var route = -1
    private var key = PartitionKey(tag: "", timeSlice: .min)
    private var part = EncodedBatch.Part()
    private let reserve: Int

    init(reserve: Int) {
        self.reserve = reserve
    }

    mutating func append(
        route: Int, key: PartitionKey, time: Int64, into encoded: inout [EncodedBatch], _ encode: (inout [UInt8]) -> Void
    ) {
        if route != self.route || key != self.key {
            flush(into: &encoded)
            self.route = route
            self.key = key
            if let earlier = encoded[route].parts.removeValue(forKey: key) {
                part = earlier
            } else {
                part.lines.reserveCapacity(reserve)
            }
        }
        part.append(time: time, encode)
    }

    /// Puts the running part into its output's batch; call before the batch is handed on.
    mutating func flush(into encoded: inout [EncodedBatch]) {
        guard route >= 0 else { return }
        encoded[route].parts[key] = part
        part = EncodedBatch.Part()
        route = -1
    }
}

extension EncodedBatch {
    /// Tells whoever waits for these records whether they are stored.
    func reportStored(_ stored: Bool) {
        for report in whenStored { report(stored) }
    }
}

extension EncodedBatch.Part {
    /// Appends one record of `time` (Unix seconds) through `encode`, which writes a JSON object and its LF.
    mutating func append(time: Int64, _ encode: (inout [UInt8]) -> Void) {
        encode(&lines)
        recordCount += 1
        noteTime(time)
    }
}

/// Logs a problem with incoming data at most once per interval, with how many were suppressed, so a
/// flood of bad input cannot flood the log.
struct RateLimitedWarning {
    let logger: Logger
    var interval: Int64 = 10_000_000_000
    private var lastLogged: Int64 = 0
    private var suppressed = 0

    init(logger: Logger) {
        self.logger = logger
    }

    mutating func warn(_ message: @autoclosure () -> String, frame: UnsafeRawBufferPointer?) {
        let now = WallClock.nanoseconds()
        guard now - lastLogged >= interval else {
            suppressed += 1
            return
        }
        var metadata: Logger.Metadata = [:]
        if let frame {
            metadata["message"] = "\(String(decoding: frame.prefix(256), as: UTF8.self))"
        }
        if suppressed > 0 {
            metadata["suppressed"] = "\(suppressed)"
        }
        logger.warning("\(message())", metadata: metadata)
        lastLogged = now
        suppressed = 0
    }
}
