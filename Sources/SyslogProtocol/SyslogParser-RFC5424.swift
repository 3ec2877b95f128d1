/// RFC 5424 as Fluentd's `REGEXP_RFC5424_WITH_PRI` reads it, with the RFC's
/// grammar where that regexp is loose:
///
/// `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`
///
/// - VERSION is 1-999; TIMESTAMP is `-` (no timestamp: the caller uses the
///   receive time) or RFC 3339.
/// - HOSTNAME, APP-NAME, PROCID, MSGID are 1-255, 1-48, 1-128, 1-32 printable
///   US-ASCII characters; NILVALUE `-` is kept as the string `"-"` (Fluentd
///   keeps it; go-syslog and Vector drop the key).
/// - SD is `-` or one or more `[SD-ID *(SP PARAM-NAME="value")]`, kept raw in
///   `extradata`. Values may hold any byte but an unescaped `"`; `\` escapes the
///   next byte. An unescaped `]` inside a quoted value is accepted (Fluentd
///   accepts it, and the quotes make it unambiguous), and so are duplicate
///   SD-IDs (Fluentd keeps them raw).
/// - After SD: the end of the frame (no `message` key), one trailing line end
///   (no `message` key; UDP senders append LF), or exactly one SP and MSG. MSG
///   keeps a second leading space, its bytes as sent (invalid UTF-8 is accepted,
///   as go-syslog's default), minus one trailing line end. A UTF-8 BOM starting
///   MSG is dropped: RFC 5424 6.4 makes it a marker that MSG is UTF-8, not part
///   of the text, and syslog-ng drops it too (Fluentd and go-syslog keep it;
///   stored, it makes the first word of every message differ from what was
///   logged). A lone SP gives `message: ""`, as Fluentd's string engine.
///
/// Anything else is an error, so a malformed frame is kept raw by the caller
/// rather than half-parsed.
extension SyslogParser {
    @inline(__always)
    func parseRFC5424(
        _ frame: FrameBytes, from start: Int,
        facility: SyslogFacility, severity: SyslogSeverity
    ) throws(SyslogParseError) -> SyslogMessage {
        guard Self.startsWithVersion(frame, at: start),
              let versionEnd = frame.firstIndex(of: UInt8(ascii: " "), from: start, to: frame.count)
        else { throw SyslogParseError(code: .invalidVersion, offset: start) }
        var index = versionEnd + 1

        var timestamp: SyslogTimestamp? = nil
        if index < frame.count, frame[index] == UInt8(ascii: "-") {
            index += 1
        } else {
            let (parsed, stampEnd) = try Self.parseRFC3339(frame, at: index)
            timestamp = parsed
            index = stampEnd
        }
        guard index < frame.count, frame[index] == UInt8(ascii: " ") else {
            throw SyslogParseError(code: .invalidTimestamp, offset: index)
        }
        index += 1

        let host = try Self.headerField(frame, &index, maxLength: 255, code: .invalidHostname)
        let ident = try Self.headerField(frame, &index, maxLength: 48, code: .invalidAppName)
        let pid = try Self.headerField(frame, &index, maxLength: 128, code: .invalidProcID)
        let msgid = try Self.headerField(frame, &index, maxLength: 32, code: .invalidMsgID)
        let extradata = try Self.structuredData(frame, from: index)

        var message = SyslogMessage(
            format: .rfc5424, facility: facility, severity: severity, timestamp: timestamp,
            host: host, ident: ident, pid: pid, msgid: msgid, extradata: extradata
        )
        let end = frame.count
        let afterSD = extradata.upperBound
        if afterSD == end || frame.chomped(afterSD..<end).isEmpty {
            return message
        }
        guard frame[afterSD] == UInt8(ascii: " ") else {
            throw SyslogParseError(code: .invalidStructuredData, offset: afterSD)
        }
        var messageStart = afterSD + 1
        if frame.startsWithBOM(at: messageStart) { messageStart += 3 }
        message.message = frame.chomped(messageStart..<end)
        return message
    }

    /// 1...maxLength PRINTUSASCII bytes followed by SP; moves `index` past the SP.
    @inline(__always)
    static func headerField(
        _ frame: FrameBytes, _ index: inout Int, maxLength: Int, code: SyslogParseError.Code
    ) throws(SyslogParseError) -> Range<Int> {
        let start = index
        var position = start
        while position < frame.count, frame[position].isPrintableASCII {
            position += 1
        }
        let length = position - start
        guard length >= 1, length <= maxLength, position < frame.count, frame[position] == UInt8(ascii: " ") else {
            throw SyslogParseError(code: code, offset: min(position, start + maxLength))
        }
        index = position + 1
        return start..<position
    }

    /// The STRUCTURED-DATA starting at `start`: `-` or SD-ELEMENTs. Returns its range.
    @inline(__always)
    static func structuredData(_ frame: FrameBytes, from start: Int) throws(SyslogParseError) -> Range<Int> {
        guard start < frame.count else { throw SyslogParseError(code: .invalidStructuredData, offset: start) }
        if frame[start] == UInt8(ascii: "-") { return start..<(start + 1) }
        var index = start
        guard frame[index] == UInt8(ascii: "[") else {
            throw SyslogParseError(code: .invalidStructuredData, offset: start)
        }
        while index < frame.count, frame[index] == UInt8(ascii: "[") {
            index += 1
            try sdName(frame, &index)
            while index < frame.count, frame[index] == UInt8(ascii: " ") {
                index += 1
                try sdName(frame, &index)
                guard index + 1 < frame.count, frame[index] == UInt8(ascii: "="), frame[index + 1] == UInt8(ascii: "\"")
                else { throw SyslogParseError(code: .invalidStructuredData, offset: index) }
                index += 2
                try sdValue(frame, &index)
            }
            guard index < frame.count, frame[index] == UInt8(ascii: "]") else {
                throw SyslogParseError(code: .invalidStructuredData, offset: index)
            }
            index += 1
        }
        return start..<index
    }

    /// SD-NAME: 1-32 PRINTUSASCII except `=`, SP, `]` and `"`.
    @inline(__always)
    private static func sdName(_ frame: FrameBytes, _ index: inout Int) throws(SyslogParseError) {
        let start = index
        while index < frame.count {
            let byte = frame[index]
            guard byte.isPrintableASCII, byte != UInt8(ascii: "="), byte != UInt8(ascii: "]"),
                  byte != UInt8(ascii: "\"")
            else { break }
            index += 1
        }
        let length = index - start
        guard length >= 1, length <= 32 else { throw SyslogParseError(code: .invalidStructuredData, offset: start) }
    }

    /// PARAM-VALUE after its opening quote, through the closing quote.
    @inline(__always)
    private static func sdValue(_ frame: FrameBytes, _ index: inout Int) throws(SyslogParseError) {
        while index < frame.count {
            switch frame[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 2
            default:
                index += 1
            }
        }
        throw SyslogParseError(code: .invalidStructuredData, offset: frame.count)
    }
}
