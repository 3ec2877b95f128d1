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
    ///
    /// A record is written into scratch room and appended in one copy: on the stack up to 1 KiB, in
    /// `scratch` (kept by the caller across records) beyond, so that long records cost no allocation.
    public static func appendRecord(
        _ message: SyslogMessage, frame: UnsafeRawBufferPointer, extraFields: [UInt8]? = nil, moreFields: [UInt8]? = nil,
        to out: inout [UInt8], scratch: EncoderScratch? = nil
    ) {
        @inline(__always) func length(_ range: Range<Int>?) -> Int { range?.count ?? 0 }
        let fieldBytes = length(message.host) + length(message.ident) + length(message.pid)
            + length(message.msgid) + length(message.extradata) + length(message.message)
        // Keys, quotes, commas, braces and LF take 73 bytes at most.
        let bound = 96 + escapedBound(fieldBytes) + (extraFields?.count ?? 0) + (moreFields?.count ?? 0)
        out.append(writingAtMost: bound, scratch: scratch) { cursor in
            writeRecord(message, frame, extraFields, moreFields, into: &cursor)
        }
    }

    /// Appends `{"unmatched_line":"…"}` and a `\n` for a line that is not syslog, as Fluentd's
    /// `emit_unmatched_lines` records it, with `moreFields` after it.
    public static func appendUnmatchedRecord(
        _ line: UnsafeRawBufferPointer, moreFields: [UInt8]? = nil, to out: inout [UInt8], scratch: EncoderScratch? = nil
    ) {
        out.append(writingAtMost: 32 + escapedBound(line.count) + (moreFields?.count ?? 0), scratch: scratch) { cursor in
            writeUnmatchedRecord(line, moreFields, into: &cursor)
        }
    }

    /// Appends `bytes` as a quoted JSON string.
    ///
    /// `"` and `\` are escaped, control characters become `\n` `\t` `\r` `\b` `\f`
    /// or `\u00XX`; DEL is kept. Valid UTF-8 is copied as is. Each byte that is
    /// not part of valid UTF-8 (overlong forms, surrogates, stray continuation
    /// bytes, truncated sequences) is written as `\u00XX`, its Latin-1 reading,
    /// so that the output is always valid JSON and no byte is dropped.
    public static func appendJSONString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(writingAtMost: 2 + escapedBound(bytes.count)) { cursor in
            writeJSONString(bytes, into: &cursor)
        }
    }

    /// The most bytes `count` bytes can take escaped: six each (`\u00XX`).
    @inline(__always)
    private static func escapedBound(_ count: Int) -> Int { 6 * count }

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

    @inline(__always)
    static func writeRecord(
        _ message: SyslogMessage, _ frame: UnsafeRawBufferPointer, _ extraFields: [UInt8]?, _ moreFields: [UInt8]?,
        into sink: inout ByteCursor
    ) {
        sink.write(UInt8(ascii: "{"))
        var first = true
        writeField(#""host":"#, message.host, frame, &sink, &first)
        writeField(#""ident":"#, message.ident, frame, &sink, &first)
        writeField(#""pid":"#, message.pid, frame, &sink, &first)
        writeField(#""msgid":"#, message.msgid, frame, &sink, &first)
        writeField(#""extradata":"#, message.extradata, frame, &sink, &first)
        writeField(#""message":"#, message.message, frame, &sink, &first)
        if let extraFields { writeFields(extraFields, &sink, &first) }
        if let moreFields { writeFields(moreFields, &sink, &first) }
        sink.write(UInt8(ascii: "}"))
        sink.write(UInt8(ascii: "\n"))
    }

    private static let unmatchedKey: StaticString = #"{"unmatched_line":"#

    @inline(__always)
    static func writeUnmatchedRecord(_ line: UnsafeRawBufferPointer, _ moreFields: [UInt8]?, into sink: inout ByteCursor) {
        sink.write(UnsafeRawBufferPointer(start: unmatchedKey.utf8Start, count: unmatchedKey.utf8CodeUnitCount))
        writeJSONString(line, into: &sink)
        var first = false
        if let moreFields { writeFields(moreFields, &sink, &first) }
        sink.write(UInt8(ascii: "}"))
        sink.write(UInt8(ascii: "\n"))
    }

    @inline(__always)
    private static func writeFields(_ fields: [UInt8], _ sink: inout ByteCursor, _ first: inout Bool) {
        if !first { sink.write(UInt8(ascii: ",")) }
        fields.withUnsafeBytes { sink.write($0) }
        first = false
    }

    @inline(__always)
    private static func writeField(
        _ key: StaticString, _ range: Range<Int>?, _ frame: UnsafeRawBufferPointer,
        _ sink: inout ByteCursor, _ first: inout Bool
    ) {
        guard let range, range.lowerBound >= 0, range.upperBound <= frame.count else { return }
        if !first { sink.write(UInt8(ascii: ",")) }
        first = false
        sink.write(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        writeJSONString(UnsafeRawBufferPointer(rebasing: frame[range]), into: &sink)
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

    /// Writes `bytes` as a quoted JSON string (see `appendJSONString`).
    ///
    /// One copy of it, called for each field: inlined into every field of a record, the record grew
    /// past what the optimizer inlines into, and byte reads became calls.
    @inline(never)
    static func writeJSONString(_ bytes: UnsafeRawBufferPointer, into sink: inout ByteCursor) {
        sink.write(UInt8(ascii: "\""))
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
                    sink.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                    sink.write(UInt8(ascii: "\\"), byte)
                    index += 1
                    runStart = index
                } else {
                    index += 1
                }
                continue
            }
            if byte < 0x20 {
                sink.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                writeControl(byte, &sink)
                index += 1
                runStart = index
                continue
            }
            let length = validUTF8SequenceLength(bytes, at: index)
            if length > 0 {
                index += length
            } else {
                sink.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                writeUnicodeEscape(byte, &sink)
                index += 1
                runStart = index
            }
        }
        sink.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<count]))
        sink.write(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func writeControl(_ byte: UInt8, _ sink: inout ByteCursor) {
        let short: UInt8
        switch byte {
        case 0x0A: short = UInt8(ascii: "n")
        case 0x09: short = UInt8(ascii: "t")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            writeUnicodeEscape(byte, &sink)
            return
        }
        sink.write(UInt8(ascii: "\\"), short)
    }

    @inline(__always)
    private static func writeUnicodeEscape(_ byte: UInt8, _ sink: inout ByteCursor) {
        let hex: StaticString = "0123456789abcdef"
        let digits = hex.utf8Start
        sink.write(UInt8(ascii: "\\"), UInt8(ascii: "u"))
        sink.write(UInt8(ascii: "0"), UInt8(ascii: "0"))
        sink.write(digits[Int(byte >> 4)], digits[Int(byte & 0xF)])
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

/// Writes through a pointer into room already made for what is written.
struct ByteCursor {
    var pointer: UnsafeMutableRawPointer

    @inline(__always) mutating func write(_ byte: UInt8) {
        pointer.storeBytes(of: byte, as: UInt8.self)
        pointer += 1
    }

    @inline(__always) mutating func write(_ first: UInt8, _ second: UInt8) {
        pointer.storeBytes(of: first, as: UInt8.self)
        pointer.storeBytes(of: second, toByteOffset: 1, as: UInt8.self)
        pointer += 2
    }

    @inline(__always) mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        pointer.copyMemory(from: source, byteCount: bytes.count)
        pointer += bytes.count
    }
}

/// Room to write records in before they are appended, kept across records by whoever encodes many (a
/// parser worker), for records too long for the stack. Not shared: one per worker.
public final class EncoderScratch {
    private var room: UnsafeMutableRawBufferPointer

    public init() {
        room = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        room.deallocate()
    }

    /// At least `count` bytes of room.
    func room(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if room.count < count {
            room.deallocate()
            room = .allocate(byteCount: max(count, 2 * room.count), alignment: 16)
        }
        return room
    }
}

extension Array where Element == UInt8 {
    /// Records up to this many bytes are written on the stack.
    static let stackRoom = 1024

    /// Appends what `body` writes through a cursor, at most `bound` bytes.
    ///
    /// Array offers no uninitialised growth, so the bytes are written into scratch room (on the stack
    /// when it is small, else `scratch` when there is one) and appended in one copy: one capacity and
    /// uniqueness check per call instead of one per run of bytes.
    @inline(__always)
    mutating func append(writingAtMost bound: Int, scratch: EncoderScratch? = nil, _ body: (inout ByteCursor) -> Void) {
        if bound > Self.stackRoom, let scratch {
            append(into: scratch.room(bound), bound: bound, body)
        } else {
            withUnsafeTemporaryAllocation(byteCount: bound, alignment: 1) { append(into: $0, bound: bound, body) }
        }
    }

    @inline(__always)
    private mutating func append(into room: UnsafeMutableRawBufferPointer, bound: Int, _ body: (inout ByteCursor) -> Void) {
        let start = room.baseAddress!
        var cursor = ByteCursor(pointer: start)
        body(&cursor)
        let written = cursor.pointer - start
        precondition(written <= bound, "a JSON record outgrew its bound")
        append(contentsOf: UnsafeRawBufferPointer(start: start, count: written))
    }
}
