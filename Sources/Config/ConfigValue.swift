/// Fluentd's value types, parsed strictly: where Fluentd reads `1x` as 1 second,
/// Sluice reports it.
public enum ConfigValue {
    /// `256m`, `1g`, `10k`, `1t`, or plain bytes; units are 1024-based and either case, as Fluentd's `size_value`.
    public static func size(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let multiplier: Int
        var digits = Substring(text)
        switch last {
        case "k", "K": multiplier = 1 << 10
        case "m", "M": multiplier = 1 << 20
        case "g", "G": multiplier = 1 << 30
        case "t", "T": multiplier = 1 << 40
        default: multiplier = 1
        }
        if multiplier != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// `30s`, `60m`, `1h`, `1d`, or plain (possibly decimal) seconds, as Fluentd's `time_value`.
    public static func time(_ text: String) -> Duration? {
        guard let last = text.last else { return nil }
        let unit: Double
        var number = Substring(text)
        switch last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: unit = 0
        }
        if unit != 0 { number = number.dropLast() }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            let seconds = Double(number)
        else { return nil }
        let total = seconds * (unit == 0 ? 1 : unit)
        guard total.isFinite, total < 1e12 else { return nil }
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    /// `true`/`yes` and `false`/`no`; an empty value is true, as in Fluentd (`flag` alone sets it).
    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "yes", "": return true
        case "false", "no": return false
        default: return nil
        }
    }

    /// A decimal integer with an optional sign.
    public static func integer(_ text: String) -> Int? {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(text)
    }

    /// Seconds east of UTC from `+09:00`, `-0500`, `+09`, `UTC`, `GMT` or `Z`.
    public static func utcOffset(_ text: String) -> Int? {
        if ["UTC", "utc", "GMT", "Z"].contains(text) { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let rest = text.dropFirst()
        let digits = rest.filter { $0 != ":" }
        let colonOK = !rest.contains(":") || (rest.count == 5 && rest.dropFirst(2).first == ":")
        guard colonOK, digits.count == 2 || digits.count == 4, digits.allSatisfy(\.isASCIIDigit),
            let hours = Int(digits.prefix(2)), let minutes = Int(digits.count == 4 ? digits.suffix(2) : "00"),
            hours <= 23, minutes <= 59
        else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return sign == "-" ? -seconds : seconds
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
