import Foundation

/// Reads Fluentd v1 configuration syntax into a tree of ``ConfigElement``s.
///
/// Follows Fluentd's `v1_parser.rb` and `literal_parser.rb`:
/// - `<name argument>` ... `</name>` sections, at any indentation;
/// - `name value` parameters; a value is the rest of the line, a `"double"`
///   or `'single'` quoted string (which may span lines), and an unquoted value
///   ends at a `#` that follows whitespace (`timekey 3600 # 1 hour`), while
///   `a#b` keeps its `#`;
/// - whole-line `#` comments;
/// - `@include PATH` splices the sections and parameters of other files into
///   the current section (see `ConfigReader-include.swift`);
/// - `#{...}` in double-quoted strings (see `ConfigReader-embedded.swift`).
///
/// Problems go to the ``ProblemLog``; reading carries on past each, so one
/// run reports them all.
struct ConfigReader {
    var environment: [String: String]
    var hostname: String
    let log: ProblemLog

    /// Reads the file at `path`; an unreadable file yields an empty root and a problem.
    func read(path: String) -> ConfigElement {
        guard let text = Self.contents(ofFile: path) else {
            log.error(
                .unreadableFile, at: ConfigLocation(file: path, line: 0), word: path,
                "cannot read the configuration file '\(path)'"
            )
            return ConfigElement(name: "", location: ConfigLocation(file: path, line: 1))
        }
        return read(text: text, file: path)
    }

    /// Reads `text` as if it were the file `file`: includes resolve relative to its folder.
    func read(text: String, file: String) -> ConfigElement {
        var parser = FileParser(
            bytes: Array(text.utf8), file: file, reader: self, includeStack: [Self.canonicalPath(file)]
        )
        return parser.parse()
    }

