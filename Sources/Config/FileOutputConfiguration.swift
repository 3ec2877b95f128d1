import Foundation

/// `<match> @type file`: Fluentd's out_file, time-sliced files on this machine (sites keep a local
/// copy beside S3 with it).
public struct FileOutputConfiguration: Sendable, Hashable {
    public enum Compression: String, Sendable, Hashable, CaseIterable { case text, gzip }

    /// `path` (required): the file name's start, or a template with `*` or strftime fields.
    public var path: String
    /// `path_suffix`, after the slice and index; default `.log` (empty with `add_path_suffix false`).
    public var pathSuffix: String = ".log"
    /// `append`: one file per slice, appended to, instead of one file per chunk.
    public var append: Bool = false
    /// `compress`; default text.
    public var compression: Compression = .text
    /// `time_slice_format` of a Fluentd v0.12 configuration: out_file then names files
    /// `path.<time_slice_format>_N.log` with it, whatever fields `path` holds.
    public var timeSliceFormat: String?
    /// `<format>`; default out_file (`time<TAB>tag<TAB>json`), as Fluentd.
    public var format = FormatConfiguration(type: .out_file)
    public var inject: InjectConfiguration?
    /// `<buffer>`; out_file's defaults: keyed by time, timekey one day.
    public var buffer = BufferConfiguration()
    public var location: ConfigLocation

    static let parameters = [
        "@type", "@id", "@log_level", "path", "add_path_suffix", "path_suffix", "append", "compress", "recompress",
        "symlink_path", "symlink_path_use_relative", "file_permission", "dir_permission", "time_slice_format",
        "slow_flush_log_threshold",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, sections: ["buffer", "format", "inject", "secondary"], log: log)
        location = element.location
        if let secondary = reader.section("secondary") { OutputWarnings.secondary(secondary, log: log) }
        path = reader.required("path") ?? ""
        if let value = reader.string("path_suffix") { pathSuffix = value }
        if reader.bool("add_path_suffix") == false { pathSuffix = "" }
        if let value = reader.bool("append") { append = value }

        timeSliceFormat = reader.string("time_slice_format")
        _ = reader.duration("slow_flush_log_threshold")
        if let value = reader.choice("compress", Compression.self) { compression = value }
        _ = reader.bool("recompress")
        for name in ["symlink_path", "file_permission", "dir_permission"] {
            if let parameter = reader.parameter(name) {
                log.warn(.noEffect, at: parameter.location, word: name, "'\(name)' has no effect in Sluice's out_file; files are written with the process's umask")
            }
        }
        if let section = reader.section("format") { format = FormatConfiguration(validating: section, log: log) }
        if let section = reader.section("inject") { inject = InjectConfiguration(validating: section, log: log) }
        if let section = reader.section("buffer") { buffer = BufferConfiguration(validating: section, log: log) }
        if path.contains("*"), !buffer.keysByTime {
            reader.badValue(reader.parameter("path")!, expected: "a path without '*' (a '*' stands for the time slice, and this <buffer> has no time key)")
        } else if buffer.keysByTime, timeSliceFormat == nil, !path.contains("*") {
            // out_file: a path with some of the slice's fields must have them all, or two slices would share a file.
            let fields = Self.fields(of: Self.timeFormat(forTimekey: buffer.timekey))
            let missing = fields.filter { !path.contains($0) }
            if missing.count < fields.count, !missing.isEmpty {
                reader.badValue(
                    reader.parameter("path")!,
                    expected: "a path with every field of the \(buffer.timekey)-second slice (\(fields.joined())), or none; it lacks \(missing.joined(separator: " "))"
                )
            }
        }
    }

    /// out_file's `timekey_to_timeformat`: the strftime fields that name a slice of `timekey` seconds.
    public static func timeFormat(forTimekey timekey: Int) -> String {
        switch timekey {
        case ..<60: "%Y%m%d%H%M%S"
        case ..<3600: "%Y%m%d%H%M"
        case ..<86400: "%Y%m%d%H"
        default: "%Y%m%d"
        }
    }

    /// A time format's two-character pieces, as out_file's `scan(/../)`.
    static func fields(of format: String) -> [String] {
        stride(from: 0, to: format.count, by: 2).map { offset -> String in
            let start = format.index(format.startIndex, offsetBy: offset)
            return String(format[start..<format.index(start, offsetBy: min(2, format.count - offset))])
        }
    }

    /// The file each chunk is written to, as out_file's `generate_path_template`: strftime fields
    /// of the slice, `%{index}` for the chunk's number within it (absent with `append`), `${tag}`.
    /// A v0.12 `time_slice_format`, when given, is used in place of `timeSliceFormat` and always
    /// appended (out_file's `configured_time_slice_format`).
    public func pathTemplate(timeSliceFormat: String) -> String {
        let index = append ? "" : "_%{index}"
        let suffix = compression == .gzip ? ".gz" : ""
        guard buffer.keysByTime else { return path + index + pathSuffix + suffix }
        let configured = self.timeSliceFormat
        let timeSliceFormat = configured ?? timeSliceFormat
        if path.contains("*") {
            return path.replacingOccurrences(of: "*", with: timeSliceFormat + index) + suffix
        }
        if configured == nil, Self.fields(of: timeSliceFormat).contains(where: path.contains) {
            return path + index + pathSuffix + suffix
        }
        return path + "." + timeSliceFormat + index + pathSuffix + suffix
    }
}
