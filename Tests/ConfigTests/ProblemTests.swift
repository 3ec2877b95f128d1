import Testing

@testable import SluiceConfig

/// Every error names its file, line and word; every problem is reported, not just the first.
@Suite struct ProblemTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var code: ConfigProblem.Code
        var line: Int
        var word: String
        var message: String? = nil
        var testDescription: String { name }
    }

    static let source = "<source>\n  @type syslog\n  tag system\n"  // lines 1-3

    static let cases: [Case] = [
        Case(
            name: "unknown parameter, with a suggestion",
            text: Support.s3Match("", buffer: "<buffer time>\n  timekey 3600\n  timekey_wiat 60\n</buffer>\n"),
            code: .unknownParameter, line: 7, word: "timekey_wiat",
            message: "test.conf:7: unknown parameter 'timekey_wiat' in <buffer>; did you mean 'timekey_wait'?"
        ),
        Case(
            name: "unknown parameter, nothing close",
            text: source + "  frobnicate 1\n</source>\n" + Support.nullMatch,
            code: .unknownParameter, line: 4, word: "frobnicate",
            message: "test.conf:4: unknown parameter 'frobnicate' in <source>"
        ),
        Case(
            name: "parameter outside any section",
            text: "port 5140\n" + Support.nullMatch, code: .unknownParameter, line: 1, word: "port"
        ),
        Case(
            name: "unknown directive",
            text: Support.nullMatch + "<sorce>\n</sorce>\n", code: .unknownDirective, line: 4, word: "sorce",
            message: "test.conf:4: unknown directive <sorce>; Sluice reads <source>, <filter>, <match>, <label> and <system>; did you mean 'source'?"
        ),
        Case(
            name: "unsupported directive",
            text: "<worker 0>\n</worker>\n" + Support.nullMatch,
            code: .unsupportedDirective, line: 1, word: "worker"
        ),
        Case(
            name: "unknown source type",
            text: "<source>\n  @type tail\n  path /var/log/x\n</source>\n" + Support.nullMatch,
            code: .unsupportedPlugin, line: 2, word: "tail",
            message: "test.conf:2: <source> @type tail is not supported: in_tail reads local files; point rsyslog's imfile at them and forward to a syslog <source>"
        ),
        Case(
            name: "unknown output type, suggested",
            text: "<match **>\n  @type s4\n  s3_bucket b\n</match>\n", code: .unknownType, line: 2, word: "s4",
            message: "test.conf:2: unknown @type 's4' in <match>: not a plugin Sluice runs; it supports s3, file, stdout, null, copy, relabel; did you mean 's3'?"
        ),
        Case(
            name: "missing @type",
            text: "<match **>\n  s3_bucket b\n</match>\n", code: .missingParameter, line: 1, word: "@type"
        ),
        Case(
            name: "unknown format type",
            text: Support.s3Match("<format>\n  @type msgpack\n</format>"), code: .unknownType, line: 5, word: "msgpack"
        ),
        Case(
            name: "unknown buffer type",
            text: Support.s3Match("", buffer: "<buffer>\n  @type redis\n</buffer>\n"), code: .unknownType, line: 6,
            word: "redis"
        ),
        Case(
            name: "missing tag",
            text: "<source>\n  @type syslog\n</source>\n" + Support.nullMatch, code: .missingParameter, line: 1,
            word: "tag", message: "test.conf:1: <source> needs 'tag'"
        ),
        Case(
            name: "missing bucket",
            text: "<match **>\n  @type s3\n</match>\n", code: .missingParameter, line: 1, word: "s3_bucket"
        ),
        Case(
            name: "missing buffer path for a file buffer",
            text: Support.s3Match("", buffer: "<buffer time>\n  @type file\n  timekey 60\n</buffer>\n"),
            code: .missingParameter, line: 5, word: "path"
        ),
        Case(
            name: "missing role_arn",
            text: Support.s3Match("<assume_role_credentials>\n  role_session_name x1\n</assume_role_credentials>"),
            code: .missingParameter, line: 4, word: "role_arn"
        ),
        Case(
            name: "aws_key_id without aws_sec_key",
            text: Support.s3Match("aws_key_id AKIA"), code: .missingParameter, line: 1, word: "aws_sec_key"
        ),
        Case(
            name: "port out of range",
            text: source + "  port 70000\n</source>\n" + Support.nullMatch, code: .badValue, line: 4, word: "70000",
            message: "test.conf:4: bad value '70000' for 'port' in <source>: expected an integer from 0 to 65535"
        ),
        Case(
            name: "unknown sync_policy",
            text: Support.s3Match("", buffer: "<buffer time>\n  sync_policy always\n</buffer>\n"), code: .badValue, line: 6,
            word: "always"
        ),
        Case(
            name: "segment_size below 1 MiB",
            text: Support.s3Match("", buffer: "<buffer time>\n  segment_size 4k\n</buffer>\n"), code: .badValue, line: 6,
            word: "4k"
        ),
        Case(
            name: "timekey with a bad unit",
            text: Support.s3Match("", buffer: "<buffer time>\n  timekey 1x\n</buffer>\n"), code: .badValue, line: 6,
            word: "1x"
        ),
        Case(
            name: "fractional timekey",
            text: Support.s3Match("", buffer: "<buffer time>\n  timekey 1.5\n</buffer>\n"), code: .badValue, line: 6,
            word: "1.5"
        ),
        Case(
            name: "bad size",
            text: Support.s3Match("", buffer: "<buffer>\n  chunk_limit_size 256mx\n</buffer>\n"), code: .badValue,
            line: 6, word: "256mx"
        ),
        Case(
            name: "bad bool",
            text: Support.s3Match("force_path_style maybe"), code: .badValue, line: 4, word: "maybe"
        ),
        Case(
            name: "bad store_as",
            text: Support.s3Match("store_as zstd"), code: .badValue, line: 4, word: "zstd",
            message: "test.conf:4: bad value 'zstd' for 'store_as' in <match>: expected one of gzip, lz4, json, text"
        ),
        Case(
            name: "compression level out of range",
            text: Support.s3Match("compression_level 10"), code: .badValue, line: 4, word: "10"
        ),
        Case(
            name: "bad endpoint",
            text: Support.s3Match("s3_endpoint ftp://localhost:9000"), code: .badValue, line: 4, word: "ftp://localhost:9000"
        ),
        Case(
            name: "bad bucket name",
            text: "<match **>\n  @type s3\n  s3_bucket My_Bucket\n</match>\n", code: .badValue, line: 3,
            word: "My_Bucket"
        ),
        Case(
            name: "duration_seconds below STS's minimum",
            text: Support.s3Match(
                "<assume_role_credentials>\n role_arn arn:aws:iam::1:role/r\n role_session_name s1\n duration_seconds 60\n</assume_role_credentials>"
            ),
            code: .badValue, line: 7, word: "60"
        ),
        Case(
            name: "message length limit above 1 MiB",
            text: source + "  message_length_limit 2m\n</source>\n" + Support.nullMatch, code: .badValue, line: 4,
            word: "2m"
        ),
        Case(
            name: "max_connections of 0",
            text: source + "  max_connections 0\n</source>\n" + Support.nullMatch, code: .badValue, line: 4,
            word: "0"
        ),
        Case(
            name: "idle_timeout without a time",
            text: source + "  idle_timeout soon\n</source>\n" + Support.nullMatch, code: .badValue, line: 4,
            word: "soon"
        ),
        Case(
            name: "bad transport",
            text: source + "  <transport quic>\n  </transport>\n</source>\n" + Support.nullMatch, code: .badValue,
            line: 4, word: "quic"
        ),
        Case(
            name: "client_cert_auth without ca_path",
            text: source + "  <transport tls>\n    cert_path c.pem\n    private_key_path k.pem\n    client_cert_auth true\n"
                + "  </transport>\n</source>\n" + Support.nullMatch,
            code: .missingParameter, line: 7, word: "client_cert_auth",
            message: "test.conf:7: 'client_cert_auth true' needs 'ca_path' in <transport tls>: the CA file client certificates are checked against"
        ),
        Case(
            name: "client_subject_key without client_cert_auth",
            text: source + "  client_subject_key tls_peer\n  <transport tls>\n    cert_path c.pem\n    private_key_path k.pem\n"
                + "    ca_path ca.pem\n  </transport>\n</source>\n" + Support.nullMatch,
            code: .conflictingSettings, line: 4, word: "client_subject_key"
        ),
        Case(
            name: "client_subject_key over plain tcp",
            text: source + "  client_subject_key tls_peer\n  <transport tcp>\n  </transport>\n</source>\n" + Support.nullMatch,
            code: .conflictingSettings, line: 4, word: "client_subject_key"
        ),
        Case(
            name: "bad min_version",
            text: source + "  <transport tls>\n    cert_path c.pem\n    private_key_path k.pem\n    min_version SSL3\n"
                + "  </transport>\n</source>\n" + Support.nullMatch,
            code: .badValue, line: 7, word: "SSL3",
            message: "test.conf:7: bad value 'SSL3' for 'min_version' in <transport>: expected one of TLS1_1, TLS1_2, TLS1_3"
        ),
        Case(
            name: "min_version outside <transport tls>",
            text: source + "  <transport tcp>\n    min_version TLS1_2\n  </transport>\n</source>\n" + Support.nullMatch,
            code: .unknownParameter, line: 5, word: "min_version"
        ),
        Case(
            name: "bad timezone",
            text: source + "  timezone Mars/Olympus\n</source>\n" + Support.nullMatch, code: .badValue, line: 4,
            word: "Mars/Olympus"
        ),
        Case(
            name: "bad log level",
            text: "<system>\n  log_level verbose\n</system>\n" + Support.nullMatch, code: .badValue, line: 2,
            word: "verbose"
        ),
        Case(
            name: "unsupported chunk key",
            text: Support.s3Match("", buffer: "<buffer tag,$.host>\n</buffer>\n"), code: .badValue, line: 5,
            word: "$.host"
        ),
        Case(
            name: "bad tag pattern",
            text: "<match {a,b>\n  @type null\n</match>\n", code: .badValue, line: 1, word: "{a,b"
        ),
        Case(
            name: "duplicate section",
            text: Support.s3Match("<format>\n</format>\n<format>\n</format>"), code: .duplicateSection, line: 6,
            word: "format"
        ),
        Case(
            name: "duplicate system",
            text: "<system>\n</system>\n<system>\n</system>\n" + Support.nullMatch, code: .duplicateSection, line: 3,
            word: "system"
        ),
        Case(
            name: "unknown nested section",
            text: Support.s3Match("<bufer>\n</bufer>"), code: .unknownSection, line: 4, word: "bufer"
        ),
        Case(
            name: "unclosed section reports where it opened",
            text: Support.nullMatch + "<match x>\n  @type s3\n  s3_bucket bbb\n  <buffer>\n    @type memory\n</match>\n",
            code: .unclosedSection, line: 7, word: "buffer",
            message: "test.conf:7: <buffer> opened here is never closed; add </buffer>"
        ),
        Case(
            name: "unclosed section at the end of the file",
            text: Support.nullMatch + "<source>\n  @type syslog\n  tag x\n", code: .unclosedSection, line: 4,
            word: "source"
        ),
        Case(
            name: "mismatched close tag",
            text: Support.s3Match("", buffer: "<buffer>\n</bufer>\n"), code: .mismatchedCloseTag, line: 6,
            word: "bufer",
            message: "test.conf:6: </bufer> does not match <buffer> opened at test.conf:5; write </buffer>"
        ),
        Case(
            name: "close tag with nothing open",
            text: Support.nullMatch + "</match>\n", code: .unexpectedCloseTag, line: 4, word: "match"
        ),
        Case(
            name: "missing >",
            text: "<match **\n  @type null\n</match>\n", code: .syntax, line: 1, word: "match"
        ),
        Case(
            name: "text after a section tag",
            text: "<match **> junk\n  @type null\n</match>\n", code: .syntax, line: 1, word: "junk"
        ),
        Case(
            name: "text after a quoted value",
            text: source + "  bind \"0.0.0.0\" extra\n</source>\n" + Support.nullMatch, code: .syntax, line: 4,
            word: "extra"
        ),
        Case(
            name: "unterminated string",
            text: Support.nullMatch + "<source>\n  tag \"open\n</source>\n", code: .syntax, line: 5, word: "\""
        ),
        Case(
            name: "unknown escape",
            text: source + "  bind \"\\q\"\n</source>\n" + Support.nullMatch, code: .syntax, line: 4, word: "\\q"
        ),
        Case(
            name: "unsupported embedded Ruby",
            text: Support.nullMatch + "<source>\n  @type syslog\n  tag \"#{`hostname`.chomp}\"\n</source>\n",
            code: .unsupportedEmbeddedCode, line: 6, word: "#{`hostname`.chomp}",
            message: "test.conf:6: embedded Ruby '#{`hostname`.chomp}' is not supported; Sluice evaluates \"#{Socket.gethostname}\", \"#{ENV['NAME']}\", \"#{ENV.fetch('NAME', 'default')}\" and \"#{ENV['NAME'] || 'default'}\""
        ),
    ]

    @Test(arguments: cases)
    func reported(_ testCase: Case) throws {
        let problems = Support.problems(testCase.text)
        let problem = try #require(problems.first { $0.code == testCase.code }, "got \(problems)")
        #expect(problem.location == ConfigLocation(file: "test.conf", line: testCase.line))
        #expect(problem.word == testCase.word)
        if let message = testCase.message {
            #expect(problem.description == message)
        }
    }

    @Test func everyProblemIsReported() {
        let text = """
            <source>
              @type syslog
              port 70000
              tag system
              bnid 0.0.0.0
            </source>
            <match system.**>
              @type s3
              s3_bucket bucket-name
              store_as zip
              <buffer time>
                timekey 1x
                timekey_wiat 60
              </buffer>
            </match>
            <sorce>
            </sorce>
            """
        let problems = Support.problems(text, file: "td-agent.conf")
        #expect(
            problems.map(\.description) == [
                "td-agent.conf:5: unknown parameter 'bnid' in <source>; did you mean 'bind'?",
                "td-agent.conf:3: bad value '70000' for 'port' in <source>: expected an integer from 0 to 65535",
                "td-agent.conf:10: bad value 'zip' for 'store_as' in <match>: expected one of gzip, lz4, json, text",
                "td-agent.conf:13: unknown parameter 'timekey_wiat' in <buffer>; did you mean 'timekey_wait'?",
                "td-agent.conf:12: bad value '1x' for 'timekey' in <buffer>: expected a time (like 30s, 60m, 1h, 1d or seconds)",
                "td-agent.conf:16: unknown directive <sorce>; Sluice reads <source>, <filter>, <match>, <label> and <system>; did you mean 'source'?",
            ]
        )
        do {
            _ = try Support.parse(text, file: "td-agent.conf")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.split(separator: "\n").count == 6)
        }
    }

    @Test func problemsInAFileNameIt() {
        let path = Support.fixtures + "/errors/every-problem.conf"
        do {
            _ = try SluiceConfiguration.load(path: path, environment: [:], hostname: "h")
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.map(\.location.line) == [5, 3, 10, 13, 12, 16])
            #expect(error.problems.allSatisfy { $0.location.file == path })
            #expect(error.problems.map(\.word) == ["bnid", "70000", "zip", "timekey_wiat", "1x", "sorce"])
        }
    }

    @Test func unreadableFile() {
        #expect(throws: ConfigError.self) {
            try SluiceConfiguration.load(path: "/nonexistent/td-agent.conf", environment: [:], hostname: "h")
        }
        do {
            _ = try SluiceConfiguration.load(path: "/nonexistent/td-agent.conf", environment: [:], hostname: "h")
        } catch {
            #expect(error.problems.map(\.code) == [.unreadableFile])
            #expect(error.problems.first?.word == "/nonexistent/td-agent.conf")
        }
    }
}
