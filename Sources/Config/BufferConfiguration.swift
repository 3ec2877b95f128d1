/// `<buffer CHUNK_KEYS>` of an output, with Fluentd's defaults.
///
/// Without a `<buffer>` section, out_s3's defaults apply: a memory buffer keyed by time, timekey one day.
public struct BufferConfiguration: Sendable, Hashable {
    public enum BufferType: String, Sendable, Hashable, CaseIterable { case file, memory }
    public enum FlushMode: String, Sendable, Hashable, CaseIterable { case `default`, lazy, interval, immediate }
    public enum RetryType: String, Sendable, Hashable, CaseIterable { case exponential_backoff, periodic }
    public enum OverflowAction: String, Sendable, Hashable, CaseIterable {
        case throw_exception, block, drop_oldest_chunk
    }
    /// When appended records count as accepted (Sluice's own parameter; see the spool's DurabilityPolicy).
    public enum SyncPolicy: String, Sendable, Hashable, CaseIterable { case batch, interval, none }

    /// The section's argument: `tag` and/or `time` (other keys are not supported yet); default `time`.
    public var chunkKeys: [String] = ["time"]
    /// `@type`; default memory, as Fluentd.
    public var type: BufferType = .memory
    /// `path`: required for file buffers.
    public var path: String?
    /// `timekey` in seconds; out_s3's default is 86400 (one day), also when `<buffer time>` omits it.
    public var timekey: Int = 86400
    /// `timekey_wait`; default 600 s.
    public var timekeyWait: Duration = .seconds(600)
    /// `timekey_use_utc`; default false (Fluentd then uses the local zone).
    public var timekeyUseUTC: Bool = false
    /// `timekey_zone` in seconds east of UTC, when set.
    public var timekeyZone: Int?
    /// `chunk_limit_size`; default 256 MiB for file buffers, 8 MiB for memory.
    public var chunkLimitSize: Int
    public var chunkLimitRecords: Int?
    /// `total_limit_size`; default 64 GiB for file buffers, 512 MiB for memory.
    public var totalLimitSize: Int
    /// `flush_at_shutdown`; default false for file buffers, true for memory.
    public var flushAtShutdown: Bool
    /// `flush_mode`; `default` means lazy with a time chunk key, interval otherwise.
    public var flushMode: FlushMode = .default
    /// `flush_interval`; default 60 s.
    public var flushInterval: Duration = .seconds(60)
    /// `flush_thread_count`: chunks uploaded at once; default 1.
    public var flushThreadCount: Int = 1
    /// `retry_type`; default exponential_backoff.
    public var retryType: RetryType = .exponential_backoff
    /// `retry_wait`; default 1 s.
    public var retryWait: Duration = .seconds(1)
    /// `retry_max_interval`; none by default.
    public var retryMaxInterval: Duration?
    /// `retry_max_times`; none by default.
    public var retryMaxTimes: Int?
    /// `retry_timeout`; default 72 h.
    public var retryTimeout: Duration = .seconds(72 * 3600)
    /// `retry_forever`; default false.
    public var retryForever: Bool = false
    /// `overflow_action`; default throw_exception.
    public var overflowAction: OverflowAction = .throw_exception
    /// `sync_policy`: `batch` syncs each batch before it counts as accepted, `interval` syncs every
    /// `sync_interval` (group commit), `none` leaves it to the system; default interval.
    public var syncPolicy: SyncPolicy = .interval
    /// `sync_interval`; default 100 ms.
    public var syncInterval: Duration = .milliseconds(100)
    /// `segment_size`: the most bytes one segment file of the buffer grows to; default 64 MiB.
    public var segmentSize: Int = 64 << 20
    public var location: ConfigLocation?

    public init(type: BufferType = .memory) {
        self.type = type
        chunkLimitSize = type == .file ? 256 << 20 : 8 << 20
        totalLimitSize = type == .file ? 64 << 30 : 512 << 20
        flushAtShutdown = type == .memory
    }

    /// Whether chunks are keyed by time slice.
    public var keysByTime: Bool { chunkKeys.contains("time") }

    static let supportedChunkKeys = ["tag", "time"]

