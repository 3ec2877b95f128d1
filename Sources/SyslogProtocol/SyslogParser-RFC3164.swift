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
/// 3. IDENT is the tag up to its first `[`, PID the text of that first `[…]`
///    group: `svc[main][29456]:` (`logger -t 'svc[main]' -i`) gives `svc` and
///    `main`, as rsyslog's tag parser reads it (Fluentd gives pid `main][29456`).
///    A tag with no closed group is all ident: `weird]:` (where Fluentd would
///    raise), `svc[12:`.
/// 4. MESSAGE is the rest after exactly one space (a second space is kept), with
///    one trailing line end removed. rsyslog's `#012` escapes are kept as sent.
///
/// Searches never leave the tag.
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
        guard readTag(frame, tagStart..<tagEnd, into: &message) else {
            message.message = frame.chomped(tagStart..<end)
            return message
        }
        message.message = frame.chomped((tagEnd + 1)..<end)
        return message
    }

    /// Sets ident and pid from the tag `word`; false when the word is not a tag
    /// (no `:` and colonless idents are off).
    @inline(__always)
    func readTag(_ frame: FrameBytes, _ word: Range<Int>, into message: inout SyslogMessage) -> Bool {
        var body = word
        if !word.isEmpty, frame[word.upperBound - 1] == UInt8(ascii: ":") {
            body = word.lowerBound..<(word.upperBound - 1)
        } else if !configuration.supportColonlessIdent {
            return false
        }
        if let open = frame.firstIndex(of: UInt8(ascii: "["), from: body.lowerBound, to: body.upperBound),
           let close = frame.firstIndex(of: UInt8(ascii: "]"), from: open + 1, to: body.upperBound)
        {
            message.ident = body.lowerBound..<open
            message.pid = (open + 1)..<close
        } else {
            message.ident = body
        }
        return true
    }
}
