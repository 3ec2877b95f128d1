import Framing
import Foundation
import Ingest
import NIOCore
import NIOEmbedded
import Testing

/// Framing cases from other implementations' test suites (go-syslog, Vector, Fluentd, rsyslog), kept in
/// Fixtures/framing/framing.jsonl (a copy of ../shared/conformance/framing.jsonl; see its README).
///
/// Sluice frames a TCP stream like this: per frame, octet counting when it starts with `[1-9][0-9]* <`,
/// otherwise a line up to LF; longer frames are cut to the limit and kept; the last frame is delivered at
/// end of stream without its LF. Cases are checked as follows:
/// - `expect_frames` (Fluentd, rsyslog): the frames, byte for byte.
/// - go-syslog `best_effort_results`: one frame per result that has a message, starting with its `<PRI>`
///   and ending with its MSG.
/// - Vector `steps`: after each feed, the frame it expects (or none); `error` steps never apply.
enum FramingConformance {
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // IngestTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/framing/framing.jsonl")
    static let shared = fixture
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/conformance/framing.jsonl")

    /// Cases whose framing option Sluice does not have; not checked.
    static let notApplicable: [String: String] = [
        // go-syslog's `trailer=NUL` option ends frames at NUL. Sluice, like Fluentd's in_syslog, ends
        // non-transparent frames at LF only (NUL is skipped only between frames).
        "go-syslog:nontransparent/parser_test.go:getTestCases[0] (1st ok) trailer=NUL": "NUL trailer option",
        "go-syslog:nontransparent/parser_test.go:getTestCases[2] (1st ok/2nd ok) trailer=NUL": "NUL trailer option",
        "go-syslog:nontransparent/parser_test.go:getTestCases[3] (1st ok/2nd ok//notrailer) trailer=NUL": "NUL trailer option",
        "go-syslog:nontransparent/parser_test.go:getTestCases[4] (1st ok//incomplete/2nd ok//incomplete) trailer=NUL": "NUL trailer option",
        // rsyslog `framingfix.cisco.asa`: leading spaces before <PRI> dropped. Sluice keeps the bytes.
        "rsyslog:tests/imtcp_spframingfix.sh": "Cisco ASA framing fix option",
        // rsyslog `framing.delimiter.regex`: multi-line messages. Sluice has no regex framing.
        "rsyslog:tests/imtcp_framing_regex.sh": "regex-delimited framing option",
    ]

