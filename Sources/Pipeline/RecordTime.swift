import CivilTime

/// An event time and how Fluentd's time formatters write it.
struct RecordTime: Sendable, Equatable {
    var seconds: Int64
    var nanoseconds: Int32 = 0

    /// Fluentd's format when none is given: Ruby's `Time#iso8601`, `Z` in UTC, `+09:00` elsewhere.
    static func defaultFormat(utc: Bool) -> String {
        utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%:z"
    }

    /// Fluentd's float time: cut to microseconds (`to_r.truncate(6).to_f`), then the double nearest
    /// that decimal, so `.999999999` stays in its second.
    var microsecondFloat: Double {
        let micros = Int(max(0, nanoseconds)) / 1000
        let fraction = String(micros)
        return Double("\(seconds).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)") ?? Double(seconds)
    }

    private static let months = Array("JanFebMarAprMayJunJulAugSepOctNovDec".utf8)

    /// strftime as Ruby's `Time#strftime`, for the fields configurations use: `%Y %y %m %d %e %H %M
    /// %S %j %b %z %:z %Z %s %L %N %3N %6N %9N %%`; other text is kept. Written byte by byte: the slow
    /// path formats a time for every record it injects one into.
    func formatted(_ format: String, utcOffset: Int64) -> String {
        let civil = CivilTime(unixSeconds: seconds, utcOffset: utcOffset)
        var out: [UInt8] = []
        out.reserveCapacity(format.utf8.count + 16)
        let bytes = Array(format.utf8)
        var index = 0
        func number(_ value: Int, width: Int) {
            var digits: [UInt8] = []
            var rest = abs(value)
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            for _ in digits.count..<max(width, digits.count) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits.reversed())
        }
        func zone(colon: Bool) {
            let minutes = Int(abs(utcOffset) / 60)
            out.append(utcOffset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            number(minutes / 60, width: 2)
            if colon { out.append(UInt8(ascii: ":")) }
            number(minutes % 60, width: 2)
        }
        func fraction(_ digits: Int) {
            var value = Int(max(0, nanoseconds))
            for _ in digits..<9 { value /= 10 }
            number(value, width: digits)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "%"), index < bytes.count else {
                out.append(byte)
                continue
            }
            var width: Int?
            if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "N") {
                width = Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let field = bytes[index]
            index += 1
            switch field {
            case UInt8(ascii: "Y"): number(civil.year, width: 4)
            case UInt8(ascii: "y"): number(civil.year % 100, width: 2)
            case UInt8(ascii: "m"): number(civil.month, width: 2)
            case UInt8(ascii: "d"): number(civil.day, width: 2)
            case UInt8(ascii: "e"):
                if civil.day < 10 { out.append(UInt8(ascii: " ")) }
                number(civil.day, width: 1)
            case UInt8(ascii: "H"): number(civil.hour, width: 2)
            case UInt8(ascii: "M"): number(civil.minute, width: 2)
            case UInt8(ascii: "S"): number(civil.second, width: 2)
            case UInt8(ascii: "j"): number(civil.dayOfYear, width: 3)
            case UInt8(ascii: "b"):
                let start = (max(1, min(12, civil.month)) - 1) * 3
                out.append(contentsOf: Self.months[start..<start + 3])
            case UInt8(ascii: "z"): zone(colon: false)
            case UInt8(ascii: ":") where index < bytes.count && bytes[index] == UInt8(ascii: "z"):
                index += 1
                zone(colon: true)
            case UInt8(ascii: "Z"):
                if utcOffset == 0 { out.append(contentsOf: "UTC".utf8) } else { zone(colon: false) }
            case UInt8(ascii: "s"): out.append(contentsOf: String(seconds).utf8)
            case UInt8(ascii: "L"): fraction(3)
            case UInt8(ascii: "N"): fraction(width ?? 9)
            case UInt8(ascii: "%"): out.append(UInt8(ascii: "%"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(field)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
