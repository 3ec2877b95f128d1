/// RFC 3164 (BSD syslog) as Fluentd's `parser_syslog` `string` engine reads it,
/// with rsyslog's heuristics (`pmrfc3164`, `pmciscoios`) where real senders leave
/// the grammar: no hostname, bracketed tags, Cisco IOS headers.
///
/// `<PRI>[SEQ: [ORIGIN: ]][*|.]STAMP[ ZONE][:] [HOST ]TAG MSG`
///
/// 0. The stamp (see `TimestampParsing.swift`) may carry Cisco IOS decorations
///    (see `SyslogParser-NetworkGear.swift`): a sequence number and, after it, the
///    device's name before the stamp (`29: core-sw1: `), a time-sync mark `*` or
///    `.` in front of it, a zone word before a `%` tag (`.345 UTC: %SYS-5-…`) and a
///    colon after it. One space follows.
/// 1. HOST is the next word, up to a space, unless that word is a tag: it ends
///    with `:`, has a `[` after its first byte, or starts with `%` (a Cisco
///    `%FAC-SEV-MNEMONIC:`). A hostname can hold none of these, and rsyslog makes
///    the same call, so `<13>Nov 26 23:12:55 sshd[12]: x` has no host key (it
///    used to be host `sshd[12]:`, as td-agent writes it), and `[10.0.0.1]` stays
///    a host. A host with no space after it is an error (Fluentd yields no record).
///    A Cisco origin name is the host, and the word after the stamp its tag.
/// 2. The word after HOST (up to the next space) is the TAG when it ends with
///    `:` (`CRON[32611]:`, `su:`) or, with `supportColonlessIdent` (Fluentd's
///    default), whatever it ends with (`fluentd[11111]`; `Use the BFG!` → ident
///    `Use`). After a host, a word with no space after it is all message and there
///    is no ident (Fluentd); a tag in the host's place with nothing after it is a
///    tag and an empty message (rsyslog).
/// 3. IDENT is the tag up to its first `[`, PID the text of that first `[…]`
///    group: `svc[main][29456]:` (`logger -t 'svc[main]' -i`) gives `svc` and
///    `main`, as rsyslog's tag parser reads it (Fluentd gives pid `main][29456`).
///    A tag with no closed group is all ident: `weird]:` (where Fluentd would
///    raise), `svc[12:`.
/// 4. MESSAGE is the rest after exactly one space (a second space is kept), with
///    one trailing line end removed. rsyslog's `#012` escapes are kept as sent.
///
/// Searches never leave the word they are in, so every step is one pass.
extension SyslogParser {
    @inline(__always)
    func parseRFC3164(
        _ frame: FrameBytes, from start: Int,
        facility: SyslogFacility, severity: SyslogSeverity, now: ReceptionTime
    ) throws(SyslogParseError) -> SyslogMessage {
        var index = start
        let origin = Self.skipCiscoPrefix(frame, &index)
        guard index < frame.count else { throw SyslogParseError(code: .invalidTimestamp, offset: index) }
        var timestamp: SyslogTimestamp
        var stampEnd: Int
        if frame[index].asciiDigit != nil {
            (timestamp, stampEnd) = try Self.parseRFC3339(frame, at: index, localOffset: Int64(configuration.utcOffsetSeconds))
        } else {
            if frame[index] == UInt8(ascii: "*") || frame[index] == UInt8(ascii: ".") { index += 1 }
            (timestamp, stampEnd) = try Self.parseBSDTimestamp(
                frame, at: index, now: now, utcOffsetSeconds: configuration.utcOffsetSeconds
            )
            stampEnd = Self.skipCiscoStampSuffix(
                frame, from: stampEnd, timestamp: &timestamp, utcOffsetSeconds: configuration.utcOffsetSeconds
            )
        }
        guard stampEnd < frame.count, frame[stampEnd] == UInt8(ascii: " ") else {
            throw SyslogParseError(code: .invalidHeader, offset: stampEnd)
        }
        let end = frame.count
        var message = SyslogMessage(
            format: .rfc3164, facility: facility, severity: severity, timestamp: timestamp, host: origin
        )

        // The word after the stamp, and whether a hostname could be it.
        let wordStart = stampEnd + 1
        var wordEnd = wordStart
        var hasBracket = false
        while wordEnd < end {
            let byte = frame[wordEnd]
            if byte == UInt8(ascii: " ") { break }
            if byte == UInt8(ascii: "["), wordEnd > wordStart { hasBracket = true }
            wordEnd += 1
        }
        let word = frame.chomped(wordStart..<wordEnd)
        let isTag = origin != nil || hasBracket || (!word.isEmpty && (
            frame[wordStart] == UInt8(ascii: "%") || frame[word.upperBound - 1] == UInt8(ascii: ":")
        ))
        let tagStart: Int
        if isTag {
            tagStart = wordStart
        } else {
            guard wordEnd < end else { throw SyslogParseError(code: .invalidHeader, offset: end) }
            message.host = wordStart..<wordEnd
            tagStart = wordEnd + 1
        }

        guard let tagEnd = frame.firstIndex(of: UInt8(ascii: " "), from: tagStart, to: end) else {
            let rest = frame.chomped(tagStart..<end)
            if isTag, readTag(frame, rest, into: &message) {
                message.message = rest.upperBound..<rest.upperBound
            } else {
                // Only one word after the host: all of it is message.
                message.message = rest
            }
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
