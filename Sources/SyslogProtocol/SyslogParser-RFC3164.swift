/// RFC 3164 (BSD syslog) as Fluentd's `parser_syslog` `string` engine reads it.
///
/// After `<PRI>` and the stamp (see `TimestampParsing.swift`) and one space:
///
/// 1. HOST is everything up to the next space. A frame with no space after the
///    host is an error (Fluentd yields no record). A message without a host,
///    `<13>Nov 26 23:12:55 sshd[12]: x`, therefore gets host `sshd[12]:` and
///    message `x`, exactly as td-agent writes it; guessing would make records
///    depend on the content.
/// 2. The word after HOST (up to the next space) is the TAG when it ends with
///    `:` (`CRON[32611]:` → ident `CRON`, pid `32611`; `su:` → ident `su`) or,
///    with `supportColonlessIdent` (Fluentd's default), whatever it ends with
///    (`fluentd[11111]` → ident and pid; `Use the BFG!` → ident `Use`). Without
///    a space after it the rest is all message and there is no ident.
/// 3. MESSAGE is the rest after exactly one space (a second space is kept), with
///    one trailing line end removed. rsyslog's `#012` escapes are kept as sent.
///
/// Where Fluentd would raise (a `]:`-terminated tag with no `[`), the tag is
/// read as an ident without pid; searches never leave the tag.
extension SyslogParser {
    @inline(__always)
    func parseRFC3164(
        _ frame: FrameBytes, from start: Int,
        facility: SyslogFacility, severity: SyslogSeverity, now: ReceptionTime
    ) throws(SyslogParseError) -> SyslogMessage {
        guard start < frame.count else { throw SyslogParseError(code: .invalidTimestamp, offset: start) }
        let (timestamp, stampEnd): (SyslogTimestamp, Int)
        if frame[start].asciiDigit != nil {
            (timestamp, stampEnd) = try Self.parseRFC3339(frame, at: start, localOffset: Int64(configuration.utcOffsetSeconds))
        } else {
            (timestamp, stampEnd) = try Self.parseBSDTimestamp(
                frame, at: start, now: now, utcOffsetSeconds: configuration.utcOffsetSeconds
            )
        }
        guard stampEnd < frame.count, frame[stampEnd] == UInt8(ascii: " ") else {
            throw SyslogParseError(code: .invalidHeader, offset: stampEnd)
        }
        let end = frame.count
        let hostStart = stampEnd + 1
        guard let hostEnd = frame.firstIndex(of: UInt8(ascii: " "), from: hostStart, to: end) else {
            throw SyslogParseError(code: .invalidHeader, offset: end)
        }
        var message = SyslogMessage(
            format: .rfc3164, facility: facility, severity: severity, timestamp: timestamp,
            host: hostStart..<hostEnd
        )
        let tagStart = hostEnd + 1
        guard let tagEnd = frame.firstIndex(of: UInt8(ascii: " "), from: tagStart, to: end) else {
            // Only one word after the host: all of it is message.
            message.message = frame.chomped(tagStart..<end)
            return message
        }
        let last = frame[tagEnd - 1]
        if last == UInt8(ascii: ":") {
            let beforeColon = tagEnd - 1
            if beforeColon > tagStart, frame[beforeColon - 1] == UInt8(ascii: "]"),
               let bracket = frame.firstIndex(of: UInt8(ascii: "["), from: tagStart, to: beforeColon - 1)
            {
                message.ident = tagStart..<bracket
                message.pid = (bracket + 1)..<(beforeColon - 1)
            } else {
                message.ident = tagStart..<beforeColon
            }
        } else if configuration.supportColonlessIdent {
            if last == UInt8(ascii: "]"), tagEnd > tagStart,
               let bracket = frame.firstIndex(of: UInt8(ascii: "["), from: tagStart, to: tagEnd - 1)
            {
                message.ident = tagStart..<bracket
                message.pid = (bracket + 1)..<(tagEnd - 1)
            } else {
                message.ident = tagStart..<tagEnd
            }
        } else {
            message.message = frame.chomped(tagStart..<end)
            return message
        }
        message.message = frame.chomped((tagEnd + 1)..<end)
        return message
    }
}
