import Foundation

/// Fluentd's value types, parsed strictly: where Fluentd reads `1x` as 1 second,
/// Sluice reports it.
public enum ConfigValue {
    /// `256m`, `1g`, `10k`, `1t`, or plain bytes; units are 1024-based and either case, as Fluentd's
    /// `size_value`, which also reads the `768MB`, `1GiB` and `1.5g` that real configurations carry.
    public static func size(_ text: String) -> Int? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces)).lowercased()[...]
        if rest.hasSuffix("b") { rest = rest.dropLast() }
        if rest.hasSuffix("i") { rest = rest.dropLast() }
        let multiplier: Double
        switch rest.last {
        case "k": multiplier = 0x400
        case "m": multiplier = 0x10_0000
        case "g": multiplier = 0x4000_0000
        case "t": multiplier = 0x100_0000_0000
        default:
            // Plain bytes: no fraction, and no "b" or "i" without a unit before it.
            guard rest.count == text.trimmingCharacters(in: .whitespaces).count else { return nil }
            return integer(String(rest)).flatMap { $0 >= 0 ? $0 : nil }
        }
        rest = rest.dropLast()
        while rest.last == " " { rest = rest.dropLast() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            let number = Double(rest)
        else { return nil }
        let bytes = (number * multiplier).rounded()
        guard bytes < 9e18 else { return nil }
        return Int(bytes)
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

    /// A decimal integer with an optional sign; `_` may group digits (`100_000`), as Ruby reads it.
    public static func integer(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var sign = ""
        if digits.first == "-" || digits.first == "+" {
            sign = String(digits.first!)
            digits = digits.dropFirst()
        }
        guard let first = digits.first, first.isASCIIDigit, digits.last!.isASCIIDigit,
            digits.allSatisfy({ $0.isASCIIDigit || $0 == "_" }), !digits.contains("__")
        else { return nil }
        return Int(sign + digits.filter { $0 != "_" })
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

extension ConfigValue {
    /// Fluentd's `hash` type: a JSON object of strings, or `key:value,key:value`.
    public static func hash(_ text: String) -> [(name: String, value: String)]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("{") {
            guard let data = trimmed.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            var pairs: [(String, String)] = []
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                switch value {
                case let string as String: pairs.append((key, string))
                case let number as NSNumber: pairs.append((key, number.stringValue))
                default: return nil
                }
            }
            return pairs
        }
        var pairs: [(String, String)] = []
        for item in trimmed.split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let key = parts[0].trimmingCharacters(in: .whitespaces), value = parts[1].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { return nil }
            pairs.append((key, value))
        }
        return pairs.isEmpty ? nil : pairs
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
