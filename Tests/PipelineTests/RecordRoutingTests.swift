import Foundation
import Ingest
import Codec
import Logging
import NIOCore
import SluiceConfig
import Spool
import SyslogProtocol
import Testing

@testable import Pipeline

/// Filters, labels, copy, `<inject>` and formats: what each output receives for a configuration, as
/// Fluentd would write it.
struct RecordRoutingTests {
    static let source = "<source>\n  @type syslog\n  tag system\n</source>\n"
    static let frames = [
        "<38>Nov 27 00:20:00 web1 sshd[4]: Accepted publickey for alice",
        "<86>Nov 27 00:10:00 web1 CRON[1]: (root) CMD (run-parts)",
        "<38>Nov 27 00:21:00 web2 sshd[5]: Failed password for bob",
    ]

    /// Runs `frames` through a parser worker routed by `text`, and returns each output's lines.
    static func lines(_ text: String, frames: [String] = frames) async throws -> [[String]] {
        let configuration = try SluiceConfiguration.parse(text: text, file: "t.conf", environment: [:], hostname: "collector1")
        let planning = try RoutePlanning(configuration: configuration, hostname: "collector1")
        let source = try #require(configuration.sources.first)
        var routing = SourceRouting(
            name: "test", tag: source.tag, parser: SyslogParser(), emitUnmatchedLines: false,
            plan: { planning.plan(tag: $0, label: source.label) })
        routing.keepsLinesWhole = source.parseNone
        let input = BoundedQueue<SourceBatch>(.watermark(low: 1, high: 4))
        let outputs = configuration.matches.map { _ in BoundedQueue<EncodedBatch>(.watermark(low: 1, high: 64)) }
        let worker = ParserWorker(
            input: input, sources: [routing],
            outputs: outputs.map { (OutputPartitioning(byTag: true, spool: SpoolConfiguration(directory: "", timekey: 3600)), $0) },
            logger: Logger(label: "test"))
        let batch = FrameBatch(frames: frames.map { ByteBuffer(string: $0) }, receivedAt: 1_795_740_000 * 1_000_000_000)
        try await input.send(SourceBatch(source: 0, batch: batch))
        input.finish()
        await worker.run()
        var result: [[String]] = []
        for output in outputs {
            output.finish()
            var lines: [String] = []
            while let batch = await output.next() {
                for (_, part) in batch.parts.sorted(by: { $0.key.tag < $1.key.tag }) {
                    lines += String(decoding: part.lines, as: UTF8.self).split(separator: "\n").map(String.init)
                }
            }
            result.append(lines)
        }
        return result
    }

    @Test func grepKeepsAndDropsAsFluentdsFilterGrep() async throws {
        let lines = try await Self.lines(Self.source + """
            <filter system.**>
              @type grep
              <regexp>
                key ident
                pattern /^sshd$/
              </regexp>
              <exclude>
                key message
                pattern /accepted/i
              </exclude>
            </filter>
            <match system.**>
              @type null
            </match>
            """)
        #expect(lines == [[#"{"host":"web2","ident":"sshd","pid":"5","message":"Failed password for bob"}"#]])
    }