    static let parameters = [
        "@type", "path", "timekey", "timekey_wait", "timekey_use_utc", "timekey_zone", "chunk_limit_size",
        "chunk_limit_records", "total_limit_size", "flush_at_shutdown", "flush_mode", "flush_interval",
        "flush_thread_count", "retry_type", "retry_wait", "retry_max_interval", "retry_max_times",
        "retry_timeout", "retry_forever", "overflow_action", "sync_policy", "sync_interval", "segment_size",
        "queue_limit_length", "flush_thread_interval", "flush_thread_burst_interval",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        let type = reader.type(known: BufferType.allCases.map(\.rawValue), default: "memory")
            .flatMap(BufferType.init(rawValue:)) ?? .memory
        self.init(type: type)
        location = element.location

        chunkKeys = element.argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for key in chunkKeys where !Self.supportedChunkKeys.contains(key) {
            log.error(
                .badValue, at: element.location, word: key,
                "unsupported chunk key '\(key)' in <buffer \(element.argument)>: Sluice keys chunks by tag and time only"
            )
        }
        if type == .file {
            path = reader.required("path")
        } else {
            path = reader.string("path")
        }
        // Fluentd requires timekey with a time chunk key, but out_s3 sets its default (one day), so none is needed.
        if let value = reader.duration("timekey", atLeast: .seconds(1)) {
            if value.components.attoseconds == 0 {
                timekey = Int(value.components.seconds)
            } else {
                reader.badValue(reader.parameter("timekey")!, expected: "a whole number of seconds")
            }
        }
        if let value = reader.duration("timekey_wait") { timekeyWait = value }
        if let value = reader.bool("timekey_use_utc") { timekeyUseUTC = value }
        timekeyZone = reader.utcOffset("timekey_zone")
        if let value = reader.size("chunk_limit_size", in: 1...Int.max) { chunkLimitSize = value }
        chunkLimitRecords = reader.integer("chunk_limit_records", in: 1...Int.max)
        if let value = reader.size("total_limit_size", in: 1...Int.max) { totalLimitSize = value }
        // Fluentd's older limit (v0.12's buffer_queue_limit): it sets total_limit_size to chunks × this, given or not.
        if let length = reader.integer("queue_limit_length", in: 1...Int.max) {
            let (total, overflow) = chunkLimitSize.multipliedReportingOverflow(by: length)
            totalLimitSize = overflow ? Int.max : total
        }
        if chunkLimitSize > totalLimitSize, let parameter = reader.parameter("chunk_limit_size") {
            reader.badValue(parameter, expected: "at most total_limit_size (\(totalLimitSize) bytes)")
        }
        if let value = reader.bool("flush_at_shutdown") { flushAtShutdown = value }
        if let value = reader.choice("flush_mode", FlushMode.self) { flushMode = value }
        if let value = reader.duration("flush_interval") { flushInterval = value }
        if let value = reader.integer("flush_thread_count", in: 1...64) { flushThreadCount = value }
        _ = reader.duration("flush_thread_interval")
        _ = reader.duration("flush_thread_burst_interval")
        if let value = reader.choice("retry_type", RetryType.self) { retryType = value }
        if let value = reader.duration("retry_wait") { retryWait = value }
        retryMaxInterval = reader.duration("retry_max_interval")
        retryMaxTimes = reader.integer("retry_max_times", in: 0...Int.max)
        if let value = reader.duration("retry_timeout") { retryTimeout = value }
        if let value = reader.bool("retry_forever") { retryForever = value }
        if let value = reader.choice("overflow_action", OverflowAction.self) { overflowAction = value }
        if let value = reader.choice("sync_policy", SyncPolicy.self) { syncPolicy = value }
        if let value = reader.duration("sync_interval", atLeast: .milliseconds(1)) { syncInterval = value }
        if let value = reader.size("segment_size", in: (1 << 20)...(1 << 32)) { segmentSize = value }
        for (name, instead) in Self.notYetEffective {
            if let parameter = reader.parameter(name) {
                reader.log.warn(
                    .noEffectYet, at: parameter.location, word: name,
                    "'\(name)' is accepted but has no effect in Sluice yet: \(instead)"
                )
            }
        }
    }

    /// Parameters read (and validated) for compatibility, and what Sluice does in their place.
    static let notYetEffective: [(String, String)] = [
        ("chunk_limit_records", "chunks are limited by chunk_limit_size only"),
        ("flush_thread_interval", "flush threads wait for chunks to become due rather than poll"),
        ("flush_thread_burst_interval", "flush threads wait for chunks to become due rather than poll"),
        ("flush_mode", "chunks are sealed when their timekey + timekey_wait has passed (flush_interval without a time key), on SIGUSR1 and at shutdown"),
    ]
}
