/// Splitting received bytes back into messages, and reading their numbers, with plain byte checks.
enum Frames {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func splitLines(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard !bytes.isEmpty else { return [] }
        guard bytes.last == UInt8(ascii: "\n") else { throw Invalid(description: "the stream does not end with LF") }
        return bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// RFC 6587 octet counting: `<digits> <exactly that many bytes>`, back to back.
    static func splitOctetCounted(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            var length = 0
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                length = length * 10 + Int(bytes[index] - 48)
                digits += 1
                index += 1
            }
            guard digits > 0, digits <= 7, index < bytes.count, bytes[index] == UInt8(ascii: " ") else {
                throw Invalid(description: "no octet count at byte \(index)")
            }
            index += 1
            guard index + length <= bytes.count else { throw Invalid(description: "frame of \(length) cut at the end") }
            messages.append(Array(bytes[index..<index + length]))
            index += length
        }
        return messages
    }

    /// `(connection, number)` of `seq=C:N`.
    static func sequence(_ message: [UInt8]) -> (connection: Int, number: Int)? {
        guard let start = offsetOfSeq(message) else { return nil }
        let rest = String(decoding: message[(start + 4)...].prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let connection = Int(parts[0]), let number = Int(parts[1]) else { return nil }
        return (connection, number)
    }

    /// Byte offset of the first `seq=`.
    static func offsetOfSeq(_ message: [UInt8]) -> Int? {
        let needle = Array("seq=".utf8)
        guard message.count >= needle.count else { return nil }
        return (0...(message.count - needle.count)).first { message[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// `<134>Nov 27 10:00:00 loadgen app[123]: seq=` by shape.
    static func isRFC3164(_ message: [UInt8]) -> Bool {
        let text = String(decoding: message, as: UTF8.self)
        guard text.hasPrefix("<134>"), text.count > 21 else { return false }
        let stamp = Array(text.dropFirst(5).prefix(15))
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard months.contains(String(stamp[0..<3])), stamp[3] == " " else { return false }
        guard stamp[4] == " " || stamp[4].isNumber, stamp[5].isNumber, stamp[6] == " " else { return false }
        guard stamp[7].isNumber, stamp[8].isNumber, stamp[9] == ":", stamp[12] == ":", stamp[14].isNumber else { return false }
        return text.dropFirst(20).hasPrefix(" loadgen app[123]: seq=")
    }

    /// `<134>1 2026-11-27T10:00:00.000000Z loadgen app 123 - - seq=` by shape.
    static func isRFC5424(_ message: [UInt8]) -> Bool {
        let text = String(decoding: message, as: UTF8.self)
        guard text.hasPrefix("<134>1 ") else { return false }
        let fields = text.dropFirst(7).split(separator: " ", maxSplits: 6)
        guard fields.count == 7 else { return false }
        let stamp = Array(fields[0])
        guard stamp.count == 27, stamp[4] == "-", stamp[7] == "-", stamp[10] == "T", stamp[13] == ":", stamp[16] == ":",
              stamp[19] == ".", stamp[26] == "Z"
        else { return false }
        return fields[1] == "loadgen" && fields[2] == "app" && fields[3] == "123" && fields[4] == "-" && fields[5] == "-"
            && fields[6].hasPrefix("seq=")
    }
}