    @Test func recordTransformerAddsRemovesAndExpandsPlaceholders() async throws {
        let lines = try await Self.lines(Self.source + """
            <filter system.auth.**>
              @type record_transformer
              remove_keys pid
              <record>
                facility ${tag_parts[1]}
                collector ${hostname}
                summary ${record["ident"]} on ${record['host']}: ${record["message"]}
                tail ${tag_suffix[1]}
                bare ${message}
                inside <${ident}>
              </record>
            </filter>
            <match system.auth.**>
              @type null
            </match>
            """, frames: [Self.frames[0]])
        #expect(lines == [[
            #"{"host":"web1","ident":"sshd","message":"Accepted publickey for alice","facility":"auth","collector":"collector1","summary":"sshd on web1: Accepted publickey for alice","tail":"auth.info","bare":null,"inside":"<>"}"#
        ]])
    }

    @Test func copyGivesEveryStoreTheRecordInItsOwnFormat() async throws {
        let lines = try await Self.lines(Self.source + """
            <match system.authpriv.**>
              @type copy
              <store>
                @type null
              </store>
              <store>
                @type null
                <inject>
                  tag_key tag
                  time_key time
                  time_type unixtime
                  hostname_key collector
                </inject>
              </store>
            </match>
            """, frames: [Self.frames[1]])
        #expect(lines.count == 2)
        #expect(lines[0] == [#"{"host":"web1","ident":"CRON","pid":"1","message":"(root) CMD (run-parts)"}"#])
        let injected = try #require(lines[1].first)
        #expect(injected.hasPrefix(#"{"host":"web1","ident":"CRON","pid":"1","message":"(root) CMD (run-parts)","collector":"collector1","tag":"system.authpriv.info","time":"#))
    }

    @Test func labelsAndRelabelRouteThroughTheirOwnFilters() async throws {
        let lines = try await Self.lines("""
            <source>
              @type syslog
              tag system
              @label @SECURITY
            </source>
            <match **>
              @type null
            </match>
            <label @SECURITY>
              <filter system.auth.**>
                @type grep
                <regexp>
                  key message
                  pattern Failed
                </regexp>
              </filter>
              <match system.auth.**>
                @type relabel
                @label @ARCHIVE
              </match>
            </label>
            <label @ARCHIVE>
              <match **>
                @type null
                <inject>
                  tag_key route
                </inject>
              </match>
            </label>
            """)
        // The top-level <match> is never reached: the source's records enter @SECURITY.
        #expect(lines[0].isEmpty)
        #expect(lines[1] == [#"{"host":"web2","ident":"sshd","pid":"5","message":"Failed password for bob","route":"system.auth.info"}"#])
    }

    @Test(arguments: [
        ("@type ltsv", "host:web1\tident:CRON\tpid:1\tmessage:(root) CMD (run-parts)"),
        ("@type csv\n  fields ident,message,missing", #""CRON","(root) CMD (run-parts)","""#),
        ("@type csv\n  fields ident,pid\n  force_quotes false", "CRON,1"),
        ("@type single_value", "(root) CMD (run-parts)"),
        ("@type single_value\n  message_key ident", "CRON"),
        ("@type tsv\n  keys host,ident", "web1\tCRON"),
        ("@type hash", #"{"host"=>"web1", "ident"=>"CRON", "pid"=>"1", "message"=>"(root) CMD (run-parts)"}"#),
        ("@type out_file\n  output_time false", "system.authpriv.info\t" + #"{"host":"web1","ident":"CRON","pid":"1","message":"(root) CMD (run-parts)"}"#),
        ("@type out_file\n  output_tag false\n  utc true\n  time_format %Y-%m-%dT%H:%M:%S.%L%z", "-11-27T00:10:00.000+0000\t" + #"{"host":"web1","ident":"CRON","pid":"1","message":"(root) CMD (run-parts)"}"#),
    ])
    func formatsWriteAsFluentdsFormatters(format: String, expected: String) async throws {
        let lines = try await Self.lines(Self.source + "<match **>\n  @type null\n</match>\n".replacingOccurrences(of: "@type null", with: "@type s3\n  s3_bucket test-bucket\n  local_directory /tmp\n<format>\n  \(format)\n</format>"), frames: [Self.frames[1]])
        let line = try #require(lines.first?.first)
        if expected.hasPrefix("-") {
            #expect(line.hasSuffix(expected))  // the year is the reception year
        } else {
            #expect(line == expected)
        }
    }

    @Test func parseNoneKeepsTheLineAfterThePriorityWhole() async throws {
        let text = """
            <source>
              @type syslog
              tag raw
              <parse>
                @type none
              </parse>
            </source>
            <match raw.authpriv.**>
              @type null
            </match>
            <match raw.auth.**>
              @type null
              <inject>
                tag_key tag
              </inject>
            </match>
            """
        let lines = try await Self.lines(text, frames: Self.frames + ["no priority here"])
        #expect(lines[0] == [#"{"message":"Nov 27 00:10:00 web1 CRON[1]: (root) CMD (run-parts)"}"#])
        #expect(lines[1] == [
            #"{"message":"Nov 27 00:20:00 web1 sshd[4]: Accepted publickey for alice","tag":"raw.auth.info"}"#,
            #"{"message":"Nov 27 00:21:00 web2 sshd[5]: Failed password for bob","tag":"raw.auth.info"}"#,
        ])
    }

    @Test(arguments: [
        ("utc true", #""t":"2026-11-27T00:10:00Z""#),
        ("timezone +09:00", #""t":"2026-11-27T09:10:00+09:00""#),
        ("timezone -05:30\n    time_format %d/%b/%Y:%H:%M:%S.%3N %z", #""t":"26/Nov/2026:18:40:00.000 -0530""#),
    ])
    func injectedTimeIsWrittenAsRubysIso8601(zone: String, expected: String) async throws {
        let lines = try await Self.lines(Self.source + """
            <match **>
              @type null
              <inject>
                time_key t
                time_type string
                \(zone)
              </inject>
            </match>
            """, frames: ["<86>2026-11-27T00:10:00Z web1 CRON[1]: x"])
        let line = try #require(lines.first?.first)
        #expect(line.hasSuffix(expected + "}"), "\(line)")
    }
}

/// Grep's plain-word patterns are tested without the regular expression engine: the same answers.
struct GrepMatcherTests {
    @Test(arguments: ["^sshd$", "sshd", "^ssh", "shd$", "Failed password", "^$", "a.b", "(x|y)", "^CRON$", "ü", "\\$"])
    func literalsAnswerAsTheExpressionDoes(pattern: String) throws {
        let condition = GrepFilter.Condition(key: "k", pattern: pattern)
        let matcher = try RecordFilter.Matcher(condition)
        let expression = try condition.regularExpression()
        for value in ["sshd", "sshd2", "xsshd", "Failed password for bob", "CRON", "", "a.b", "axb", "x", "über", "cost $", "sshd\n"] {
            let expected = expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
            #expect(matcher.matches(value) == expected, "\(pattern) on \(value.debugDescription)")
        }
    }
}

/// `time_type float` as Fluentd writes it: cut to microseconds, then the nearest double.
struct FloatTimeTests {
    @Test(arguments: [
        (Int32(123_456_789), "1772323262.123456"), (999_999_999, "1772323262.999999"), (0, "1772323262.0"),
        (500_000, "1772323262.0005"),
    ])
    func microsecondsAsFluentdCutsThem(nanoseconds: Int32, expected: String) {
        #expect(String(RecordTime(seconds: 1_772_323_262, nanoseconds: nanoseconds).microsecondFloat) == expected)
    }
}

/// The slow path reads back what the record encoder wrote: every record of the captured senders'
/// frames, and text with escapes, control characters and bytes that are not UTF-8, comes back whole.
struct FlatRecordTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/syslog")

    @Test func encodedRecordsReadBackFieldByField() throws {
        var frames = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { $0.hasSuffix(".syslog") }
            .map { Array(try Data(contentsOf: Self.fixtures.appendingPathComponent($0))) }
        frames.append(Array("<13>Nov 27 10:00:00 host app[7]: tab\there \"quoted\" \\ ü \u{1} ✓".utf8) + [0xFF, 0xC0, 0x80])
        #expect(frames.count >= 10)
        for frame in frames {
            var end = frame.count
            while end > 0, frame[end - 1] == 10 || frame[end - 1] == 13 { end -= 1 }
            let bytes = Array(frame[..<end])
            let message = try bytes.withUnsafeBytes { try SyslogParser().parse($0, at: ReceptionTime(seconds: 1_795_740_000, utcOffsetSeconds: 0)) }
            var line: [UInt8] = []
            bytes.withUnsafeBytes { JSONRecordEncoder.appendRecord(message, frame: $0, moreFields: JSONRecordEncoder.field(key: "source", value: "10.0.0.1"), to: &line) }
            let record = try #require(FlatRecord(json: line.dropLast()), "\(String(decoding: line, as: UTF8.self))")
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
            #expect(record.fields.count == decoded.count)
            for (key, value) in record.fields {
                #expect(decoded[key] == value.text, "\(key)")
            }
        }
    }
}