    static func contents(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The scanner for one file; included files get their own.
struct FileParser {
    let bytes: [UInt8]
    let file: String
    let reader: ConfigReader
    /// Canonical paths of the files being read, outermost first, to detect include cycles.
    let includeStack: [String]
    var position = 0
    var line = 1

    init(bytes: [UInt8], file: String, reader: ConfigReader, includeStack: [String]) {
        self.bytes = bytes
        self.file = file
        self.reader = reader
        self.includeStack = includeStack
    }

    var log: ProblemLog { reader.log }

    func location(_ line: Int) -> ConfigLocation { ConfigLocation(file: file, line: line) }

    mutating func parse() -> ConfigElement {
        var stack = [ConfigElement(name: "", location: location(1))]
        while true {
            skipBlankLinesAndComments()
            guard let byte = peek() else { break }
            if byte == UInt8(ascii: "<") {
                if peek(1) == UInt8(ascii: "/") {
                    parseCloseTag(&stack)
                } else {
                    parseOpenTag(&stack)
                }
            } else {
                parseParameter(into: &stack[stack.count - 1])
            }
        }
        while stack.count > 1 {
            let open = stack.removeLast()
            reportUnclosed(open)
            stack[stack.count - 1].elements.append(open)
        }
        return stack[0]
    }

    // MARK: Sections

    private mutating func parseOpenTag(_ stack: inout [ConfigElement]) {
        let startLine = line
        position += 1  // <
        let name = scan(while: Self.isNameByte)
        guard !name.isEmpty else {
            let rest = restOfLine()
            log.error(.syntax, at: location(startLine), word: "<" + rest, "expected a section name after '<' in '<\(rest)'")
            return
        }
        skipSpaces()
        let argument = scan { $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "\n") }
            .trimmingCharacters(in: .whitespaces)
        if peek() == UInt8(ascii: ">") {
            position += 1
            expectLineEnd(after: "<\(name)>")
        } else {
            log.error(.syntax, at: location(startLine), word: name, "expected '>' to end <\(name)")
        }
        stack.append(ConfigElement(name: name, argument: argument, location: location(startLine)))
    }

    private mutating func parseCloseTag(_ stack: inout [ConfigElement]) {
        let startLine = line
        position += 2  // </
        let name = scan(while: Self.isNameByte)
        skipSpaces()
        if peek() == UInt8(ascii: ">") {
            position += 1
            expectLineEnd(after: "</\(name)>")
        } else {
            let rest = restOfLine()
            log.error(.syntax, at: location(startLine), word: name, "expected '>' to end </\(name)\(rest)")
        }

        guard stack.count > 1 else {
            log.error(
                .unexpectedCloseTag, at: location(startLine), word: name,
                "</\(name)> closes no open section; remove it or add <\(name)> before it"
            )
            return
        }
        if stack[stack.count - 1].name == name {
            close(&stack)
        } else if let ancestor = stack.indices.dropFirst().last(where: { stack[$0].name == name }) {
            // An inner section was never closed: report it where it opened, then close up to the named one.
            while stack.count - 1 > ancestor {
                reportUnclosed(stack[stack.count - 1])
                close(&stack)
            }
            close(&stack)
        } else {
            // Most likely a misspelt close tag: take it as closing the innermost section.
            let open = stack[stack.count - 1]
            log.error(
                .mismatchedCloseTag, at: location(startLine), word: name,
                "</\(name)> does not match <\(open.name)> opened at \(open.location); write </\(open.name)>"
            )
            close(&stack)
        }
    }

    private func close(_ stack: inout [ConfigElement]) {
        let element = stack.removeLast()
        stack[stack.count - 1].elements.append(element)
    }

    private func reportUnclosed(_ element: ConfigElement) {
        log.error(
            .unclosedSection, at: element.location, word: element.name,
            "<\(element.name)> opened here is never closed; add </\(element.name)>"
        )
    }

    // MARK: Parameters

    private mutating func parseParameter(into element: inout ConfigElement) {
        let startLine = line
        let name = scan { !Self.isSpace($0) && $0 != UInt8(ascii: "\n") }
        skipSpaces()
        let value: String
        switch peek() {
        case UInt8(ascii: "\""):
            position += 1
            value = scanDoubleQuoted(startLine: startLine)
            expectLineEnd(after: "the quoted value of '\(name)'")
        case UInt8(ascii: "'"):
            position += 1
            value = scanSingleQuoted(startLine: startLine)
            expectLineEnd(after: "the quoted value of '\(name)'")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            value = scanJSONLiteral(name: name, startLine: startLine)
        default:
            value = scanUnquoted()
        }

        if name == "@include" || name == "include" {
            include(value, at: location(startLine), into: &element)
        } else {
            element.parameters.append(ConfigParameter(name: name, value: value, location: location(startLine)))
        }
    }

    /// The rest of the line up to a comment: a `#` at the start or after whitespace.
    private mutating func scanUnquoted() -> String {
        let start = position
        var end = position
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "#"), position == start || Self.isSpace(bytes[position - 1]) {
                skipToLineEnd()
                break
            }
            position += 1
            end = position
        }
        var text = String(decoding: bytes[start..<end], as: UTF8.self)
        while let last = text.unicodeScalars.last, last == " " || last == "\t" || last == "\r" {
            text.unicodeScalars.removeLast()
        }
        return text
    }

    /// A value that starts with `[` or `{` is a JSON array or object, which may span lines, as
    /// Fluentd's `scan_json` reads it: the value is the JSON text, and text that is not JSON is an
    /// error (Fluentd's "got incomplete JSON array configuration"); quoting the value avoids it.
    private mutating func scanJSONLiteral(name: String, startLine: Int) -> String {
        var text: [UInt8] = []
        var depth = 0
        var inString = false
        while let byte = peek() {
            if !inString, depth == 0, !text.isEmpty { break }
            _ = next()
            if inString {
                if byte == UInt8(ascii: "\\"), let escaped = next() {
                    text.append(byte)
                    text.append(escaped)
                    continue
                }
                if byte == UInt8(ascii: "#"), peek() == UInt8(ascii: "{") {
                    position += 1
                    let codeLine = line
                    let code = scanEmbeddedCode(startLine: codeLine)
                    text.append(contentsOf: evaluateEmbeddedCode(code, at: location(codeLine)).utf8)
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
                text.append(byte)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: "#") where text.last == UInt8(ascii: " ") || text.last == UInt8(ascii: "\n"):
                skipToLineEnd()
                continue
            case UInt8(ascii: "\n") where depth > 0 && text.count > 4096:
                depth = -1  // runaway: a bracket in plain text, not JSON; reported below
            default: break
            }
            if depth < 0 { break }
            text.append(byte)
        }
        let json = String(decoding: text, as: UTF8.self)
        let kind = text.first == UInt8(ascii: "[") ? "array" : "object"
        if depth != 0 || (try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])) == nil {
            let shown = json.split(separator: "\n").first.map(String.init) ?? json
            log.error(
                .syntax, at: location(startLine), word: shown,
                "the value of '\(name)' starts with '\(kind == "array" ? "[" : "{")', so it is read as a JSON \(kind) (as Fluentd reads it), "
                    + "but '\(shown)' is not one; put the value in quotes"
            )
            skipToLineEnd()
            return json
        }
        expectLineEnd(after: "the JSON value of '\(name)'")
        return json
    }

    private mutating func scanSingleQuoted(startLine: Int) -> String {
        var result: [UInt8] = []
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "'"):
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\") where peek() == UInt8(ascii: "'") || peek() == UInt8(ascii: "\\"):
                result.append(next()!)
            default:
                result.append(byte)
            }
        }
        log.error(.syntax, at: location(startLine), word: "'", "single-quoted string never ends; add the closing '")
        return String(decoding: result, as: UTF8.self)
    }

    private mutating func scanDoubleQuoted(startLine: Int) -> String {
        var result: [UInt8] = []
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = next() else { break }
                result.append(contentsOf: unescape(escaped))
            case UInt8(ascii: "#") where peek() == UInt8(ascii: "{"):
                position += 1
                let codeLine = line
                let code = scanEmbeddedCode(startLine: codeLine)
                result.append(contentsOf: evaluateEmbeddedCode(code, at: location(codeLine)).utf8)
            default:
                result.append(byte)
            }
        }
        log.error(.syntax, at: location(startLine), word: "\"", "double-quoted string never ends; add the closing \"")
        return String(decoding: result, as: UTF8.self)
    }

    // MARK: Scanning

    /// After a section tag or a quoted value only spaces and a comment may follow on the line.
    private mutating func expectLineEnd(after what: String) {
        skipSpaces()
        guard let byte = peek() else { return }
        if byte == UInt8(ascii: "\n") {
            _ = next()
        } else if byte == UInt8(ascii: "#") {
            skipToLineEnd()
        } else {
            let rest = restOfLine()
            log.error(.syntax, at: location(line), word: rest, "unexpected '\(rest)' after \(what)")
        }
    }

    private mutating func skipBlankLinesAndComments() {
        while let byte = peek() {
            if Self.isSpace(byte) || byte == UInt8(ascii: "\n") {
                _ = next()
            } else if byte == UInt8(ascii: "#") {
                skipToLineEnd()
            } else {
                return
            }
        }
    }

    private mutating func skipSpaces() {
        while let byte = peek(), Self.isSpace(byte) { position += 1 }
    }

    /// Moves to the newline (not past it).
    private mutating func skipToLineEnd() {
        while let byte = peek(), byte != UInt8(ascii: "\n") { position += 1 }
    }

    /// Consumes and returns the rest of the line, trimmed, leaving the newline.
    private mutating func restOfLine() -> String {
        scan { $0 != UInt8(ascii: "\n") }.trimmingCharacters(in: .whitespaces)
    }

    mutating func scan(while predicate: (UInt8) -> Bool) -> String {
        let start = position
        while let byte = peek(), predicate(byte) { _ = next() }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        let byte = bytes[position]
        position += 1
        if byte == UInt8(ascii: "\n") { line += 1 }
        return byte
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
