import Codec
import Foundation
import SyslogProtocol
import Testing

/// The JSON line for a record must be what td-agent writes, and must always be
/// valid JSON whatever bytes the sender put in the frame.
@Suite struct JSONRecordEncoderTests {
    func record(_ text: String) throws -> String {
        try record(Array(text.utf8))
    }

    func record(_ frame: [UInt8]) throws -> String {
        let message = try SyslogParser().parse(frame, now: 1_781_524_800)
        var out: [UInt8] = []
        frame.withUnsafeBytes { JSONRecordEncoder.appendRecord(message, frame: $0, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    func encoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { JSONRecordEncoder.appendJSONString($0, to: &out) }
        return out
    }

    /// The string a JSON parser reads back from `appendJSONString`'s output.
    func decoded(_ json: [UInt8]) throws -> String {
        let array = try JSONSerialization.jsonObject(with: Data("[".utf8 + json + "]".utf8)) as? [String]
        return try #require(array?.first)
    }

    @Test func rfc3164RecordMatchesFluentd() throws {
        let line = try record("<86>Nov 26 23:12:55 ip-172-31-92-150 CRON[32611]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)")
        #expect(line == #"{"host":"ip-172-31-92-150","ident":"CRON","pid":"32611","message":"(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"}"# + "\n")
    }

    @Test func rfc5424RecordMatchesFluentd() throws {
        let line = try record(#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] BOM'An application event'"#)
        #expect(line == #"{"host":"mymachine.example.com","ident":"evntslog","pid":"-","msgid":"ID47","extradata":"[exampleSDID@32473 iut=\"3\"]","message":"BOM'An application event'"}"# + "\n")
    }

    @Test("an extra field (client_subject_key) ends the record, escaped, also when it is the only field")
    func extraFieldEndsTheRecord() throws {
        let field = JSONRecordEncoder.field(key: "tls_peer", value: #"CN=host\1,O="Ex" ✓"#)
        #expect(String(decoding: field, as: UTF8.self) == #""tls_peer":"CN=host\\1,O=\"Ex\" ✓""#)
        let frame = Array("<13>Aug 10 12:00:00 host app: text".utf8)
        let message = try SyslogParser().parse(frame, now: 1_781_524_800)
        var out: [UInt8] = []
        frame.withUnsafeBytes { JSONRecordEncoder.appendRecord(message, frame: $0, extraFields: field, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == #"{"host":"host","ident":"app","message":"text","tls_peer":"CN=host\\1,O=\"Ex\" ✓"}"# + "\n")
        let object = try JSONSerialization.jsonObject(with: Data(out.dropLast())) as? [String: String]
        #expect(object?["tls_peer"] == #"CN=host\1,O="Ex" ✓"#)

        out = []
        let empty = SyslogMessage(format: .rfc3164, facility: .user, severity: .info)
        [UInt8]().withUnsafeBytes { JSONRecordEncoder.appendRecord(empty, frame: $0, extraFields: field, to: &out) }
        #expect(out == Array("{".utf8) + field + Array("}\n".utf8))

        // Two groups of fields, comma-joined after the parsed keys.
        out = []
        let more = JSONRecordEncoder.field(key: "source_ip", value: "10.0.0.1")
        frame.withUnsafeBytes { JSONRecordEncoder.appendRecord(message, frame: $0, extraFields: field, moreFields: more, to: &out) }
        #expect(String(decoding: out, as: UTF8.self).hasSuffix(#"✓","source_ip":"10.0.0.1"}"# + "\n"))
    }

    @Test func absentKeysAreLeftOut() throws {
        #expect(try record("<13>Aug 10 12:00:00 127.0.0.1 value1,value2") == #"{"host":"127.0.0.1","message":"value1,value2"}"# + "\n")
        #expect(try record("<13>1 - - - - - -") == #"{"host":"-","ident":"-","pid":"-","msgid":"-","extradata":"-"}"# + "\n")
        let empty = SyslogMessage(format: .rfc3164, facility: .user, severity: .info)
        var out: [UInt8] = []
        [UInt8]().withUnsafeBytes { JSONRecordEncoder.appendRecord(empty, frame: $0, to: &out) }
        #expect(out == Array("{}\n".utf8))
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote\" back\\slash", #""quote\" back\\slash""#),
        ("\n\t\r\u{08}\u{0C}", #""\n\t\r\b\f""#),
        ("\u{00}\u{01}\u{1F}", #""\u0000\u0001\u001f""#),
        ("del\u{7F}", "\"del\u{7F}\""),
        ("slash / kept", #""slash / kept""#),
        ("κόσμε 𐌼 \u{FEFF}", "\"κόσμε 𐌼 \u{FEFF}\""),
    ])
    func escapes(_ input: String, _ expected: String) throws {
        let out = encoded(Array(input.utf8))
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(try decoded(out) == input)
    }

    @Test(arguments: [
        ([0xFC], #""\u00fc""#),
        ([0x66, 0xC3], #""f\u00c3""#),  // truncated 2-byte sequence
        ([0xC0, 0xAF], #""\u00c0\u00af""#),  // overlong
        ([0xED, 0xA0, 0x80], #""\u00ed\u00a0\u0080""#),  // surrogate
        ([0xF4, 0x90, 0x80, 0x80], #""\u00f4\u0090\u0080\u0080""#),  // above U+10FFFF
        ([0xE2, 0x82, 0xAC, 0xFF], "\"€\\u00ff\""),
    ] as [([UInt8], String)])
    func invalidUTF8BecomesLatin1Escapes(_ input: [UInt8], _ expected: String) throws {
        let out = encoded(input)
        #expect(String(decoding: out, as: UTF8.self) == expected)
        // Read back, each invalid byte is the Latin-1 character of the same value.
        #expect(try decoded(out).unicodeScalars.count > 0)
    }

    @Test func randomBytesAlwaysGiveValidJSON() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<48, using: &generator)
            let bytes = (0..<length).map { _ in
                // Bias towards the interesting ranges.
                Bool.random(using: &generator) ? UInt8.random(in: 0x80...0xFF, using: &generator) : UInt8.random(in: 0...0x7F, using: &generator)
            }
            let out = encoded(bytes)
            let text = try decoded(out)
            // Valid UTF-8 input round-trips exactly.
            if let valid = String(validating: bytes, as: UTF8.self) {
                #expect(text == valid)
            }
        }
    }

    /// The encoder skips eight plain bytes at a time: each byte that needs escaping, at every position
    /// relative to an eight-byte word, in runs of plain text of every length, is still escaped.
    @Test func everySpecialByteIsEscapedAtEveryPositionOfAWord() throws {
        let specials: [(UInt8, String)] = [
            (UInt8(ascii: "\""), #"\""#), (UInt8(ascii: "\\"), #"\\"#), (0x0A, #"\n"#), (0x00, #"\u0000"#),
            (0x1F, #"\u001f"#), (0xFF, #"\u00ff"#),
        ]
        for (byte, escaped) in specials {
            for before in 0..<20 {
                for after in [0, 1, 7, 8, 9, 17] {
                    let input = Array(repeating: UInt8(ascii: "a"), count: before) + [byte] + Array(repeating: UInt8(ascii: "b"), count: after)
                    let expected = "\"" + String(repeating: "a", count: before) + escaped + String(repeating: "b", count: after) + "\""
                    #expect(String(decoding: encoded(input), as: UTF8.self) == expected, "byte \(byte) after \(before)")
                }
            }
        }
        // Multi-byte UTF-8 across word boundaries is copied as it is.
        for before in 0..<9 {
            let text = String(repeating: "x", count: before) + "κόσμε 𐌼 and more plain text"
            #expect(String(decoding: encoded(Array(text.utf8)), as: UTF8.self) == "\"" + text + "\"")
        }
    }

    @Test func recordsOfFixturesAreValidJSONLines() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/syslog")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".syslog") }
        #expect(names.count >= 10)
        for name in names {
            let frame = Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
            let line = try record(frame)
            #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "\(name)")
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            // Network gear without a hostname (no-hostname*, cisco-ios-*) has none, as rsyslog reads it.
            let hostless = name.hasPrefix("no-hostname") || name.hasPrefix("cisco-ios-sequence") || name.hasPrefix("cisco-ios-timezone")
            #expect((object?["host"] != nil) != hostless, "\(name)")
        }
    }
}

@Suite("JSON records written through scratch room")
struct EncoderScratchTests {
    @Test("A long record with escapes is the same written on the stack, in a worker's scratch room, or one that must grow", arguments: [10, 300, 5_000])
    func longRecords(repeats: Int) throws {
        let text = "<13>Nov 27 10:00:00 host app[7]: " + String(repeating: "tab\there \"quoted\" \\ ü \u{1}", count: repeats)
        let frame = Array(text.utf8) + [0xFF, 0xC0]  // and bytes that are not UTF-8
        let message = try SyslogParser().parse(frame, now: 1_781_524_800)
        let extra = JSONRecordEncoder.field(key: "source", value: "10.0.0.1")
        var plain: [UInt8] = []
        var scratched: [UInt8] = [0x2A]
        let scratch = EncoderScratch()
        frame.withUnsafeBytes { bytes in
            JSONRecordEncoder.appendRecord(message, frame: bytes, moreFields: extra, to: &plain)
            for _ in 0..<3 { JSONRecordEncoder.appendRecord(message, frame: bytes, moreFields: extra, to: &scratched, scratch: scratch) }
        }
        #expect(Array(scratched.dropFirst()) == plain + plain + plain)
        let object = try JSONSerialization.jsonObject(with: Data(plain.dropLast())) as? [String: String]
        #expect(object?["message"]?.hasSuffix("\u{1}\u{FF}\u{C0}") == true)
        #expect(object?["source"] == "10.0.0.1")
    }
}
