/// Calendar fields of an instant in a fixed-offset zone, without Foundation's calendar machinery:
/// object keys and log lines need only these few fields, computed fast.
public struct CivilTime: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Day of the year, 1-based.
    public var dayOfYear: Int

    /// The fields of `seconds` (Unix time) seen at `utcOffset` seconds east of UTC.
    public init(unixSeconds seconds: Int64, utcOffset: Int64 = 0) {
        let local = seconds + utcOffset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secondOfDay = Int(local - days * 86_400)
        let date = CivilDate.civilFromDays(days)
        year = Int(date.year)
        month = Int(date.month)
        day = Int(date.day)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        dayOfYear = Int(days - CivilDate.daysFromCivil(year: date.year, month: 1, day: 1)) + 1
    }

    /// `format` with strftime's `%Y %y %m %d %H %M %S %j %z %%` replaced; other text kept.
    public func formatted(_ format: String, utcOffset: Int64 = 0) -> String {
        var result = ""
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            guard let directive = iterator.next() else {
                result.append("%")
                break
            }
            switch directive {
            case "Y": result += String(year)
            case "y": result += Self.pad(year % 100, 2)
            case "m": result += Self.pad(month, 2)
            case "d": result += Self.pad(day, 2)
            case "H": result += Self.pad(hour, 2)
            case "M": result += Self.pad(minute, 2)
            case "S": result += Self.pad(second, 2)
            case "j": result += Self.pad(dayOfYear, 3)
            case "z":
                let sign = utcOffset < 0 ? "-" : "+"
                let minutes = Int(abs(utcOffset) / 60)
                result += sign + Self.pad(minutes / 60, 2) + Self.pad(minutes % 60, 2)
            case "%": result += "%"
            default:
                result.append("%")
                result.append(directive)
            }
        }
        return result
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
