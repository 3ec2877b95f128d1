import CivilTime

/// The two stamp grammars found in syslog headers, parsed straight from bytes.
///
/// - RFC 3339 (RFC 5424's TIMESTAMP, and rsyslog's `RSYSLOG_ForwardFormat` in
///   an otherwise RFC 3164 header): `YYYY-MM-DDThh:mm:ss[.1-9 digits](Z|±hh:mm)`.
///   `T` and `Z` must be upper case (RFC 5424 §6.2.3). In an RFC 3164 header the
///   zone may be missing (syslog-ng's `loggen`): local time in the source's zone. Up to 9 fraction digits
///   are kept (rsyslog sends 6; go-syslog's limit of 6 would reject chrony-era
///   senders writing nanoseconds).
/// - BSD (RFC 3164): `Mmm dd hh:mm:ss` with the day space- or zero-padded or
///   bare (`Nov  6`, `Nov 06`, `Nov 6`), the month in any case (Ruby's
///   `strptime %b`), an optional year before the time as network gear writes
///   it (`Nov 26 2026 23:12:55`, as rsyslog accepts) and an optional fraction
///   (`12:00:00.456`, as Fluentd's string parser accepts).
///
/// Both reject dates and times that do not exist (Feb 30, 24:00, minute 60).
extension SyslogParser {
    /// Parses an RFC 3339 stamp starting at `start`; returns it and the index after it. With
    /// `localOffset` (an RFC 3164 header) a stamp without a zone is also taken, as local time at that
    /// offset: syslog-ng's `loggen` writes `2026-11-27T08:57:07` in its RFC 3164 mode.
    @inline(__always)
    static func parseRFC3339(
        _ frame: FrameBytes, at start: Int, localOffset: Int64? = nil
    ) throws(SyslogParseError) -> (SyslogTimestamp, Int) {
        var index = start
        let year = try digits(frame, &index, count: 4)
        try expect(frame, &index, "-")
        let month = try digits(frame, &index, count: 2)
        try expect(frame, &index, "-")
        let day = try digits(frame, &index, count: 2)
        try expect(frame, &index, "T")
        let hour = try digits(frame, &index, count: 2)
        try expect(frame, &index, ":")
        let minute = try digits(frame, &index, count: 2)
        try expect(frame, &index, ":")
        let second = try digits(frame, &index, count: 2)
        guard month >= 1, month <= 12, day >= 1, day <= CivilDate.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { throw SyslogParseError(code: .invalidTimestamp, offset: start) }
        let nanoseconds = try fraction(frame, &index)
        guard index < frame.count else { throw SyslogParseError(code: .invalidTimestamp, offset: index) }
        var offset: Int64 = 0
        switch frame[index] {
        case UInt8(ascii: " ") where localOffset != nil:
            offset = localOffset!
        case UInt8(ascii: "Z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = frame[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            let offsetHour = try digits(frame, &index, count: 2)
            try expect(frame, &index, ":")
            let offsetMinute = try digits(frame, &index, count: 2)
            guard offsetHour <= 23, offsetMinute <= 59 else {
                throw SyslogParseError(code: .invalidTimestamp, offset: index)
            }
            offset = sign * (offsetHour * 3600 + offsetMinute * 60)
        default:
            throw SyslogParseError(code: .invalidTimestamp, offset: index)
        }
        let seconds = CivilDate.unixSeconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            utcOffsetSeconds: offset
        )
        return (SyslogTimestamp(seconds: seconds, nanoseconds: nanoseconds, utcOffsetSeconds: Int32(offset)), index)
    }

