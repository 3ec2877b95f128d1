import SluiceConfig

/// Writes records for one output as Fluentd's `<inject>` and `<format>` do: fields injected first
/// (hostname, tag, time), then one line in the output's format.
struct RecordFormatter: Sendable {
    enum Layout: Sendable {
        case format(FormatConfiguration)
        /// out_stdout's `time tag: {json}` line.
        case stdout(FormatConfiguration?)
    }

    let layout: Layout
    let inject: InjectConfiguration?
    let hostname: String
    /// The zone times are written in when the configuration names none (Fluentd's `localtime`).
    let localOffset: Int64

    /// out_file lines with nothing injected: the direct path writes them, the prefix then the JSON.
    var outFilePrefix: OutFilePrefix? {
        guard case .format(let format) = layout, format.type == .out_file, inject?.isEmpty ?? true else { return nil }
        return OutFilePrefix(format, utcOffset: localOffset)
    }

    /// JSON lines with nothing injected: what the parser workers write without this formatter.
    var isPlainJSON: Bool {
        guard case .format(let format) = layout else { return false }
        return format.type == .json && format.addNewline && (inject?.isEmpty ?? true)
    }

    func append(_ record: FlatRecord, tag: String, time: RecordTime, to out: inout [UInt8]) {
        let record = injected(record, tag: tag, time: time)
        switch layout {
        case .format(let format):
            Self.append(record, format: format, tag: tag, time: time, offset: format.utcOffset.map(Int64.init) ?? localOffset, to: &out)
        case .stdout(let format):
            out.append(contentsOf: time.formatted("%Y-%m-%d %H:%M:%S.%N %z", utcOffset: localOffset).utf8)
            out.append(contentsOf: " \(tag): ".utf8)
            var line: [UInt8] = []
            Self.append(record, format: format ?? FormatConfiguration(), tag: tag, time: time, offset: localOffset, to: &line)
            while line.last == UInt8(ascii: "\n") { line.removeLast() }
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// Fluentd's `inject_values_to_record`: hostname, worker id, tag, time, in that order.
    func injected(_ record: FlatRecord, tag: String, time: RecordTime) -> FlatRecord {
        guard let inject, !inject.isEmpty else { return record }
        var record = record
        if let key = inject.hostnameKey { record[key] = .string(inject.hostname ?? hostname) }
        if let key = inject.workerIDKey { record[key] = .integer(0) }
        if let key = inject.tagKey { record[key] = .string(tag) }
        if let key = inject.timeKey {
            let offset = inject.utcOffset.map(Int64.init) ?? localOffset
            switch inject.timeType {
            case .string:
                let format = inject.timeFormat ?? RecordTime.defaultFormat(utc: inject.utc)
                record[key] = .string(time.formatted(format, utcOffset: offset))
            case .unixtime: record[key] = .integer(time.seconds)
            case .unixtime_millis: record[key] = .integer(time.seconds * 1000 + Int64(time.nanoseconds / 1_000_000))
            case .unixtime_micros: record[key] = .integer(time.seconds * 1_000_000 + Int64(time.nanoseconds / 1000))
            case .unixtime_nanos: record[key] = .integer(time.seconds * 1_000_000_000 + Int64(time.nanoseconds))
            case .float: record[key] = .float(time.microsecondFloat)
            }
        }
        return record
    }

    static func append(
        _ record: FlatRecord, format: FormatConfiguration, tag: String, time: RecordTime, offset: Int64, to out: inout [UInt8]
    ) {
        let delimiter = format.effectiveDelimiter
        switch format.type {
        case .json:
            record.appendJSON(to: &out)
        case .hash:
            out.append(contentsOf: rubyHash(record).utf8)
        case .ltsv:
            let fields = record.fields.map { field in
                field.key + format.labelDelimiter + field.value.text.replacingAll(delimiter, with: format.replacement)
            }
            out.append(contentsOf: fields.joined(separator: delimiter).utf8)
        case .csv:
            let values = format.fields.map { csvField(record[$0]?.text, delimiter: delimiter, forceQuotes: format.forceQuotes) }
            out.append(contentsOf: values.joined(separator: delimiter).utf8)
        case .tsv:
            out.append(contentsOf: format.fields.map { record[$0]?.text ?? "" }.joined(separator: delimiter).utf8)
        case .single_value:
            out.append(contentsOf: (record[format.messageKey]?.text ?? "").utf8)
        case .out_file:
            var uncached = OutFilePrefix.Cache()
            OutFilePrefix(format, utcOffset: offset).append(time: time, tag: tag, to: &out, cache: &uncached)
            record.appendJSON(to: &out)
        }
        // out_file and json end lines whatever add_newline says, as Fluentd's do.
        if format.addNewline || format.type == .out_file { out.append(UInt8(ascii: "\n")) }
    }

    /// Ruby's CSV: nil is empty (quoted when quotes are forced), and a quote, delimiter or line break
    /// forces quotes, with quotes doubled.
    static func csvField(_ value: String?, delimiter: String, forceQuotes: Bool) -> String {
        guard let value else { return forceQuotes ? "\"\"" : "" }
        let needsQuotes = forceQuotes || value.contains("\"") || value.contains(delimiter) || value.contains("\n") || value.contains("\r")
        return needsQuotes ? "\"" + value.replacingAll("\"", with: "\"\"") + "\"" : value
    }

    /// Ruby's `Hash#to_s`: `{"key"=>"value", "n"=>1}`.
    static func rubyHash(_ record: FlatRecord) -> String {
        func inspect(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case "#": out += "#"
                default:
                    if scalar.value < 0x20 { out += "\\x" + String(format2Hex: scalar.value) } else { out.unicodeScalars.append(scalar) }
                }
            }
            return out + "\""
        }
        let fields = record.fields.map { field -> String in
            let value: String
            switch field.value {
            case .string(let text): value = inspect(text)
            case .integer(let number): value = String(number)
            case .float(let number): value = String(number)
            case .null: value = "nil"
            }
            return inspect(field.key) + "=>" + value
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

extension String {
    init(format2Hex value: UInt32) {
        let digits = String(value, radix: 16, uppercase: true)
        self = digits.count < 2 ? "0" + digits : digits
    }

    /// Every occurrence of `target` replaced; unchanged when `target` is empty.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
