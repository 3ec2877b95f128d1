import Testing

@testable import SyslogProtocol

/// RFC 3164 headers as routers, switches and hostless senders write them, read
/// as rsyslog (`pmrfc3164`, `pmciscoios`) reads them.
@Suite struct NetworkGearTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var host: String?
        var ident: String?
        var pid: String? = nil
        var message: String?
        /// The stamp's fraction; every case is stamped 1 March 00:01:02 (UTC).
        var nanoseconds: Int32 = 0
        var testDescription: String { text }
    }

    static let stamp = unixTime(2026, 3, 1, 0, 1, 2)

    @Test(arguments: [
        // No hostname: a word ending with ':', holding a '[' or starting with '%' is the tag.
        Case(text: "<13>Mar  1 00:01:02 sshd[12]: text", host: nil, ident: "sshd", pid: "12", message: "text"),
        Case(text: "<13>Mar  1 00:01:02 su: text", host: nil, ident: "su", message: "text"),
        Case(text: "<13>Mar  1 00:01:02 sshd[12] text", host: nil, ident: "sshd", pid: "12", message: "text"),
        Case(text: "<13>Mar  1 00:01:02 %LINK-3-UPDOWN: Interface Gi0/1", host: nil, ident: "%LINK-3-UPDOWN", message: "Interface Gi0/1"),
        Case(text: "<13>Mar  1 00:01:02 sshd[12]:", host: nil, ident: "sshd", pid: "12", message: ""),
        Case(text: "<13>Mar  1 00:01:02 sshd[12]:\n", host: nil, ident: "sshd", pid: "12", message: ""),
        Case(text: "<13>2026-03-01T00:01:02Z sshd[12]: text", host: nil, ident: "sshd", pid: "12", message: "text"),
        // Hostnames stay hosts, including bracketed and IPv6 addresses.
        Case(text: "<13>Mar  1 00:01:02 [10.0.0.1] app: x", host: "[10.0.0.1]", ident: "app", message: "x"),
        Case(text: "<13>Mar  1 00:01:02 fe80::1 app: x", host: "fe80::1", ident: "app", message: "x"),
        Case(text: "<13>Mar  1 00:01:02 host-1.example.com app[7]: x", host: "host-1.example.com", ident: "app", pid: "7", message: "x"),
        Case(text: "<13>Mar  1 00:01:02 host app: %d items", host: "host", ident: "app", message: "%d items"),
        // Cisco IOS: sequence number, time-sync mark, milliseconds, colon after the stamp.
        Case(
            text: "<189>29: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up",
            host: nil, ident: "%LINK-3-UPDOWN", message: "Interface GigabitEthernet0/1, changed state to up", nanoseconds: 345_000_000
        ),
        Case(text: "<189>29: .Mar  1 00:01:02.345: %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x", nanoseconds: 345_000_000),
        Case(text: "<189>29: Mar  1 00:01:02: %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x"),
        Case(text: "<189>*Mar  1 00:01:02.345: %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x", nanoseconds: 345_000_000),
        Case(text: "<189>Mar  1 00:01:02: %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x"),
        Case(text: "<189>Mar  1 00:01:02: core-sw1 %SYS-5-CONFIG_I: x", host: "core-sw1", ident: "%SYS-5-CONFIG_I", message: "x"),
        // A zone name other than UTC/GMT is skipped; the configured zone applies.
        Case(text: "<189>30: Mar  1 00:01:02.345 CET: %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x", nanoseconds: 345_000_000),
        // The origin host before the stamp.
        Case(text: "<189>123: host1: *Mar  1 00:01:02.345: %SYS-5-CONFIG_I: x", host: "host1", ident: "%SYS-5-CONFIG_I", message: "x", nanoseconds: 345_000_000),
        Case(text: "<189>7: 2001:db8::1: Mar  1 00:01:02: %SYS-5-CONFIG_I: x", host: "2001:db8::1", ident: "%SYS-5-CONFIG_I", message: "x"),
        Case(text: "<189>7: 2026-03-01T00:01:02Z %SYS-5-CONFIG_I: x", host: nil, ident: "%SYS-5-CONFIG_I", message: "x"),
    ])
    func readsTheHeader(_ testCase: Case) throws {
        let frame = Array(testCase.text.utf8)
        let message = try SyslogParser().parse(frame, now: receivedAt)
        #expect(message.format == .rfc3164)
        #expect(message.timestamp?.seconds == Self.stamp)
        #expect(message.timestamp?.nanoseconds == testCase.nanoseconds)
        #expect(message.text(message.host, in: frame) == testCase.host)
        #expect(message.text(message.ident, in: frame) == testCase.ident)
        #expect(message.text(message.pid, in: frame) == testCase.pid)
        #expect(message.text(message.message, in: frame) == testCase.message)
    }

    @Test(arguments: [
        // (zone in the frame, configured offset, expected offset in the timestamp)
        ("UTC", Int32(3600), Int32?.some(0)),
        ("GMT", -18000, 0),
        ("CET", 3600, nil),
        ("PST", 0, nil),
    ])
    func appliesOnlyUTCZoneNames(zone: String, configured: Int32, offset: Int32?) throws {
        let frame = Array("<189>30: Mar  1 00:01:02.345 \(zone): %SYS-5-CONFIG_I: x".utf8)
        let message = try SyslogParser(configuration: .init(utcOffsetSeconds: configured)).parse(frame, now: receivedAt)
        #expect(message.timestamp?.utcOffsetSeconds == offset)
        #expect(message.timestamp?.seconds == Self.stamp - Int64(offset ?? configured))
    }

    @Test(arguments: [
        ("<189>29: hello", SyslogParseError.Code.invalidTimestamp),
        ("<189>29:Mar  1 00:01:02: %SYS-5-CONFIG_I: x", .invalidTimestamp),
        ("<189>*hello", .invalidTimestamp),
        ("<189>*2026-03-01T00:01:02Z %SYS-5-CONFIG_I: x", .invalidTimestamp),
        ("<189>123: host1: hello", .invalidTimestamp),
        ("<189>Mar  1 00:01:02:: x", .invalidHeader),
        ("<189>Mar  1 00:01:02 UTC:%x", .invalidHeader),
        ("<13>Mar  1 00:01:02 hostonly", .invalidHeader),
    ])
    func rejects(text: String, code: SyslogParseError.Code) {
        #expect {
            try SyslogParser().parse(Array(text.utf8), now: receivedAt)
        } throws: { error in
            (error as? SyslogParseError)?.code == code
        }
    }
}
