/// One parsed syslog frame: the priority and time decoded, every other field a
/// byte range into the frame that was parsed, so parsing allocates nothing.
///
/// The field set is the record Fluentd's `in_syslog` emits (its `parser_syslog`
/// with `with_priority`, PRI removed from the record): `host`, `ident`, `pid`,
/// `msgid`, `extradata`, `message`. A range that is nil is a key absent from the
/// record; an empty range is a key whose value is `""`.
public struct SyslogMessage: Hashable, Sendable {
    /// `.rfc3164` or `.rfc5424`: the grammar the frame was read with.
    public var format: SyslogFormat
    public var facility: SyslogFacility
    public var severity: SyslogSeverity
    /// nil when the header had none (RFC 5424 NILVALUE): the caller uses the receive time.
    public var timestamp: SyslogTimestamp?
    public var host: Range<Int>?
    public var ident: Range<Int>?
    /// A string, not a number: RFC 5424 PROCID may be any PRINTUSASCII, and Fluentd keeps it as text.
    public var pid: Range<Int>?
    /// RFC 5424 only; `-` is kept, as Fluentd does.
    public var msgid: Range<Int>?
    /// RFC 5424 only: the raw STRUCTURED-DATA (escapes kept), `-` kept, as Fluentd's `extradata`.
    public var extradata: Range<Int>?
    public var message: Range<Int>?

    public init(
        format: SyslogFormat,
        facility: SyslogFacility,
        severity: SyslogSeverity,
        timestamp: SyslogTimestamp? = nil,
        host: Range<Int>? = nil,
        ident: Range<Int>? = nil,
        pid: Range<Int>? = nil,
        msgid: Range<Int>? = nil,
        extradata: Range<Int>? = nil,
        message: Range<Int>? = nil
    ) {
        self.format = format
        self.facility = facility
        self.severity = severity
        self.timestamp = timestamp
        self.host = host
        self.ident = ident
        self.pid = pid
        self.msgid = msgid
        self.extradata = extradata
        self.message = message
    }
}
