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
        let days = Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        let secondOfDay = Int(local - Int64(days) * 86_400)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYearMarch = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYearMarch + 2) / 153
        day = dayOfYearMarch - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        dayOfYear = cumulative[month - 1] + day + (isLeap && month > 2 ? 1 : 0)
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
