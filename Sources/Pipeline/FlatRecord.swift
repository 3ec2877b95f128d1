import Codec

/// A record as filters and formatters see it: its fields in order, as Fluentd's record hash keeps them.
///
/// Records only take this form on the slow path, where a `<filter>`, `<inject>`, a second route or a
/// format other than JSON lines needs the fields themselves; the common path encodes JSON straight
/// from the parsed message.
struct FlatRecord: Sendable, Equatable {
    enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        /// Ruby's nil: what record_transformer writes for a placeholder it does not know.
        case null

        /// The value as Ruby's `to_s` writes it.
        var text: String {
            switch self {
            case .string(let text): text
            case .integer(let number): String(number)
            case .float(let number): String(number)
            case .null: ""
            }
        }
    }

    var fields: [(key: String, value: Value)] = []

    static func == (lhs: FlatRecord, rhs: FlatRecord) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    subscript(key: String) -> Value? {
        get { fields.last { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key, newValue))
            }
        }
    }

    /// Reads the flat JSON object the record encoder writes (string, integer and float values);
    /// nil for anything else.
    init?(json bytes: some Collection<UInt8>) {
        var reader = JSONObjectReader(bytes: Array(bytes))
        guard let fields = reader.readObject() else { return nil }
        self.fields = fields
    }

    init(fields: [(key: String, value: Value)] = []) {
        self.fields = fields
    }

    /// `{"key":"value",...}` without a newline, escaped as the record encoder escapes.
    func appendJSON(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendJSONString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch field.value {
            case .string(let text): Self.appendJSONString(text, to: &out)
            case .integer(let number): out.append(contentsOf: String(number).utf8)
            case .float(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
            case .null: out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { JSONRecordEncoder.appendJSONString(UnsafeRawBufferPointer($0), to: &out) }
    }
}

/// A reader of one flat JSON object; nested values are not expected from the record encoder.
private struct JSONObjectReader {
    let bytes: [UInt8]
    var position = 0

    mutating func readObject() -> [(key: String, value: FlatRecord.Value)]? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var fields: [(key: String, value: FlatRecord.Value)] = []
        skipSpace()
        if take(UInt8(ascii: "}")) { return fields }
        while true {
            skipSpace()
            guard let key = readString() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard let value = readValue() else { return nil }
            fields.append((key, value))
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? fields : nil
        }
    }

    private mutating func readValue() -> FlatRecord.Value? {
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: "\"") { return readString().map(FlatRecord.Value.string) }
        let start = position
        while position < bytes.count, "-+.eE0123456789".utf8.contains(bytes[position]) { position += 1 }
        if position == start, bytes[position...].starts(with: "null".utf8) {
            position += 4
            return .null
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if let integer = Int64(text) { return .integer(integer) }
        return Double(text).map(FlatRecord.Value.float)
    }

    private mutating func readString() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        // Most values have no escape: one decoding of the bytes up to the closing quote.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty { scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars); run.removeAll() }
        }
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard position < bytes.count else { return nil }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard var code = readHex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    {
                        position += 2
                        guard let low = readHex4() else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(escaped))
                }
            default:
                run.append(byte)
            }
        }
        return nil
    }

    private mutating func readHex4() -> UInt32? {
        guard position + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { return nil }
        position += 4
        return value
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func skipSpace() {
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\n") { position += 1 }
    }
}
