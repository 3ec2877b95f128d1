/// A `<match>` tag pattern, matched as Fluentd's `GlobMatchPattern`:
///
/// - `*` matches one tag part (`a.*` matches `a.b`, not `a` or `a.b.c`);
/// - `**` matches zero or more parts (`a.**` matches `a`, `a.b`, `a.b.c`; `**` matches anything);
/// - `{a,b}` matches either alternative, which may hold patterns themselves;
/// - `\x` matches `x` literally.
///
/// The pattern is compiled to the same steps as Fluentd's generated regular
/// expression and matched by backtracking over the tag's bytes, without a regex engine.
/// Fluentd's `/regex/` patterns are not supported.
public struct TagPattern: Sendable, Hashable, CustomStringConvertible {
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var pattern: String
        public var message: String
        public var description: String { "tag pattern '\(pattern)': \(message)" }
    }

    indirect enum Step: Sendable, Hashable {
        case byte(UInt8)
        /// `[^.]*`
        case onePart
        /// `.*`
        case anything
        /// `(?![^.])`: at the end or before a dot.
        case partBoundary
        /// `(?:.*\.|\A)`: at the start, or after any prefix ending in a dot.
        case anyPrefixThroughDot
        case alternatives([[Step]])
    }

    public let pattern: String
    let steps: [Step]

    public var description: String { pattern }

    public init(_ pattern: String) throws(Error) {
        guard !pattern.isEmpty else { throw Error(pattern: pattern, message: "is empty") }
        guard !pattern.contains(where: \.isWhitespace) else {
            throw Error(pattern: pattern, message: "holds whitespace; give several patterns as separate words")
        }
        if pattern.hasPrefix("/") {
            throw Error(pattern: pattern, message: "regular-expression patterns (/.../) are not supported")
        }
        self.pattern = pattern
        self.steps = try Self.compile(Array(pattern.utf8), pattern: pattern)
    }

    /// Fluentd's translation, step for step: `regex` is the stack of sequences being built,
    /// `groups` the alternatives of each open `{`.
    private static func compile(_ bytes: [UInt8], pattern: String) throws(Error) -> [Step] {
        var groups: [[[Step]]] = []
        var sequences: [[Step]] = [[]]
        var escape = false
        var dot = false
        var index = 0
        let dotByte = UInt8(ascii: ".")
        while index < bytes.count {
            let byte = bytes[index]
            if escape {
                sequences[sequences.count - 1].append(.byte(byte))
                escape = false
                index += 1
                continue
            }
            if byte == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                if dot {
                    sequences[sequences.count - 1].append(.partBoundary)
                    dot = false
                }
                if index + 2 < bytes.count, bytes[index + 2] == dotByte {
                    sequences[sequences.count - 1].append(.anyPrefixThroughDot)
                    index += 3
                } else {
                    sequences[sequences.count - 1].append(.anything)
                    index += 2
                }
                continue
            }
            if dot {
                sequences[sequences.count - 1].append(.byte(dotByte))
                dot = false
            }
            switch byte {
            case UInt8(ascii: "\\"):
                escape = true
            case dotByte:
                dot = true
            case UInt8(ascii: "*"):
                sequences[sequences.count - 1].append(.onePart)
            case UInt8(ascii: "{"):
                groups.append([])
                sequences.append([])
            case UInt8(ascii: "}") where !groups.isEmpty:
                groups[groups.count - 1].append(sequences.removeLast())
                let alternatives = groups.removeLast()
                sequences[sequences.count - 1].append(.alternatives(alternatives))
            case UInt8(ascii: ",") where !groups.isEmpty:
                groups[groups.count - 1].append(sequences.removeLast())
                sequences.append([])
            default:
                sequences[sequences.count - 1].append(.byte(byte))
            }
            index += 1
        }
        guard groups.isEmpty else { throw Error(pattern: pattern, message: "has a '{' without its '}'") }
        if escape { throw Error(pattern: pattern, message: "ends with a lone '\\'") }
        if dot { sequences[sequences.count - 1].append(.byte(dotByte)) }
        return sequences[0]
    }

    public func matches(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        return Self.match(steps[...], bytes, 0) { $0 == bytes.count }
    }

    private static func match(
        _ steps: ArraySlice<Step>, _ tag: [UInt8], _ start: Int, then: (Int) -> Bool
    ) -> Bool {
        guard let step = steps.first else { return then(start) }
        let rest = steps.dropFirst()
        let dot = UInt8(ascii: ".")
        switch step {
        case .byte(let byte):
            return start < tag.count && tag[start] == byte && match(rest, tag, start + 1, then: then)
        case .onePart:
            var end = start
            while end < tag.count && tag[end] != dot { end += 1 }
            return (start...end).reversed().contains { match(rest, tag, $0, then: then) }
        case .anything:
            return (start...tag.count).reversed().contains { match(rest, tag, $0, then: then) }
        case .partBoundary:
            return (start == tag.count || tag[start] == dot) && match(rest, tag, start, then: then)
        case .anyPrefixThroughDot:
            if start == 0 && match(rest, tag, 0, then: then) { return true }
            return (start..<tag.count).contains { tag[$0] == dot && match(rest, tag, $0 + 1, then: then) }
        case .alternatives(let alternatives):
            return alternatives.contains { alternative in
                match(alternative[...], tag, start) { match(rest, tag, $0, then: then) }
            }
        }
    }

    /// Whether the pattern is `**`, which catches every tag.
    public var matchesEverything: Bool { steps == [.anything] }
}

extension TagPattern {
    /// The space-separated patterns of `<match PATTERNS>` or `<filter PATTERNS>`; none means `**`, as in Fluentd.
    static func patterns(of element: ConfigElement, log: ProblemLog) -> [TagPattern] {
        let words = element.argument.split(whereSeparator: \.isWhitespace).map(String.init)
        var patterns: [TagPattern] = []
        for word in words.isEmpty ? ["**"] : words {
            do {
                patterns.append(try TagPattern(word))
            } catch {
                log.error(.badValue, at: element.location, word: word, "bad tag pattern in \(element.displayName): \(error)")
            }
        }
        return patterns
    }
}
