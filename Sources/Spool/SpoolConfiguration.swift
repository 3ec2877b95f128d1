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

    public init(
        directory: String,
        timekey: Int64 = 3600,
        timekeyWait: Int64 = 600,
        timekeyUTCOffset: Int64 = 0,
        chunkLimitSize: Int = 256 * 1024 * 1024,
        flushInterval: Int64 = 60
    ) {
        self.directory = directory
        self.timekey = timekey
        self.timekeyWait = timekeyWait
        self.timekeyUTCOffset = timekeyUTCOffset
        self.chunkLimitSize = chunkLimitSize
        self.flushInterval = flushInterval
    }

    /// The start of the slice that holds `time` (Unix seconds).
    public func timeSlice(of time: Int64) -> Int64 {
        guard timekey > 0 else { return 0 }
        let local = time + timekeyUTCOffset
        let start = local - ((local % timekey) + timekey) % timekey
        return start - timekeyUTCOffset
    }
}
