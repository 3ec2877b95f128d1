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

    /// Evaluates the Ruby that configurations embed: `Socket.gethostname`, `ENV['NAME']`,
    /// `ENV.fetch('NAME', 'default')`, string literals, joined with `||` (the first that is not nil,
    /// so a variable set to "" gives "", as in Ruby). Anything else is an error naming the code.
    func evaluateEmbeddedCode(_ code: String, at location: ConfigLocation) -> String {
        // Read all of it first: `ENV['A'] || Socket.gethostname` is accepted whether A is set or not.
        var scanner = EmbeddedRuby(code)
        var alternatives: [[EmbeddedRuby.Operand]] = []
        repeat {
            var parts: [EmbeddedRuby.Operand] = []
            repeat {
                guard let operand = scanner.operand() else {
                    unsupported(code, at: location)
                    return ""
                }
                parts.append(operand)
            } while scanner.plus()
            alternatives.append(parts)
        } while scanner.or()
        guard scanner.atEnd else {
            unsupported(code, at: location)
            return ""
        }
        // As in Ruby, the first alternative that is not nil is the value; those after it are not evaluated.
        var unset: [String] = []
        for parts in alternatives {
            var pieces: [String] = []
            for operand in parts {
                switch evaluate(operand, code: code, at: location) {
                case .value(let text): pieces.append(text)
                case .unset(let name): unset.append(name)
                case .failed: return ""
                }
            }
            if pieces.count == parts.count { return pieces.joined() }
            if parts.count > 1 {
                log.error(
                    .undefinedEnvironmentVariable, at: location, word: unset.last ?? code,
                    "environment variable '\(unset.last ?? "")' is not set, so \"#{\(code)}\" adds nil to a string (Fluentd stops here too)"
                )
                return ""
            }
        }
        if let name = unset.first {
            log.warn(
                .undefinedEnvironmentVariable, at: location, word: name,
                "environment variable '\(name)' is not set; \"#{\(code)}\" reads as an empty string"
            )
        }
        return ""
    }

    private enum Evaluation {
        case value(String)
        case unset(String)
        case failed
    }

    private func evaluate(_ operand: EmbeddedRuby.Operand, code: String, at location: ConfigLocation) -> Evaluation {
        switch operand {
        case .literal(let text):
            return .value(text)
        case .hostname:
            return .value(reader.hostname)
        case .environment(let name, let fallback, let mustExist):
            if let value = reader.environment[name] { return .value(value) }
            if let fallback { return .value(fallback) }
            if mustExist {
                log.error(
                    .undefinedEnvironmentVariable, at: location, word: name,
                    "environment variable '\(name)' is not set, and \"#{\(code)}\" has no default (Fluentd stops here too)"
                )
                return .failed
            }
            return .unset(name)
        }
    }

    private func unsupported(_ code: String, at location: ConfigLocation) {
        log.error(
            .unsupportedEmbeddedCode, at: location, word: "#{\(code)}",
            "embedded Ruby '#{\(code)}' is not supported; Sluice evaluates \"#{Socket.gethostname}\", "
                + "\"#{ENV['NAME']}\", \"#{ENV.fetch('NAME', 'default')}\" and \"#{ENV['NAME'] || 'default'}\""
        )
    }
}

/// A scanner for the little Ruby that `"#{...}"` holds in real configurations.
struct EmbeddedRuby {
    enum Operand: Equatable {
        case literal(String)
        case hostname
        /// `ENV['NAME']` (nil when unset) or `ENV.fetch('NAME'[, default])` (an error when unset without one).
        case environment(String, default: String?, mustExist: Bool)
    }

    private let characters: [Character]
    private var position = 0

    init(_ code: String) {
        characters = Array(code)
    }

    var atEnd: Bool {
        var copy = self
        copy.skipSpaces()
        return copy.position == copy.characters.count
    }

    /// Consumes `+` when it comes next.
    mutating func plus() -> Bool {
        skipSpaces()
        return consume("+")
    }

    /// Consumes `||` (or `or`) when it comes next.
    mutating func or() -> Bool {
        skipSpaces()
        if consume("||") || consume("or ") { return true }
        return false
    }

    mutating func operand() -> Operand? {
        skipSpaces()
        if consume("Socket.gethostname") {
            _ = consume("()")
            return .hostname
        }
        if consume("ENV[") {
            guard let name = stringLiteral() else { return nil }
            skipSpaces()
            guard consume("]") else { return nil }
            return .environment(name, default: nil, mustExist: false)
        }
        if consume("ENV.fetch(") {
            guard let name = stringLiteral() else { return nil }
            skipSpaces()
            var fallback: String?
            if consume(",") {
                guard let value = stringLiteral() else { return nil }
                fallback = value
                skipSpaces()
            }
            guard consume(")") else { return nil }
            return .environment(name, default: fallback, mustExist: true)
        }
        return stringLiteral().map(Operand.literal)
    }

    /// `'text'` or `"text"` (backslash escapes the quote and itself), or a bare number.
    private mutating func stringLiteral() -> String? {
        skipSpaces()
        guard position < characters.count else { return nil }
        let quote = characters[position]
        if quote.isNumber {
            var text = ""
            while position < characters.count, characters[position].isNumber || characters[position] == "." {
                text.append(characters[position])
                position += 1
            }
            return text
        }
        guard quote == "'" || quote == "\"" else { return nil }
        position += 1
        var text = ""
        while position < characters.count {
            let character = characters[position]
            position += 1
            if character == quote { return text }
            if character == "\\", position < characters.count {
                text.append(characters[position])
                position += 1
            } else {
                text.append(character)
            }
        }
        return nil
    }

    private mutating func consume(_ word: String) -> Bool {
        let word = Array(word)
        guard position + word.count <= characters.count, Array(characters[position..<position + word.count]) == word
        else { return false }
        position += word.count
        return true
    }

    private mutating func skipSpaces() {
        while position < characters.count, characters[position] == " " { position += 1 }
    }
}
