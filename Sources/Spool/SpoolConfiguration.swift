/// When an appended record counts as accepted: after its bytes are synced to disk, which is what
/// survives a power cut. Every policy survives a crash of Sluice itself (`kill -9`): appended bytes
/// are in the kernel's page cache as soon as they are written to the segment.
public enum DurabilityPolicy: Sendable, Hashable, CustomStringConvertible {
    /// `sync_policy batch`: each batch is synced before `append` returns. Nothing accepted is lost to
    /// a power cut; costs one `fdatasync` per partition per batch.
    case everyBatch
    /// `sync_policy interval` with `sync_interval`: group commit. Batches are synced together every
    /// interval and count as accepted then; a power cut loses at most the last interval's batches,
    /// none of them acknowledged.
    case interval(Duration)
    /// `sync_policy none`: the system writes pages back when it likes (chunks are still synced when
    /// sealed). Accepted at once; a power cut loses what the system had not written.
    case operatingSystem

    public var description: String {
        switch self {
        case .everyBatch: "batch"
        case .interval(let interval): "interval \(interval)"
        case .operatingSystem: "none"
        }
    }
}

/// How the partition buffer keeps chunks: Fluentd's `<buffer>` section, validated.
public struct SpoolConfiguration: Sendable {
    /// Directory holding the chunk files (`path`).
    public var directory: String
    /// Width of a time slice in seconds (`timekey`); 0 when `time` is not a chunk key.
    public var timekey: Int64
    /// Seconds to wait after a slice ends before its chunks are sealed (`timekey_wait`), for late records.
    public var timekeyWait: Int64
    /// Offset from UTC of the zone slices are cut in, in seconds (0 for `timekey_use_utc true`).
    public var timekeyUTCOffset: Int64
    /// A chunk is sealed before it grows past this many bytes (`chunk_limit_size`).
    public var chunkLimitSize: Int
    /// Without a time key, chunks are sealed this many seconds after they were opened (`flush_interval`).
    public var flushInterval: Int64
    /// The most bytes one segment file grows to (`segment_size`, default 64 MiB). A chunk's records
    /// span as many segments as they need.
    public var segmentSize: Int
    /// When appended records count as accepted (`sync_policy`, `sync_interval`).
    public var durability: DurabilityPolicy
    /// Where the files live: the real file system, or a test's.
    public var fileSystem: any SpoolFileSystem

    public static let defaultSegmentSize = 64 << 20
    public static let defaultDurability = DurabilityPolicy.interval(.milliseconds(100))

    public init(
        directory: String,
        timekey: Int64 = 3600,
        timekeyWait: Int64 = 600,
        timekeyUTCOffset: Int64 = 0,
        chunkLimitSize: Int = 256 * 1024 * 1024,
        flushInterval: Int64 = 60,
        segmentSize: Int = SpoolConfiguration.defaultSegmentSize,
        durability: DurabilityPolicy = SpoolConfiguration.defaultDurability,
        fileSystem: any SpoolFileSystem = PosixFileSystem()
    ) {
        self.directory = directory
        self.timekey = timekey
        self.timekeyWait = timekeyWait
        self.timekeyUTCOffset = timekeyUTCOffset
        self.chunkLimitSize = chunkLimitSize
        self.flushInterval = flushInterval
        self.segmentSize = max(segmentSize, SegmentHeader.length + 4096)
        self.durability = durability
        self.fileSystem = fileSystem
    }

    /// How records are cut into time slices: `timekey` wide, in the zone of `timekeyUTCOffset`.
    public var timeSlicing: TimeSlicing { TimeSlicing(timekey: timekey, utcOffset: timekeyUTCOffset) }

    /// The start of the slice that holds `time` (Unix seconds).
    public func timeSlice(of time: Int64) -> Int64 {
        timeSlicing.slice(of: time)
    }
}

/// The two numbers that cut time into chunk slices, apart from the rest of the configuration, so that a
/// parser worker sorting records into slices copies two integers per record, not the configuration.
public struct TimeSlicing: Sendable, Equatable {
    /// Width of a slice in seconds; 0 when time is not a chunk key (every record in slice 0).
    public var timekey: Int64
    /// Offset from UTC of the zone slices are cut in, in seconds.
    public var utcOffset: Int64

    public init(timekey: Int64, utcOffset: Int64 = 0) {
        self.timekey = timekey
        self.utcOffset = utcOffset
    }

    /// The start of the slice that holds `time` (Unix seconds).
    @inlinable
    public func slice(of time: Int64) -> Int64 {
        guard timekey > 0 else { return 0 }
        let local = time + utcOffset
        let start = local - ((local % timekey) + timekey) % timekey
        return start - utcOffset
    }
}