    /// Parses a BSD stamp starting at `start`; returns it and the index after it.
    @inline(__always)
    static func parseBSDTimestamp(
        _ frame: FrameBytes, at start: Int, now: ReceptionTime, utcOffsetSeconds: Int32
    ) throws(SyslogParseError) -> (SyslogTimestamp, Int) {
        var index = start
        guard start + 3 <= frame.count, let month = monthNumber(frame[start], frame[start + 1], frame[start + 2]) else {
            throw SyslogParseError(code: .invalidTimestamp, offset: start)
        }
        index += 3
        try expect(frame, &index, " ")
        if index < frame.count, frame[index] == UInt8(ascii: " ") { index += 1 }
        let day = try oneOrTwoDigits(frame, &index)
        try expect(frame, &index, " ")
        var year: Int64? = nil
        if index + 4 < frame.count, frame[index + 4] == UInt8(ascii: " ") {
            year = try digits(frame, &index, count: 4)
            index += 1
        }
        let hour = try digits(frame, &index, count: 2)
        try expect(frame, &index, ":")
        let minute = try digits(frame, &index, count: 2)
        try expect(frame, &index, ":")
        let second = try digits(frame, &index, count: 2)
        let nanoseconds = try fraction(frame, &index)
        let zone = Int64(utcOffsetSeconds)
        let resolvedYear = year ?? now.year(ofStampIn: month)
        guard day >= 1, day <= CivilDate.daysInMonth(year: resolvedYear, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { throw SyslogParseError(code: .invalidTimestamp, offset: start) }
        let seconds = CivilDate.unixSeconds(
            year: resolvedYear, month: month, day: day, hour: hour, minute: minute, second: second,
            utcOffsetSeconds: zone
        )
        return (SyslogTimestamp(seconds: seconds, nanoseconds: nanoseconds, utcOffsetSeconds: nil), index)
    }

    /// Month 1-12 from its English abbreviation, any case.
    @inline(__always)
    static func monthNumber(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int64? {
        // Folding to lower case with | 0x20 is safe: only letters can then match.
        let key = UInt32(a | 0x20) << 16 | UInt32(b | 0x20) << 8 | UInt32(c | 0x20)
        switch key {
        case 0x6A_616E: return 1  // jan
        case 0x66_6562: return 2  // feb
        case 0x6D_6172: return 3  // mar
        case 0x61_7072: return 4  // apr
        case 0x6D_6179: return 5  // may
        case 0x6A_756E: return 6  // jun
        case 0x6A_756C: return 7  // jul
        case 0x61_7567: return 8  // aug
        case 0x73_6570: return 9  // sep
        case 0x6F_6374: return 10  // oct
        case 0x6E_6F76: return 11  // nov
        case 0x64_6563: return 12  // dec
        default: return nil
        }
    }

    @inline(__always)
    private static func digits(_ frame: FrameBytes, _ index: inout Int, count: Int) throws(SyslogParseError) -> Int64 {
        guard index + count <= frame.count else { throw SyslogParseError(code: .invalidTimestamp, offset: frame.count) }
        var value: Int64 = 0
        for position in index..<(index + count) {
            guard let digit = frame[position].asciiDigit else {
                throw SyslogParseError(code: .invalidTimestamp, offset: position)
            }
            value = value * 10 + Int64(digit)
        }
        index += count
        return value
    }

    @inline(__always)
    private static func oneOrTwoDigits(_ frame: FrameBytes, _ index: inout Int) throws(SyslogParseError) -> Int64 {
        guard index < frame.count, let first = frame[index].asciiDigit else {
            throw SyslogParseError(code: .invalidTimestamp, offset: index)
        }
        index += 1
        if index < frame.count, let second = frame[index].asciiDigit {
            index += 1
            return Int64(first * 10 + second)
        }
        return Int64(first)
    }

    @inline(__always)
    private static func expect(_ frame: FrameBytes, _ index: inout Int, _ byte: Unicode.Scalar) throws(SyslogParseError) {
        guard index < frame.count, frame[index] == UInt8(ascii: byte) else {
            throw SyslogParseError(code: .invalidTimestamp, offset: index)
        }
        index += 1
    }

    /// An optional `.` and 1-9 digits, as nanoseconds.
    @inline(__always)
    private static func fraction(_ frame: FrameBytes, _ index: inout Int) throws(SyslogParseError) -> Int32 {
        guard index < frame.count, frame[index] == UInt8(ascii: ".") else { return 0 }
        index += 1
        var value: Int32 = 0
        var count = 0
        while index < frame.count, let digit = frame[index].asciiDigit {
            count += 1
            guard count <= 9 else { throw SyslogParseError(code: .invalidTimestamp, offset: index) }
            value = value * 10 + Int32(digit)
            index += 1
        }
        guard count > 0 else { throw SyslogParseError(code: .invalidTimestamp, offset: index) }
        for _ in count..<9 { value *= 10 }
        return value
    }
}
