import Codec

/// `/api/status`: the registry's samples grouped for a person or a load tester: per input (label
/// `input`), per output (label `output`), the rest under `other`. Names lose their `sluice_` prefix
/// and `_total` suffix; other labels are appended as `name:value` (`overflow_dropped_records:block`).
/// Histogram buckets are left out; their `_sum` and `_count` stay.
///
///     {"uptime_seconds": 12.5,
///      "inputs": {"syslog:5140/tcp": {"received_messages": 1000, ...}},
///      "outputs": {"match0": {"buffered_records": 1000, "buffer_open_chunks": 1, ...}},
///      "other": {"unrouted_messages": 0}}
public struct StatusDocument: Sendable, Equatable {
    public var uptimeSeconds: Double
    public var inputs: [String: [String: Double]] = [:]
    public var outputs: [String: [String: Double]] = [:]
    public var other: [String: Double] = [:]

    public init(uptimeSeconds: Double) {
        self.uptimeSeconds = uptimeSeconds
    }

    /// Groups the samples of a Prometheus text exposition.
    public init(prometheusText text: String, uptimeSeconds: Double) {
        self.uptimeSeconds = uptimeSeconds
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let sample = Sample(line) else { continue }
            var name = sample.name
            if name.hasSuffix("_bucket") { continue }
            if name.hasPrefix("sluice_") { name.removeFirst(7) }
            if name.hasSuffix("_total") { name.removeLast(6) }
            var group: (kind: Int, key: String)?
            var qualifiers: [String] = []
            for (label, value) in sample.labels {
                switch label {
                case "input": group = (0, value)
                case "output": group = (1, value)
                default: qualifiers.append(value)
                }
            }
            if !qualifiers.isEmpty { name += ":" + qualifiers.joined(separator: ":") }
            switch group {
            case (0, let key)?: inputs[key, default: [:]][name, default: 0] += sample.value
            case (_, let key)?: outputs[key, default: [:]][name, default: 0] += sample.value
            case nil: other[name, default: 0] += sample.value
            }
        }
    }

    /// One line of the exposition: `name{label="value",...} value`.
    struct Sample {
        var name: String
        var labels: [(String, String)] = []
        var value: Double

        init?(_ line: Substring) {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            self.value = value
            guard let brace = series.firstIndex(of: "{") else {
                name = String(series)
                return
            }
            name = String(series[..<brace])
            var rest = series[series.index(after: brace)...]
            while let equals = rest.firstIndex(of: "=") {
                let label = String(rest[..<equals]).trimmingCharacters(in: ",")
                var index = rest.index(after: equals)
                guard index < rest.endIndex, rest[index] == "\"" else { return nil }
                index = rest.index(after: index)
                var text = ""
                while index < rest.endIndex, rest[index] != "\"" {
                    if rest[index] == "\\", rest.index(after: index) < rest.endIndex {
                        index = rest.index(after: index)
                        text.append(rest[index] == "n" ? "\n" : rest[index])
                    } else {
                        text.append(rest[index])
                    }
                    index = rest.index(after: index)
                }
                labels.append((label, text))
                guard index < rest.endIndex else { break }
                rest = rest[rest.index(after: index)...]
            }
        }
    }

    /// The document as JSON, keys sorted.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        func text(_ value: String) { out += value.utf8 }
        func key(_ name: String) {
            var name = name
            name.withUTF8 { JSONRecordEncoder.appendJSONString(UnsafeRawBufferPointer($0), to: &out) }
            out.append(UInt8(ascii: ":"))
        }
        func number(_ value: Double) {
            guard value.isFinite else { return text("null") }
            text(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
        }
        func object(_ values: [String: Double]) {
            text("{")
            for (index, entry) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text(",") }
                key(entry.key)
                number(entry.value)
            }
            text("}")
        }
        func groups(_ values: [String: [String: Double]]) {
            text("{")
            for (index, entry) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text(",") }
                key(entry.key)
                object(entry.value)
            }
            text("}")
        }
        text("{\"uptime_seconds\":")
        number((uptimeSeconds * 10).rounded() / 10)
        text(",\"inputs\":")
        groups(inputs)
        text(",\"outputs\":")
        groups(outputs)
        text(",\"other\":")
        object(other)
        text("}\n")
        return out
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
