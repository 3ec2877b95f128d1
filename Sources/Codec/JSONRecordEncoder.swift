import SyslogProtocol

/// Writes parsed syslog messages as the JSON lines td-agent's `out_s3` writes
/// with `format json`: the record Fluentd's `in_syslog` emits, keys in its
/// order (`host`, `ident`, `pid`, `msgid`, `extradata`, `message`), absent keys
/// left out, one record per line.
///
/// No Foundation and no intermediate strings: bytes go from the frame to the
/// output buffer, escaped on the way.
public enum JSONRecordEncoder {
    /// Appends the record of `message` (parsed from `frame`) and a `\n` to `out`.
    ///
    /// `extraFields` then `moreFields` (comma-joined `field(key:value:)`s) are written after the parsed
    /// keys, as Fluentd adds a source's own keys; they are made once per slot or sender, so a record
    /// costs only their copy.
    public static func appendRecord(
        _ message: SyslogMessage, frame: UnsafeRawBufferPointer, extraFields: [UInt8]? = nil, moreFields: [UInt8]? = nil,
        to out: inout [UInt8]
    ) {
        out.append(UInt8(ascii: "{"))
        var first = true
        appendField(#""host":"#, message.host, frame, &out, &first)
        appendField(#""ident":"#, message.ident, frame, &out, &first)
        appendField(#""pid":"#, message.pid, frame, &out, &first)
        appendField(#""msgid":"#, message.msgid, frame, &out, &first)
        appendField(#""extradata":"#, message.extradata, frame, &out, &first)
        appendField(#""message":"#, message.message, frame, &out, &first)
        if let extraFields { appendFields(extraFields, &out, &first) }
        if let moreFields { appendFields(moreFields, &out, &first) }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }

    @inline(__always)
    private static func appendFields(_ fields: [UInt8], _ out: inout [UInt8], _ first: inout Bool) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: fields)
        first = false
    }

    /// `"key":"value"`, escaped, for `appendRecord`'s extra fields or to end another record with.
    public static func field(key: String, value: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count + value.utf8.count + 6)
        var key = key, value = value
        key.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0), to: &out) }
        out.append(UInt8(ascii: ":"))
        value.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0), to: &out) }
        return out
    }

    /// Whether any of eight bytes is not plain printable ASCII: at or above 0x80, below 0x20, `"` or `\`.
    /// (Word tricks exact for "some byte is": a false answer is never given.)
    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        return word & highs != 0
            || (word &- 0x2020_2020_2020_2020) & ~word & highs != 0
            || hasZeroByte(word ^ 0x2222_2222_2222_2222)
            || hasZeroByte(word ^ 0x5C5C_5C5C_5C5C_5C5C)
    }

    @inline(__always)
    private static func appendField(
        _ key: StaticString, _ range: Range<Int>?, _ frame: UnsafeRawBufferPointer,
        _ out: inout [UInt8], _ first: inout Bool
    ) {
        guard let range, range.lowerBound >= 0, range.upperBound <= frame.count else { return }
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        appendJSONString(UnsafeRawBufferPointer(rebasing: frame[range]), to: &out)
    }

    /// Appends `bytes` as a quoted JSON string.
    ///
    /// `"` and `\` are escaped, control characters become `\n` `\t` `\r` `\b` `\f`
    /// or `\u00XX`; DEL is kept. Valid UTF-8 is copied as is. Each byte that is
    /// not part of valid UTF-8 (overlong forms, surrogates, stray continuation
    /// bytes, truncated sequences) is written as `\u00XX`, its Latin-1 reading,
    /// so that the output is always valid JSON and no byte is dropped.
    public static func appendJSONString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let count = bytes.count
        var runStart = 0
        var index = 0
        while index < count {
            // Eight bytes at a time past printable ASCII that needs no escape (most of a message).
            while index + 8 <= count, !needsAttention(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
            guard index < count else { break }
            let byte = bytes[index]
            if byte >= 0x20, byte < 0x80 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    flush(bytes, runStart, index, &out)
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                    index += 1
                    runStart = index
                } else {
                    index += 1
                }
                continue
            }
            if byte < 0x20 {
                flush(bytes, runStart, index, &out)
                appendControl(byte, &out)
                index += 1
                runStart = index
                continue
            }
            let length = validUTF8SequenceLength(bytes, at: index)
            if length > 0 {
                index += length
            } else {
                flush(bytes, runStart, index, &out)
                appendUnicodeEscape(byte, &out)
                index += 1
                runStart = index
            }
        }
        flush(bytes, runStart, count, &out)
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func flush(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ out: inout [UInt8]) {
        if end > start {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
    }

    @inline(__always)
    private static func appendControl(_ byte: UInt8, _ out: inout [UInt8]) {
        let short: UInt8
        switch byte {
        case 0x0A: short = UInt8(ascii: "n")
        case 0x09: short = UInt8(ascii: "t")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            appendUnicodeEscape(byte, &out)
            return
        }
        out.append(UInt8(ascii: "\\"))
        out.append(short)
    }

    @inline(__always)
    private static func appendUnicodeEscape(_ byte: UInt8, _ out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        let digits = hex.utf8Start
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "0"))
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }

    /// The length (2-4) of the well-formed UTF-8 sequence starting at `index`
    /// (a byte >= 0x80), or 0 if it is not well-formed (Unicode Table 3-7).
    @inline(__always)
    static func validUTF8SequenceLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = bytes[index]
        let remaining = bytes.count - index
        @inline(__always) func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            let byte = bytes[index + offset]
            return byte >= low && byte <= high
        }
        switch lead {
        case 0xC2...0xDF:
            return remaining >= 2 && continuation(1) ? 2 : 0
        case 0xE0:
            return remaining >= 3 && continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return remaining >= 3 && continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return remaining >= 3 && continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return remaining >= 4 && continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return remaining >= 4 && continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return remaining >= 4 && continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }
}
