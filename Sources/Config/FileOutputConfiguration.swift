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
    /// `<format>`; default out_file (`time<TAB>tag<TAB>json`), as Fluentd.
    public var format = FormatConfiguration(type: .out_file)
    public var inject: InjectConfiguration?
    /// `<buffer>`; out_file's defaults: keyed by time, timekey one day.
    public var buffer = BufferConfiguration()
    public var location: ConfigLocation

    static let parameters = [
        "@type", "@id", "@log_level", "path", "add_path_suffix", "path_suffix", "append", "compress", "recompress",
        "symlink_path", "symlink_path_use_relative", "file_permission", "dir_permission",
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, sections: ["buffer", "format", "inject"], log: log)
        location = element.location
        path = reader.required("path") ?? ""
        if let value = reader.string("path_suffix") { pathSuffix = value }
        if reader.bool("add_path_suffix") == false { pathSuffix = "" }
        if let value = reader.bool("append") { append = value }
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
        }
    }

    /// The file each chunk is written to, as out_file's `generate_path_template`: strftime fields
    /// of the slice, `%{index}` for the chunk's number within it (absent with `append`), `${tag}`.
    public func pathTemplate(timeSliceFormat: String) -> String {
        let index = append ? "" : "_%{index}"
        let suffix = compression == .gzip ? ".gz" : ""
        guard buffer.keysByTime else { return path + index + pathSuffix + suffix }
        if path.contains("*") {
            return path.replacingOccurrences(of: "*", with: timeSliceFormat + index) + suffix
        }
        let fields = stride(from: 0, to: timeSliceFormat.count, by: 2).map { offset -> String in
            let start = timeSliceFormat.index(timeSliceFormat.startIndex, offsetBy: offset)
            return String(timeSliceFormat[start..<timeSliceFormat.index(start, offsetBy: min(2, timeSliceFormat.count - offset))])
        }
        if fields.contains(where: path.contains) {
            return path + index + pathSuffix + suffix
        }
        return path + "." + timeSliceFormat + index + pathSuffix + suffix
    }
}
