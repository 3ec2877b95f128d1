import CivilTime

/// An event time and how Fluentd's time formatters write it.
struct RecordTime: Sendable, Equatable {
    var seconds: Int64
    var nanoseconds: Int32 = 0

    /// Fluentd's format when none is given: Ruby's `Time#iso8601`, `Z` in UTC, `+09:00` elsewhere.
    static func defaultFormat(utc: Bool) -> String {
        utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%:z"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// strftime as Ruby's `Time#strftime`, for the fields configurations use: CivilTime's, and
    /// `%N` (`%3N`, `%6N`, `%9N`), `%L`, `%s`, `%b`, `%e`, `%Z`.
    func formatted(_ format: String, utcOffset: Int64) -> String {
        var rest = ""
        var characters = format[...]
        let civil = CivilTime(unixSeconds: seconds, utcOffset: utcOffset)
        while let percent = characters.firstIndex(of: "%") {
            rest += characters[..<percent]
            var cursor = characters.index(after: percent)
            guard cursor < characters.endIndex else {
                rest += "%"
                characters = characters[cursor...]
                break
            }
            if characters[cursor] == ":", characters.index(after: cursor) < characters.endIndex,
                characters[characters.index(after: cursor)] == "z"
            {
                let zone = civil.formatted("%z", utcOffset: utcOffset)
                rest += zone.prefix(3) + ":" + zone.suffix(2)
                characters = characters[characters.index(cursor, offsetBy: 2)...]
                continue
            }
            var width: Int?
            if characters[cursor].isNumber, let digit = characters[cursor].wholeNumberValue {
                width = digit
                cursor = characters.index(after: cursor)
                guard cursor < characters.endIndex else { break }
            }
            let field = characters[cursor]
            let next = characters.index(after: cursor)
            switch field {
            case "N":
                let digits = String(format9(nanoseconds))
                rest += String(digits.prefix(width ?? 9))
            case "L": rest += String(format9(nanoseconds).prefix(3))
            case "s": rest += String(seconds)
            case "b": rest += Self.months[max(0, min(11, civil.month - 1))]
            case "e": rest += civil.day < 10 ? " \(civil.day)" : "\(civil.day)"
            case "Z": rest += utcOffset == 0 ? "UTC" : civil.formatted("%z", utcOffset: utcOffset)
            default: rest += civil.formatted("%" + String(field), utcOffset: utcOffset)
            }
            characters = characters[next...]
        }
        return rest + characters
    }

    private func format9(_ nanoseconds: Int32) -> String {
        let text = String(max(0, nanoseconds))
        return String(repeating: "0", count: max(0, 9 - text.count)) + text
    }
}
