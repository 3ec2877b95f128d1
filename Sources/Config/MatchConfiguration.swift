/// One output: a `<match>` of an output type, or one `<store>` of a `<match> @type copy`. Records reach
/// it along the routes ``SluiceConfiguration/routes(tag:label:)`` computes.
public struct MatchConfiguration: Sendable, Hashable {
    /// The patterns of the `<match>` it belongs to; `<match>` alone means `**`, as in Fluentd.
    public var patterns: [TagPattern]
    public var output: OutputConfiguration
    /// `@id`, which names the output in logs and metrics.
    public var id: String?
    /// `<inject>`: fields added before formatting.
    public var inject: InjectConfiguration?
    public var location: ConfigLocation

    public init(patterns: [TagPattern], output: OutputConfiguration, location: ConfigLocation) {
        self.patterns = patterns
        self.output = output
        self.location = location
    }

    /// Whether any of the patterns matches `tag`.
    public func matches(_ tag: String) -> Bool {
        patterns.contains { $0.matches(tag) }
    }

    static let outputTypes = ["s3", "file", "stdout", "null", "copy", "relabel"]

    /// Reads an output section (`<match>` or `<store>`) of one of the leaf types.
    init?(validating element: ConfigElement, type: String, patterns: [TagPattern], log: ProblemLog) {
        let before = log.problems.count
        location = element.location
        self.patterns = patterns
        id = element.parameters.last { $0.name == "@id" }?.value
        output = .null
        switch type {
        case "s3":
            let s3 = S3OutputConfiguration(validating: element, log: log)
            inject = s3.inject
            output = .s3(s3)
        case "file":
            let file = FileOutputConfiguration(validating: element, log: log)
            inject = file.inject
            output = .file(file)
        case "stdout":
            let reader = SectionReader(element, known: ["@type", "@id", "@log_level", "output_type"], sections: ["format", "inject", "buffer"], log: log)
            _ = reader.choice("@log_level", SystemConfiguration.LogLevel.self)
            var format: FormatConfiguration?
            if let section = reader.section("format") { format = FormatConfiguration(validating: section, log: log) }
            if let section = reader.section("inject") { inject = InjectConfiguration(validating: section, log: log) }
            output = .stdout(format)
        default:
            // out_null is a buffered output in Fluentd: it takes (and ignores) the sections others take.
            let reader = SectionReader(element, known: ["@type", "@id", "@log_level"], sections: ["buffer", "format", "inject"], log: log)
            _ = reader.choice("@log_level", SystemConfiguration.LogLevel.self)
            if let section = reader.section("inject") { inject = InjectConfiguration(validating: section, log: log) }
            output = .null
        }
        if log.problems.count > before { return nil }
    }
}

/// The output of a `<match>` or `<store>`, by `@type`.
public enum OutputConfiguration: Sendable, Hashable {
    case s3(S3OutputConfiguration)
    /// Fluentd's out_file: time-sliced local files.
    case file(FileOutputConfiguration)
    /// Fluentd's out_stdout: `time tag: record` lines on standard output, or the given `<format>`.
    case stdout(FormatConfiguration?)
    /// Fluentd's out_null: records are dropped.
    case null
}

/// `<format>`: how records are written, with Fluentd's formatter types and their parameters.
public struct FormatConfiguration: Sendable, Hashable {
    public enum FormatType: String, Sendable, Hashable, CaseIterable {
        case json, ltsv, csv, tsv, single_value, out_file, hash
    }

    /// `@type`; default json (out_s3's own default, out_file, must be asked for).
    public var type: FormatType = .json
    /// `delimiter`: between fields (ltsv tab, csv comma, tsv tab, out_file tab).
    public var delimiter: String?
    /// `label_delimiter` (ltsv); default ":".
    public var labelDelimiter: String = ":"
    /// `replacement` (ltsv): what a delimiter inside a value becomes; default " ".
    public var replacement: String = " "
    /// `fields` (csv) or `keys` (tsv): which record keys, in order.
    public var fields: [String] = []
    /// `force_quotes` (csv); default true.
    public var forceQuotes: Bool = true
    /// `message_key` (single_value); default "message".
    public var messageKey: String = "message"
    /// `add_newline`; default true.
    public var addNewline: Bool = true
    /// `output_time`, `output_tag` (out_file); default true.
    public var outputTime: Bool = true
    public var outputTag: Bool = true
    /// `time_format` (out_file); nil for `%Y-%m-%dT%H:%M:%S%z`.
    public var timeFormat: String?
    /// The zone times are written in (out_file), seconds east of UTC; nil for the local zone.
    public var utcOffset: Int?
    /// `utc true` (or `localtime false`): times are UTC, and the default format ends in `Z`.
    public var utc = false

    public init(type: FormatType = .json) {
        self.type = type
    }

