/// The instant a syslog header gives, kept as plain integers so parsing needs
/// neither Foundation nor a calendar object.
public struct SyslogTimestamp: Hashable, Sendable {
    /// Unix seconds, UTC.
    public var seconds: Int64
    /// 0 ..< 1_000_000_000. RFC 3339 fractions longer than 9 digits are rejected.
    public var nanoseconds: Int32
    /// The offset written in the message (`Z` is 0); nil when the stamp had none
    /// (RFC 3164 `Mmm dd hh:mm:ss`), in which case `seconds` was computed with the
    /// parser's configured zone.
    public var utcOffsetSeconds: Int32?

    public init(seconds: Int64, nanoseconds: Int32 = 0, utcOffsetSeconds: Int32? = nil) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.utcOffsetSeconds = utcOffsetSeconds
    }
}