    /// Cases where Sluice deliberately frames otherwise: the reason, and the frames Sluice gives for the
    /// whole input (end of stream included), which are checked instead.
    static let intentionalDifferences: [String: (reason: String, frames: [DecodedFrame])] = [
        "go-syslog:octetcounting/parser_test.go:getTestCases[0] (empty)":
            ("no bytes: no frame and no error (Sluice reports no framing errors)", []),
        "go-syslog:octetcounting/parser_test.go:getTestCases[2] (1st ok/2nd ko)":
            ("bytes that are not an octet count are an LF frame, delivered at end of stream", [frame("<1>1 - - - - - -"), frame("xaaa")]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[3] (1st ml/2nd ko)":
            ("framing does not parse the message; the rest is an LF frame", [frame("<1>1 A B C D E -"), frame("xaaa")]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[5] (1st ko//incomplete SYSLOGMSG)":
            ("a frame cut short by end of stream is delivered (as rsyslog does), without its count", [frame("<1>1")]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[6] (1st ko//missing WS found ILLEGAL)":
            ("no `SP <` after the digits: an LF frame", [frame("16<1>1")]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[7] (1st ko//missing WS found EOF)":
            ("digits alone: an LF frame at end of stream", [frame("1")]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[15] (MSGLEN gt max message length)":
            ("an oversize frame is cut to the limit and kept, not rejected", [frame("<1>1 - - -", cut: true)]),
        "go-syslog:octetcounting/parser_test.go:getTestCases[16] (1st uf/2nd ok//incomplete SYSLOGMSG/notdetectable)":
            ("framing does not parse the message; what follows the count is an LF frame", [frame("<1>217 <11>1 - -"), frame(" - - - -")]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_works_with_multiple_frames":
            ("octet counting needs `<` after the count (keeps digit-leading LF lines out); this line is then over the limit", [frame("28 abcdefghijklm3 nopqrstuvwxy", cut: true)]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_moves_past_invalid_length":
            ("not an octet count: an LF frame, no error", [frame("232>1 zork")]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_moves_past_invalid_utf8":
            ("framing does not validate UTF-8: the bytes are an LF frame", [frame(bytes: [0x34, 0x20, 0xf0, 0x28, 0x8c, 0xbc])]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_moves_past_exceeded_frame_length":
            ("an oversize line is cut to the limit and kept, not dropped", [frame("32thisshouldbelo", cut: true)]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_rejects_exceeded_frame_length":
            ("no `<` after the count: an LF line, cut to the limit", [frame("26 abcdefghijklm", cut: true)]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_rejects_exceeded_frame_length_multiple_frames":
            ("no `<` after the count: an LF line, cut to the limit", [frame("26 abcdefghijklm", cut: true)]),
        "vector:lib/codecs/src/decoding/framing/octet_counting.rs:tests::octet_decode_moves_past_exceeded_frame_length_multiple_frames":
            ("oversize lines are cut and kept", [frame("32thisshouldbelo", cut: true), frame("32 something val", cut: true)]),
        "rsyslog:tests/imtcp-octet-framing-too-long-vg.sh":
            ("a count with leading zeros is not octet counting: an LF line, cut to the limit", [frame(String(repeating: "0", count: 128), cut: true)]),
    ]

    struct Case: CustomStringConvertible, Sendable {
        var id: String
        var input: [UInt8]
        var limit: Int
        var record: [String: SendableJSON]
        var description: String { id }
    }

    /// JSON values from `JSONSerialization`, boxed so cases can be test arguments.
    struct SendableJSON: @unchecked Sendable {
        var value: Any
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: fixture), let text = String(data: data, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["id"] as? String
            else { return nil }
            let input: [UInt8]
            if let b64 = object["input_b64"] as? String, let bytes = Data(base64Encoded: b64) {
                input = Array(bytes)
            } else {
                input = Array((object["input"] as? String ?? "").utf8)
            }
            let options = object["options"] as? [String: Any] ?? [:]
            let limit = (options["max_message_length"] ?? options["max_length"] ?? options["MaxMessageSize"]) as? Int ?? 8192
            return Case(id: id, input: input, limit: limit, record: object.mapValues { SendableJSON(value: $0) })
        }
    }()

    /// Frames for a whole stream, end of stream included.
    static func frames(of input: [UInt8], limit: Int) throws -> [DecodedFrame] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder(limit: limit)))
        try channel.writeInbound(ByteBuffer(bytes: input))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let frames = try readAll(channel)
        #expect(try channel.finish().isClean)
        return frames
    }
}

@Suite("Framing conformance (Fixtures/framing/framing.jsonl)")
struct FramingConformanceTests {
    @Test("The fixture is a current copy of the shared conformance data")
    func fixtureIsCurrent() throws {
        let copy = try Data(contentsOf: FramingConformance.fixture)
        #expect(FramingConformance.cases.count == 45)
        if let shared = try? Data(contentsOf: FramingConformance.shared) {
            #expect(copy == shared, "refresh Fixtures/framing/framing.jsonl from ../shared/conformance/")
        }
    }

    @Test("Every case is checked, listed as not applicable, or listed as an intentional difference")
    func accounting() {
        let ids = Set(FramingConformance.cases.map(\.id))
        let checked = ids.subtracting(FramingConformance.notApplicable.keys).subtracting(FramingConformance.intentionalDifferences.keys)
        #expect(ids.count == 45)
        #expect(Set(FramingConformance.notApplicable.keys).isSubset(of: ids), "stale not-applicable ids")
        #expect(Set(FramingConformance.intentionalDifferences.keys).isSubset(of: ids), "stale difference ids")
        #expect(Set(FramingConformance.notApplicable.keys).isDisjoint(with: FramingConformance.intentionalDifferences.keys))
        #expect(FramingConformance.notApplicable.count == 6)
        #expect(FramingConformance.intentionalDifferences.count == 16)
        #expect(checked.count == 23, "cases checked against the sources' expectations")
    }

    @Test("Sluice frames as the source expects", arguments: FramingConformance.cases.filter {
        FramingConformance.notApplicable[$0.id] == nil && FramingConformance.intentionalDifferences[$0.id] == nil
    })
    func conformant(testCase: FramingConformance.Case) throws {
        let record = testCase.record.mapValues(\.value)
        if let steps = record["steps"] as? [[String: Any]] {
            var decoder = SyslogFrameDecoder(limit: testCase.limit)
            var buffer = ByteBuffer()
            var count = 0
            for step in steps {
                if let feed = step["feed"] as? String {
                    buffer.writeString(feed)
                } else if let b64 = step["feed_b64"] as? String {
                    buffer.writeBytes(Array(try #require(Data(base64Encoded: b64))))
                }
                var produced: [DecodedFrame] = []
                try drain(&decoder, &buffer, into: &produced, steps: &count)
                if let result = step["result"] as? String {
                    #expect(result != "error", "an error step cannot be checked")
                    if result == "none" { #expect(produced.isEmpty) }
                } else if let result = step["result"] as? [String: Any], let expected = result["frame"] as? String {
                    #expect(produced == [frame(expected)])
                }
                if let after = step["buffer_after"] as? String {
                    #expect(buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) == after)
                }
            }
            return
        }

        let frames = try FramingConformance.frames(of: testCase.input, limit: testCase.limit)
        if let expected = record["expect_frames"] as? [String] {
            #expect(frames == expected.map { frame($0) })
        } else if let results = record["best_effort_results"] as? [[String: Any]] {
            let messages = results.compactMap { $0["message"] as? [String: Any] }
            #expect(messages.count == results.count, "every result has a message")
            try #require(frames.count == messages.count)
            for (frame, message) in zip(frames, messages) {
                #expect(!frame.wasCut)
                let text = String(decoding: frame.bytes.readableBytesView, as: UTF8.self)
                let pri = try #require(message["pri"] as? Int)
                #expect(text.hasPrefix("<\(pri)>"))
                if let msg = message["message"] as? String {
                    #expect(text.hasSuffix(msg))
                }
            }
        } else {
            Issue.record("case \(testCase.id) has no expectation Sluice can check")
        }
    }

    @Test("Where Sluice differs on purpose, it frames as documented here", arguments: FramingConformance.cases.filter {
        FramingConformance.intentionalDifferences[$0.id] != nil
    })
    func intentionalDifference(testCase: FramingConformance.Case) throws {
        let expected = try #require(FramingConformance.intentionalDifferences[testCase.id])
        #expect(try FramingConformance.frames(of: testCase.input, limit: testCase.limit) == expected.frames, "\(expected.reason)")
    }
}
