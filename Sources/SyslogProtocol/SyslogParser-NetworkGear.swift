/// What Cisco IOS (and gear copying its format) puts around an RFC 3164 stamp,
/// read as rsyslog's `pmciscoios` and its stamp parser read it:
///
/// ```
/// <189>29: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up
/// <189>30: Mar  1 00:01:02.345 UTC: %SYS-5-CONFIG_I: Configured from console
/// <189>31: core-sw1: *Mar  1 00:01:02.345: %SYS-5-CONFIG_I: Configured from console
/// ```
///
/// - `29: ` is `service sequence-numbers`; `core-sw1: ` after it is
///   `logging origin-id hostname`, kept as the host.
/// - `*` (clock never set) and `.` (clock lost its NTP sync) before the stamp
///   are dropped: the stamp is still the device's.
/// - The milliseconds are the stamp's fraction (`TimestampParsing.swift`).
/// - `show-timezone` writes the zone's name before the colon. Only `UTC` and
///   `GMT` are applied; any other name is ambiguous (IST, CST), so the stamp is
///   read in the configured zone, as rsyslog does for names it was not given.
///   The name is only taken before a `%` tag, so that a hostless tag such as
///   `app: …` is never read as a zone.
/// - The colon after the stamp is accepted on any BSD stamp, as rsyslog does.
extension SyslogParser {
    /// Moves `index` past `SEQ: ` and, after it, `ORIGIN: `; returns the origin's range.
    @inline(__always)
    static func skipCiscoPrefix(_ frame: FrameBytes, _ index: inout Int) -> Range<Int>? {
        var position = index
        while position < frame.count, frame[position].asciiDigit != nil { position += 1 }
        guard position > index, position + 1 < frame.count,
              frame[position] == UInt8(ascii: ":"), frame[position + 1] == UInt8(ascii: " ")
        else { return nil }
        index = position + 2
        guard !startsLikeStamp(frame, at: index),
              let space = frame.firstIndex(of: UInt8(ascii: " "), from: index, to: frame.count),
              space - 1 > index, frame[space - 1] == UInt8(ascii: ":")
        else { return nil }
        let origin = index..<(space - 1)
        index = space + 1
        return origin
    }

    /// Whether a stamp, possibly with a time-sync mark, could start at `index`: `*`, `.`,
    /// `Mmm ` or `YYYY-`. An IPv6 origin (`2001:db8::1: `) is none of them.
    @inline(__always)
    static func startsLikeStamp(_ frame: FrameBytes, at index: Int) -> Bool {
        guard index + 4 < frame.count else { return false }
        let first = frame[index]
        if first == UInt8(ascii: "*") || first == UInt8(ascii: ".") { return true }
        if first.asciiDigit != nil {
            return frame[index + 1].asciiDigit != nil && frame[index + 2].asciiDigit != nil
                && frame[index + 3].asciiDigit != nil && frame[index + 4] == UInt8(ascii: "-")
        }
        return frame[index + 3] == UInt8(ascii: " ") && monthNumber(first, frame[index + 1], frame[index + 2]) != nil
    }

    /// Moves past ` ZONE` (before `: %`) and one `:` after a BSD stamp ending at `index`;
    /// applies a UTC zone name to `timestamp`, which was read in the configured zone.
    @inline(__always)
    static func skipCiscoStampSuffix(
        _ frame: FrameBytes, from index: Int, timestamp: inout SyslogTimestamp, utcOffsetSeconds: Int32
    ) -> Int {
        var index = index
        if let zoneEnd = ciscoZoneEnd(frame, from: index) {
            if isUTCName(frame, (index + 1)..<zoneEnd) {
                timestamp.seconds += Int64(utcOffsetSeconds)
                timestamp.utcOffsetSeconds = 0
            }
            index = zoneEnd
        }
        if index < frame.count, frame[index] == UInt8(ascii: ":") { index += 1 }
        return index
    }

    /// The end of ` NAME` at `index` when 1-7 upper-case letters are followed by `: %`.
    @inline(__always)
    static func ciscoZoneEnd(_ frame: FrameBytes, from index: Int) -> Int? {
        guard index < frame.count, frame[index] == UInt8(ascii: " ") else { return nil }
        var position = index + 1
        while position < frame.count, position <= index + 7, frame[position] &- UInt8(ascii: "A") < 26 {
            position += 1
        }
        guard position > index + 1, position + 2 < frame.count, frame[position] == UInt8(ascii: ":"),
              frame[position + 1] == UInt8(ascii: " "), frame[position + 2] == UInt8(ascii: "%")
        else { return nil }
        return position
    }

    @inline(__always)
    static func isUTCName(_ frame: FrameBytes, _ name: Range<Int>) -> Bool {
        guard name.count == 3 else { return false }
        let a = frame[name.lowerBound], b = frame[name.lowerBound + 1], c = frame[name.lowerBound + 2]
        return (a == UInt8(ascii: "U") && b == UInt8(ascii: "T") && c == UInt8(ascii: "C"))
            || (a == UInt8(ascii: "G") && b == UInt8(ascii: "M") && c == UInt8(ascii: "T"))
    }
}
