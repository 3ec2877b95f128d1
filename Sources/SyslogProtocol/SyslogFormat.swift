/// Which syslog header grammar a frame is read with.
///
/// Mirrors Fluentd's `message_format` parameter, so a td-agent configuration
/// translates one to one.
public enum SyslogFormat: String, Sendable, CaseIterable {
    /// BSD syslog (RFC 3164) as real senders write it: `<PRI>Mmm dd hh:mm:ss HOST TAG: MSG`.
    case rfc3164
    /// IETF syslog (RFC 5424): `<PRI>VERSION SP TIMESTAMP SP HOST SP APP SP PROCID SP MSGID SP SD [SP MSG]`.
    case rfc5424
    /// RFC 5424 when the header starts `<PRI>VERSION SP` (VERSION 1-999), else RFC 3164.
    ///
    /// Fluentd's own detector (`/^<[0-9]{1,3}>[1-9]\d{0,2}/`) does not require the
    /// space, so it sends rsyslog's `RSYSLOG_ForwardFormat` (`<13>2026-11-26T…`) down
    /// the RFC 5424 path, where it fails; requiring the space fixes that.
    case auto
}