    /// The field delimiter in effect.
    public var effectiveDelimiter: String {
        delimiter ?? (type == .csv ? "," : "\t")
    }

    static let parameters = [
        "@type", "delimiter", "label_delimiter", "replacement", "fields", "keys", "force_quotes", "message_key",
        "add_newline", "output_time", "output_tag", "time_format", "time_type", "localtime", "utc", "timezone",
        "json_parser", "newline",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        if let value = reader.type(known: FormatType.allCases.map(\.rawValue), default: "json") {
            type = FormatType(rawValue: value) ?? .json
        }
        if let value = reader.string("delimiter") { delimiter = Self.delimiter(value) }
        if let value = reader.string("label_delimiter") { labelDelimiter = value }
        if let value = reader.string("replacement") { replacement = value }
        if let value = reader.string("fields") ?? reader.string("keys") {
            fields = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if [.csv, .tsv].contains(type), fields.isEmpty {
            log.error(
                .missingParameter, at: element.location, word: type == .csv ? "fields" : "keys",
                "<format> @type \(type.rawValue) needs '\(type == .csv ? "fields" : "keys")': the record keys to write, in order"
            )
        }
        if let value = reader.bool("force_quotes") { forceQuotes = value }
        if let value = reader.string("message_key") { messageKey = value }
        if let value = reader.bool("add_newline") { addNewline = value }
        if let value = reader.bool("output_time") { outputTime = value }
        if let value = reader.bool("output_tag") { outputTag = value }
        timeFormat = reader.string("time_format")
        _ = reader.oneOf("json_parser", ["oj", "yajl", "json"])
        _ = reader.oneOf("newline", ["lf", "crlf"])
        if reader.string("newline") == "crlf" {
            log.error(.badValue, at: reader.parameter("newline")!.location, word: "crlf", "<format> newline crlf is not supported; records end with LF")
        }
        (utcOffset, utc) = TimeZoneSetting.read(reader, log: log)
        if let parameter = reader.parameter("time_type"), parameter.value != "string" {
            reader.badValue(parameter, expected: "string (out_file writes the time as text)")
        }
    }

    /// Fluentd's names for tab, space and comma.
    static func delimiter(_ value: String) -> String {
        switch value.uppercased() {
        case "TAB", "\\T": "\t"
        case "SPACE": " "
        case "COMMA": ","
        default: value
        }
    }
}

/// `<inject>`: fields added to every record before it is formatted, as Fluentd's inject helper.
public struct InjectConfiguration: Sendable, Hashable {
    public enum TimeType: String, Sendable, Hashable, CaseIterable {
        case float, unixtime, unixtime_millis, unixtime_micros, unixtime_nanos, string
    }

    /// `time_key`: the event time under this key.
    public var timeKey: String?
    /// `time_type`; default float, as Fluentd.
    public var timeType: TimeType = .float
    /// `time_format` (string); nil for `%Y-%m-%dT%H:%M:%S%z`.
    public var timeFormat: String?
    /// Seconds east of UTC the time string is written in; nil for the local zone (`localtime`, Fluentd's default).
    public var utcOffset: Int?
    /// `utc true` (or `localtime false`): the default format ends in `Z`.
    public var utc = false
    /// `tag_key`: the record's tag under this key.
    public var tagKey: String?
    /// `hostname_key`: the collector's name under this key; `hostname` overrides the name.
    public var hostnameKey: String?
    public var hostname: String?
    /// `worker_id_key`: Sluice is one worker, 0.
    public var workerIDKey: String?

    public init() {}

    /// Whether it adds anything.
    public var isEmpty: Bool { timeKey == nil && tagKey == nil && hostnameKey == nil && workerIDKey == nil }

    static let parameters = [
        "time_key", "time_type", "time_format", "localtime", "utc", "timezone", "tag_key", "hostname_key", "hostname",
        "worker_id_key", "time_format_fallbacks",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        timeKey = reader.string("time_key")
        if let value = reader.choice("time_type", TimeType.self) { timeType = value }
        timeFormat = reader.string("time_format")
        tagKey = reader.string("tag_key")
        hostnameKey = reader.string("hostname_key")
        hostname = reader.string("hostname")
        workerIDKey = reader.string("worker_id_key")
        (utcOffset, utc) = TimeZoneSetting.read(reader, log: log)
    }
}

/// `localtime`, `utc` and `timezone` as Fluentd's time formatters read them: the offset (nil for the
/// local zone), and whether the time is UTC proper.
enum TimeZoneSetting {
    static func read(_ reader: SectionReader, log: ProblemLog) -> (offset: Int?, utc: Bool) {
        if let zone = reader.utcOffset("timezone") { return (zone, false) }
        if reader.bool("utc") == true || reader.bool("localtime") == false { return (0, true) }
        return (nil, false)
    }
}
