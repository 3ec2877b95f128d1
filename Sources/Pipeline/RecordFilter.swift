import Foundation
import SluiceConfig

/// A `<filter>` ready to run on records: grep's expressions compiled once, record_transformer's
/// templates applied as Fluentd's placeholder expander does without Ruby.
struct RecordFilter: @unchecked Sendable {  // NSRegularExpression is immutable once made and safe to share.
    /// How one grep condition is tested: most patterns in real files are plain words, perhaps anchored
    /// (`/^sshd$/`, `Failed password`), tested without a regular expression engine.
    enum Matcher {
        case literal(String, start: Bool, end: Bool)
        case expression(NSRegularExpression)

        init(_ condition: GrepFilter.Condition) throws {
            var pattern = Substring(condition.pattern)
            let start = pattern.hasPrefix("^")
            if start { pattern = pattern.dropFirst() }
            let end = pattern.hasSuffix("$") && !pattern.hasSuffix("\\$")
            if end { pattern = pattern.dropLast() }
            if !condition.caseInsensitive, !pattern.isEmpty, !pattern.contains(where: { "\\.^$*+?()[]{}|".contains($0) }) {
                self = .literal(String(pattern), start: start, end: end)
            } else {
                self = .expression(try condition.regularExpression())
            }
        }

        func matches(_ value: String) -> Bool {
            switch self {
            case .literal(let text, let start, let end):
                // `$` also matches before a final newline, as in Ruby.
                let value = end && value.hasSuffix("\n") ? String(value.dropLast()) : value
                switch (start, end) {
                case (true, true): return value == text
                case (true, false): return value.utf8.starts(with: text.utf8)
                case (false, true): return value.utf8.reversed().starts(with: text.utf8.reversed())
                case (false, false): return value.utf8.firstRange(of: text.utf8) != nil
                }
            case .expression(let expression):
                return expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
            }
        }
    }

    private enum Step {
        case grep(GrepFilter, [GrepFilter.Condition: Matcher])
        case transform(RecordTransformer)
        case stdout
    }

    private let step: Step
    private let hostname: String
    private let localOffset: Int64

    init(_ filter: FilterConfiguration, hostname: String, localOffset: Int64) throws {
        self.hostname = hostname
        self.localOffset = localOffset
        switch filter.kind {
        case .grep(let grep):
            var expressions: [GrepFilter.Condition: Matcher] = [:]
            for condition in grep.regexpAll + grep.regexpAny + grep.excludeAll + grep.excludeAny {
                expressions[condition] = try Matcher(condition)
            }
            step = .grep(grep, expressions)
        case .recordTransformer(let transformer):
            step = .transform(transformer)
        case .stdout:
            step = .stdout
        }
    }

    /// Applies the filter; false when the record is dropped.
    func apply(to record: inout FlatRecord, tag: String, time: RecordTime) -> Bool {
        switch step {
        case .grep(let grep, let expressions):
            return grep.keeps({ record[$0]?.text }) { condition, value in
                expressions[condition]?.matches(value) ?? false
            }
        case .transform(let transformer):
            record = transformed(record, by: transformer, tag: tag, time: time)
            return true
        case .stdout:
            var line: [UInt8] = []
            RecordFormatter(layout: .stdout(nil), inject: nil, hostname: hostname, localOffset: localOffset)
                .append(record, tag: tag, time: time, to: &line)
            line.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
            return true
        }
    }

    /// filter_record_transformer's `filter`: the new record, `<record>` merged in, `remove_keys` taken out.
    private func transformed(_ record: FlatRecord, by transformer: RecordTransformer, tag: String, time: RecordTime) -> FlatRecord {
        var result = transformer.renewRecord ? FlatRecord() : record
        if transformer.renewRecord {
            for key in transformer.keepKeys { if let value = record[key] { result[key] = value } }
        }
        for field in transformer.fields {
            result[field.name] = expand(field.value, record: record, tag: tag, time: time)
        }
        for key in transformer.removeKeys { result[key] = nil }
        return result
    }

    /// `${...}` placeholders of `template`, as Fluentd's expander without Ruby: a template that is
    /// one placeholder keeps its value (nil when Fluentd does not know it), and in longer text an
    /// unknown one becomes "" (Fluentd logs a warning for each record; Sluice warned at start).
    func expand(_ template: String, record: FlatRecord, tag: String, time: RecordTime) -> FlatRecord.Value {
        guard template.contains("${") else { return .string(template) }
        let parts = tag.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if template.hasPrefix("${"), template.hasSuffix("}"), template.dropFirst(2).firstIndex(of: "}") == template.index(before: template.endIndex) {
            let name = String(template.dropFirst(2).dropLast())
            return value(of: name, record: record, tag: tag, parts: parts, time: time).map(FlatRecord.Value.string) ?? .null
        }
        var out = ""
        var rest = Substring(template)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            out += value(of: name, record: record, tag: tag, parts: parts, time: time) ?? ""
            rest = rest[rest.index(after: end)...]
        }
        return .string(out + rest)
    }

    private func value(of name: String, record: FlatRecord, tag: String, parts: [String], time: RecordTime) -> String? {
        switch name {
        case "tag": return tag
        case "hostname": return hostname
        case "time": return time.formatted("%Y-%m-%d %H:%M:%S %z", utcOffset: localOffset)
        default: break
        }
        func index(_ prefix: String) -> Int? {
            guard name.hasPrefix(prefix), name.hasSuffix("]"), let number = Int(name.dropFirst(prefix.count).dropLast()) else { return nil }
            let position = number < 0 ? parts.count + number : number
            return parts.indices.contains(position) ? position : nil
        }
        if name.hasPrefix("tag_parts[") { return index("tag_parts[").map { parts[$0] } }
        if name.hasPrefix("tag_prefix[") { return index("tag_prefix[").map { parts[...$0].joined(separator: ".") } }
        if name.hasPrefix("tag_suffix[") { return index("tag_suffix[").map { parts[$0...].joined(separator: ".") } }
        if let key = RecordTransformer.recordKey(in: name) {
            guard let value = record[key] else { return nil }
            if case .null = value { return nil }
            return value.text
        }
        return nil
    }
}
