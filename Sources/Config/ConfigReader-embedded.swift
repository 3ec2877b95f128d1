/// Escapes and the two pieces of embedded Ruby that Fluentd configurations use.
///
/// Fluentd evaluates any Ruby inside `"#{...}"`; Sluice evaluates only
/// `Socket.gethostname` and `ENV['NAME']` / `ENV["NAME"]`, from the hostname
/// and environment handed to the reader (so tests control them), and names
/// anything else as an error rather than guessing.
extension FileParser {
    /// Fluentd's `eval_escape_char`: known letters, any symbol as itself.
    mutating func unescape(_ byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "v"): return [0x0B]
        case UInt8(ascii: "a"): return [0x07]
        case UInt8(ascii: "e"): return [0x1B]
        case UInt8(ascii: "s"): return [0x20]
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            let character = String(decoding: [byte], as: UTF8.self)
            log.error(
                .syntax, at: location(line), word: "\\" + character,
                "unknown escape '\\\(character)' in a double-quoted string; write '\\\\\(character)' for a backslash"
            )
            return [UInt8(ascii: "\\"), byte]
        default:
            return [byte]
        }
    }

    /// The code of `#{...}` after the `#{`, up to its matching `}` (consumed);
    /// braces and quotes inside the code are followed, so `ENV["A"]` does not end the string.
    mutating func scanEmbeddedCode(startLine: Int) -> String {
        var code: [UInt8] = []
        var depth = 1
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return String(decoding: code, as: UTF8.self) }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                code.append(byte)
                while let inner = next() {
                    code.append(inner)
                    if inner == UInt8(ascii: "\\"), let escaped = next() {
                        code.append(escaped)
                    } else if inner == byte {
                        break
                    }
                }
                continue
            default:
                break
            }
            code.append(byte)
        }
        log.error(.syntax, at: location(startLine), word: "#{", "embedded code '#{' never ends; add the closing '}'")
        return String(decoding: code, as: UTF8.self)
    }

    func evaluateEmbeddedCode(_ code: String, at location: ConfigLocation) -> String {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        if trimmed == "Socket.gethostname" {
            return reader.hostname
        }
        if let name = Self.environmentVariableName(trimmed) {
            if let value = reader.environment[name] {
                return value
            }
            log.warn(
                .undefinedEnvironmentVariable, at: location, word: name,
                "environment variable '\(name)' is not set; \"#{ENV['\(name)']}\" reads as an empty string"
            )
            return ""
        }
        log.error(
            .unsupportedEmbeddedCode, at: location, word: "#{\(code)}",
            "embedded Ruby '#{\(code)}' is not supported; Sluice evaluates only "
                + "\"#{Socket.gethostname}\" and \"#{ENV['NAME']}\""
        )
        return ""
    }

    /// `NAME` from `ENV['NAME']` or `ENV["NAME"]`.
    static func environmentVariableName(_ code: String) -> String? {
        guard code.hasPrefix("ENV["), code.hasSuffix("]") else { return nil }
        let key = code.dropFirst(4).dropLast().trimmingCharacters(in: .whitespaces)
        guard key.count >= 2, let quote = key.first, quote == "'" || quote == "\"", key.last == quote else {
            return nil
        }
        let name = key.dropFirst().dropLast()
        guard !name.isEmpty, !name.contains("'"), !name.contains("\""), !name.contains("\\") else { return nil }
        return String(name)
    }
}
