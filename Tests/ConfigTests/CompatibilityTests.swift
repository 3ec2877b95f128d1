import Testing

@testable import SluiceConfig

/// Fluentd's compat_parameters as Compatibility applies them.
@Suite struct CompatibilityTests {
    @Test(arguments: [("%Y%m%d%H", 3600), ("%Y%m%d-%H", 3600), ("%Y%m%d", 86400), ("%Y/%m/%d/%H/%M", 60), ("%Y%m%d%H%M%S", 1), ("%Y-%j", 86400)])
    func timeSliceFormatGivesTheTimekeyOfItsSmallestField(format: String, timekey: Int) throws {
        #expect(Compatibility.timekey(forTimeSliceFormat: format) == timekey)
        let configuration = try Support.parse(Support.s3Match("  format json\n  time_slice_format \(format)"))
        #expect(configuration.firstS3?.buffer.timekey == timekey)
        #expect(configuration.firstS3?.timeSliceFormat == format)
    }

    @Test func timeSliceFormatOfAMonthIsRefused() {
        let problems = Support.problems(Support.s3Match("  format json\n  time_slice_format %Y%m"))
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.location.line == 5)
    }

    @Test(arguments: [("exception", BufferConfiguration.OverflowAction.throw_exception), ("block", .block), ("drop_oldest_chunk", .drop_oldest_chunk)])
    func bufferQueueFullAction(value: String, action: BufferConfiguration.OverflowAction) throws {
        let configuration = try Support.parse(Support.s3Match("  format json\n  buffer_queue_full_action \(value)"))
        #expect(configuration.firstS3?.buffer.overflowAction == action)
    }

    @Test(arguments: [("utc", true), ("utc true", true), ("localtime", false), ("localtime false", true), ("utc false", false)])
    func utcOrLocaltimeSetsTimekeyUseUTC(line: String, utc: Bool) throws {
        let configuration = try Support.parse(Support.s3Match("  format json\n  time_slice_format %Y%m%d%H\n  \(line)"))
        #expect(configuration.firstS3?.buffer.timekeyUseUTC == utc)
    }

    @Test(arguments: ["utc true\n  localtime true", "utc false\n  localtime false", "utc\n  localtime"])
    func utcAndLocaltimeThatDisagreeAreAnError(lines: String) {
        let problems = Support.problems(Support.s3Match("  format json\n  time_slice_format %Y%m%d\n  \(lines)"))
        #expect(problems.map(\.code) == [.conflictingSettings])
        #expect(problems.first?.word == "localtime")
        #expect(problems.first?.location.line == 7)
    }

    @Test func utcAndLocaltimeThatAgreeAreRead() throws {
        let configuration = try Support.parse(Support.s3Match("  format json\n  time_slice_format %Y%m%d\n  utc true\n  localtime false"))
        #expect(configuration.firstS3?.buffer.timekeyUseUTC == true)
    }

    /// Fluentd's compat_parameters leaves a written <buffer> alone: the flat ones are not used, with a warning.
    @Test func v012BufferPathBesideAWrittenBufferIsNotUsedAndSaysWhere() throws {
        let text = Support.s3Match(
            "  format json\n  buffer_path /var/log/td-agent/buffer/s3\n  buffer_chunk_limit 8m",
            buffer: "  <buffer time>\n    @type file\n    path /var/lib/sluice/s3\n  </buffer>\n")
        let configuration = try Support.parse(text)
        #expect(configuration.firstS3?.buffer.path == "/var/lib/sluice/s3")
        let unused = configuration.warnings.filter { $0.code == .unusedParameter }
        #expect(unused.map(\.word) == ["buffer_path", "buffer_chunk_limit"])
        #expect(unused.map(\.location.line) == [5, 6])
        #expect(unused.first?.message.contains("<buffer> at test.conf:7") == true)
    }

    @Test func formatterParametersBesideAWrittenFormatAreNotUsed() throws {
        let configuration = try Support.parse(Support.s3Match("  <format>\n    @type single_value\n  </format>\n  output_tag false\n  output_time false"))
        #expect(configuration.firstS3?.format.type == .single_value)
        #expect(configuration.warnings.filter { $0.code == .unusedParameter }.map(\.word) == ["output_tag", "output_time"])
    }

    @Test func storeAsGzipCommandIsGzip() throws {
        #expect(try Support.parse(Support.s3Match("  format json\n  store_as gzip_command")).firstS3?.storeAs == .gzip)
    }

    @Test(arguments: [
        ("\"#{'/%Y%m%d/%H%M-' + Socket.gethostname}\"", "/%Y%m%d/%H%M-ip-172-31-92-150"),
        ("\"#{ENV['BUCKET'] + '-' + ENV.fetch('UNSET', 'x')}\"", "env-bucket-x"),
    ])
    func rubyConcatenation(value: String, expected: String) throws {
        let (root, log) = Support.read("<match **>\n  time_slice_format \(value)\n</match>\n")
        #expect(log.problems.isEmpty, "\(log.problems)")
        #expect(root.elements.first?[parameter: "time_slice_format"]?.value == expected)
    }

    @Test func v012NamesOfReservedParameters() throws {
        let configuration = try Support.parse("<match **>\n  type s3\n  id old_s3\n  log_level debug\n  s3_bucket b-bucket\n  format json\n</match>\n")
        #expect(configuration.matches.first?.id == "old_s3")
        #expect(configuration.warnings.filter { $0.code == .deprecatedParameter }.map(\.word) == ["type", "id", "log_level"])
    }

    @Test func bothOldAndNewNameKeepTheNewWithAWarning() throws {
        let configuration = try Support.parse("<match **>\n  @type s3\n  type file\n  s3_bucket b-bucket\n  format json\n</match>\n")
        #expect(configuration.firstS3 != nil)
        #expect(configuration.warnings.first { $0.code == .deprecatedParameter }?.location.line == 3)
    }

    @Test func queueLimitLengthSetsTheTotalLimit() throws {
        let configuration = try Support.parse(Support.s3Match("  format json\n  buffer_chunk_limit 16m\n  buffer_queue_limit 32\n  try_flush_interval 1"))
        #expect(configuration.firstS3?.buffer.chunkLimitSize == 16 << 20)
        #expect(configuration.firstS3?.buffer.totalLimitSize == 512 << 20)
        #expect(configuration.warnings.contains { $0.code == .noEffectYet && $0.word == "flush_thread_interval" })
    }

    @Test func formatJSONAndIncludeTimeKey() throws {
        let configuration = try Support.parse(Support.s3Match("  format_json true\n  include_time_key true\n  localtime false"))
        let s3 = try #require(configuration.firstS3)
        #expect(s3.format.type == .json)
        #expect(s3.inject?.timeKey == "time")
        #expect(s3.inject?.timeType == .string)
        #expect(s3.inject?.utcOffset == 0)
    }

    @Test func aBareS3EndpointHostIsHTTPS() throws {
        let configuration = try Support.parse(Support.s3Match("  format json\n  s3_endpoint s3-eu-west-1.amazonaws.com"))
        #expect(configuration.firstS3?.endpoint?.absoluteString == "https://s3-eu-west-1.amazonaws.com")
        #expect(configuration.warnings.contains { $0.word == "s3-eu-west-1.amazonaws.com" })
    }
}
