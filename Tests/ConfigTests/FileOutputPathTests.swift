import Testing

@testable import SluiceConfig

/// FileOutputConfiguration.pathTemplate against out_file's generate_path_template.
@Suite struct FileOutputPathTests {
    static func file(_ body: String, buffer: String = "") throws -> FileOutputConfiguration {
        let configuration = try Support.parse("<match **>\n  @type file\n\(body)\n\(buffer)</match>\n")
        return try #require(configuration.matches.first?.file)
    }

    @Test(arguments: [
        // A '*' is the slice (and index unless appending).
        ("  path /var/log/s/app.*.log", "", "%Y%m%d", "/var/log/s/app.%Y%m%d_%{index}.log"),
        ("  path /var/log/s/app.*.log\n  append true", "", "%Y%m%d", "/var/log/s/app.%Y%m%d.log"),
        ("  path /var/log/s/app.*.log\n  compress gzip", "", "%Y%m%d", "/var/log/s/app.%Y%m%d_%{index}.log.gz"),
        // The path holds the slice's fields: used as written.
        ("  path /var/log/s/%Y/%m/%d/app", "", "%Y%m%d", "/var/log/s/%Y/%m/%d/app_%{index}.log"),
        ("  path /var/log/s/%Y%m%d%H/app", "  <buffer time>\n    timekey 1h\n  </buffer>\n", "%Y%m%d%H", "/var/log/s/%Y%m%d%H/app_%{index}.log"),
        // A plain path gets .<slice>_<index><suffix>.
        ("  path /var/log/s/app", "", "%Y%m%d", "/var/log/s/app.%Y%m%d_%{index}.log"),
        ("  path /var/log/s/app\n  append true\n  compress gzip", "", "%Y%m%d", "/var/log/s/app.%Y%m%d.log.gz"),
        ("  path /var/log/s/app\n  path_suffix .txt", "", "%Y%m%d", "/var/log/s/app.%Y%m%d_%{index}.txt"),
        ("  path /var/log/s/app\n  add_path_suffix false", "", "%Y%m%d", "/var/log/s/app.%Y%m%d_%{index}"),
        // No time key: no slice at all.
        ("  path /var/log/s/app", "  <buffer tag>\n  </buffer>\n", "%Y%m%d", "/var/log/s/app_%{index}.log"),
        // A v0.12 time_slice_format is always appended, as out_file's configured_time_slice_format.
        ("  path /var/log/s/app\n  time_slice_format %Y%m%d%H", "", "%Y%m%d", "/var/log/s/app.%Y%m%d%H_%{index}.log"),
    ])
    func pathTemplate(body: String, buffer: String, timeSliceFormat: String, expected: String) throws {
        let file = try Self.file(body, buffer: buffer)
        #expect(file.pathTemplate(timeSliceFormat: timeSliceFormat) == expected)
    }

    @Test(arguments: [(59, "%Y%m%d%H%M%S"), (60, "%Y%m%d%H%M"), (3599, "%Y%m%d%H%M"), (3600, "%Y%m%d%H"), (86399, "%Y%m%d%H"), (86400, "%Y%m%d"), (604800, "%Y%m%d")])
    func timeFormatForTimekey(timekey: Int, format: String) {
        #expect(FileOutputConfiguration.timeFormat(forTimekey: timekey) == format)
    }

    @Test func starWithoutATimeKeyIsRefused() {
        let problems = Support.problems("<match **>\n  @type file\n  path /var/log/app.*.log\n  <buffer tag>\n  </buffer>\n</match>\n")
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.location.line == 3)
    }

    @Test(arguments: ["/var/log/app.%Y%m", "/var/log/%d/app"])
    func pathWithSomeOfTheSlicesFieldsIsRefused(path: String) {
        // out_file: "insufficient timestamp placeholders in path".
        let problems = Support.problems("<match **>\n  @type file\n  path \(path)\n</match>\n")
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.location.line == 3)
    }
}
