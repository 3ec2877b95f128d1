/// Where a record belongs: its tag and the start of its time slice (Fluentd's chunk keys `tag,time`).
public struct PartitionKey: Hashable, Sendable, CustomStringConvertible {
    public var tag: String
    /// Start of the `timekey` window holding the record, in Unix seconds; 0 when `time` is not a chunk key.
    public var timeSlice: Int64

    public init(tag: String, timeSlice: Int64) {
        self.tag = tag
        self.timeSlice = timeSlice
    }

    public var description: String { "\(tag)@\(timeSlice)" }
}

/// The durable identity of a chunk: 128 random bits chosen when the chunk is created and kept in its
/// header, so everything derived from it (object key placeholders) is the same after a restart.
public struct ChunkID: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func random() -> ChunkID {
        var generator = SystemRandomNumberGenerator()
        return ChunkID(high: generator.next(), low: generator.next())
    }

    /// 32 lowercase hex digits, as Fluentd prints chunk ids.
    public var hex: String {
        Self.hex(high) + Self.hex(low)
    }

    public var description: String { hex }

    public init?(hex: some StringProtocol) {
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit), let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16) else {
            return nil
        }
        self.init(high: high, low: low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Encoded records for the partition buffer: each partition's records as JSON lines, ready to append.
/// One batch crosses from the parser workers to the buffer, so the buffer takes one write per partition
/// per batch, not one per record.
public struct EncodedBatch: Sendable {
    public struct Part: Sendable {
        /// Records, each a JSON object followed by LF.
        public var lines: [UInt8] = []
        public var recordCount = 0
        /// The earliest and latest record times (Unix seconds) among the lines, when known.
        public var earliest = Int64.max
        public var latest = Int64.min

        public init() {}

        public mutating func noteTime(_ time: Int64) {
            earliest = min(earliest, time)
            latest = max(latest, time)
        }

        /// A part of the given lines, counting its records.
        public init(lines: [UInt8]) {
            self.lines = lines
            self.recordCount = lineCount(lines)
        }
    }

    public var parts: [PartitionKey: Part] = [:]
    /// Which sender's messages these records are, written to the log with them (RELP).
    public var receipt: DeliveryReceipt?
    /// Called once the records are durable in the log (true), or were refused (false): a sender
    /// waiting for an acknowledgement gets it only then.
    public var whenStored: [@Sendable (_ stored: Bool) -> Void] = []

    public init() {}

    public var recordCount: Int { parts.values.reduce(0) { $0 + $1.recordCount } }
    public var isEmpty: Bool { parts.isEmpty }
}

/// What `PartitionBuffer.append` could not write, and what it sealed before failing.
public struct AppendFailure: Error, Sendable, CustomStringConvertible {
    public var underlying: SpoolError
    /// The records not written: retry these, and only these.
    public var remaining: EncodedBatch
    /// Chunks sealed (full) before the failure: hand them on as usual.
    public var sealed: [SealedChunk]

    public var description: String { "\(underlying)" }
}

/// The number of LF bytes: records in JSON lines, entries in the ledger.
func lineCount(_ bytes: some Sequence<UInt8>) -> Int {
    bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
}
