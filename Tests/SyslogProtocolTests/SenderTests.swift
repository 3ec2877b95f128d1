import Testing

@testable import SyslogProtocol

/// One captured or handwritten frame per sender Sluice must read as td-agent
/// does (files in Fixtures/syslog/).
struct SenderCase: Sendable, CustomTestStringConvertible {
    var fixture: String
    var format: SyslogFormat = .rfc3164
    var facility: UInt8
    var severity: UInt8
    var timestamp: SyslogTimestamp?
    var host: String?
    var ident: String?
    var pid: String?
    var msgid: String? = nil
    var extradata: String? = nil
    var message: String?
    var testDescription: String { fixture }
}

let senderCases: [SenderCase] = [
    // rsyslog's traditional forward format over UDP: no trailing LF.
    SenderCase(
        fixture: "rsyslog-traditional-forward.syslog", facility: 10, severity: 6,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: "ip-172-31-92-150", ident: "CRON", pid: "32611",
        message: "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"
    ),
    // RSYSLOG_ForwardFormat: RFC 3339 stamp with fraction and offset in a BSD header.
    SenderCase(
        fixture: "rsyslog-forward-format.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55), nanoseconds: 123_456_000, utcOffsetSeconds: 0),
        host: "host", ident: "tag", pid: "1", message: "msg"
    ),
    // RSYSLOG_SyslogProtocol23Format (ends with LF).
    SenderCase(
        fixture: "rsyslog-syslog-protocol23.syslog", format: .rfc5424, facility: 20, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 22, 12, 55), nanoseconds: 123_456_000, utcOffsetSeconds: 3600),
        host: "web-1", ident: "nginx", pid: "4242", msgid: "-",
        extradata: #"[timeQuality tzKnown="1" isSynced="0"]"#, message: "GET /healthz 200"
    ),
    // util-linux 2.38 `logger --rfc5424 -d -n 127.0.0.1` (captured).
    SenderCase(
        fixture: "logger-rfc5424.syslog", format: .rfc5424, facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 27, 0, 13, 18), nanoseconds: 759_253_000, utcOffsetSeconds: 0),
        host: "vm", ident: "root", pid: "-", msgid: "-",
        extradata: #"[timeQuality tzKnown="1" isSynced="0"]"#, message: "hello from logger"
    ),
    // util-linux 2.38 `logger --rfc3164 -d -n 127.0.0.1` (captured).
    SenderCase(
        fixture: "logger-rfc3164.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 27, 0, 13, 18)),
        host: "vm", ident: "root", pid: nil, message: "hello from logger"
    ),
    // util-linux 2.38 `logger --rfc3164 -d -n 127.0.0.1 -t 'svc[main]' -i` (captured):
    // the tag's first bracket group is the pid, as rsyslog reads it.
    SenderCase(
        fixture: "logger-tag-brackets.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 12, 8, 0, 58, 30)),
        host: "vm", ident: "svc", pid: "main", message: "text from a bracketed tag"
    ),
    // rsyslog's control-character escapes are kept literally, as Fluentd keeps them.
    SenderCase(
        fixture: "rsyslog-escaped-control.syslog", facility: 3, severity: 6,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: "web-1", ident: "app", pid: "77", message: "line one#012line two#011tabbed"
    ),
    SenderCase(
        fixture: "tag-without-pid.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: "host", ident: "kernel", pid: nil, message: "[118479565.921459] EXT4-fs warning"
    ),
    // No hostname: the word after the stamp is a tag (it ends with ':' and has a
    // '['), as rsyslog reads it, so there is no host key. (Fluentd's string parser
    // takes it for the host and gives host "sshd[12]:", message "x".)
    SenderCase(
        fixture: "no-hostname.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: nil, ident: "sshd", pid: "12", message: "x"
    ),
    // Network gear without a hostname (handwritten): the Cisco mnemonic is the tag.
    SenderCase(
        fixture: "no-hostname-cisco-mnemonic.syslog", facility: 23, severity: 3,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 3, 1, 0, 1, 2)),
        host: nil, ident: "%LINK-3-UPDOWN", pid: nil, message: "Interface GigabitEthernet0/1, changed state to down"
    ),
    // Cisco IOS with `service sequence-numbers` and `service timestamps log datetime msec`,
    // clock not set (`*`), handwritten from the IOS format.
    SenderCase(
        fixture: "cisco-ios-sequence.syslog", facility: 23, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 3, 1, 0, 1, 2), nanoseconds: 345_000_000),
        host: nil, ident: "%LINK-3-UPDOWN", pid: nil, message: "Interface GigabitEthernet0/1, changed state to up"
    ),
    // ... with `show-timezone`: the zone's name before the colon; UTC is applied.
    SenderCase(
        fixture: "cisco-ios-timezone.syslog", facility: 23, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 3, 1, 0, 1, 2), nanoseconds: 345_000_000, utcOffsetSeconds: 0),
        host: nil, ident: "%SYS-5-CONFIG_I", pid: nil, message: "Configured from console by admin on vty0 (10.0.0.5)"
    ),
    // ... with `logging origin-id hostname` (the host), clock out of sync (`.`).
    SenderCase(
        fixture: "cisco-ios-origin.syslog", facility: 23, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 3, 1, 0, 1, 2), nanoseconds: 345_000_000),
        host: "core-sw1", ident: "%SEC_LOGIN-5-LOGIN_SUCCESS", pid: nil,
        message: "Login Success [user: admin] [Source: 10.0.0.5] [localport: 22]"
    ),
    SenderCase(
        fixture: "single-digit-day.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 6, 3, 4, 5)),
        host: "host", ident: "cron", pid: "9", message: "single-digit day"
    ),
    // Network gear writing the year: the stamp's year wins over inference.
    SenderCase(
        fixture: "network-gear-year.syslog", facility: 23, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2025, 11, 26, 23, 12, 55)),
        host: "core-sw1", ident: "%SYS-5-CONFIG_I", pid: nil, message: "Configured from console by admin"
    ),
    SenderCase(
        fixture: "empty-message.syslog", facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: "host", ident: "tag", pid: nil, message: ""
    ),
    // RFC 5424 §6.5 example 4; "BOM" here is the literal text of the RFC.
    SenderCase(
        fixture: "rfc5424-example.syslog", format: .rfc5424, facility: 20, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2003, 10, 11, 22, 14, 15), nanoseconds: 3_000_000, utcOffsetSeconds: 0),
        host: "mymachine.example.com", ident: "evntslog", pid: "-", msgid: "ID47",
        extradata: #"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]"#,
        message: "BOM'An application event log entry...'"
    ),
    // A real UTF-8 BOM starting MSG marks it as UTF-8 (RFC 5424 6.4) and is not
    // stored, as syslog-ng drops it (Fluentd and go-syslog keep it).
    SenderCase(
        fixture: "rfc5424-utf8-bom.syslog", format: .rfc5424, facility: 1, severity: 5,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55), utcOffsetSeconds: 0),
        host: "host", ident: "app", pid: "-", msgid: "-", extradata: "-", message: "hello BOM"
    ),
    // A Windows forwarder writing a UTF-8 BOM before `<PRI>` (handwritten): the BOM is skipped.
    SenderCase(
        fixture: "bom-before-pri.syslog", facility: 1, severity: 6,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 11, 26, 23, 12, 55)),
        host: "WIN-SRV01", ident: "Service_Control_Manager", pid: "624",
        message: "The Windows Update service entered the running state."
    ),
    SenderCase(
        fixture: "udp-trailing-lf.syslog", facility: 0, severity: 6,
        timestamp: SyslogTimestamp(seconds: unixTime(2026, 9, 10)),
        host: "localhost", ident: "logger", pid: nil, message: "trailing LF from a UDP sender"
    ),
]

@Suite struct SenderTests {
    @Test(arguments: senderCases)
    func parsesSender(_ expected: SenderCase) throws {
        let frame = try Paths.fixture(expected.fixture)
        // Received in December 2026 so that the November stamps are this year's.
        let now = unixTime(2026, 12, 1)
        let message = try SyslogParser().parse(frame, now: now)
        #expect(message.format == expected.format)
        #expect(message.facility.rawValue == expected.facility)
        #expect(message.severity.rawValue == expected.severity)
        #expect(message.timestamp == expected.timestamp)
        #expect(message.text(message.host, in: frame) == expected.host)
        #expect(message.text(message.ident, in: frame) == expected.ident)
        #expect(message.text(message.pid, in: frame) == expected.pid)
        #expect(message.text(message.msgid, in: frame) == expected.msgid)
        #expect(message.text(message.extradata, in: frame) == expected.extradata)
        #expect(message.text(message.message, in: frame) == expected.message)
    }

    @Test func fixturesAllHaveACase() throws {
        #expect(try Paths.allFixtureNames() == senderCases.map(\.fixture).sorted())
    }

    @Test func facilityAndSeverityNamesAreFluentds() {
        #expect(SyslogFacility(rawValue: 10)?.name == "authpriv")
        #expect(SyslogFacility(rawValue: 15)?.name == "at")
        #expect(SyslogFacility(rawValue: 23)?.name == "local7")
        #expect(SyslogFacility(rawValue: 24) == nil)
        #expect(SyslogSeverity(rawValue: 4)?.name == "warn")
        #expect(SyslogSeverity(rawValue: 8) == nil)
        #expect((0..<24).map { SyslogFacility(rawValue: UInt8($0))!.name }.joined(separator: " ")
            == "kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp audit alert at local0 local1 local2 local3 local4 local5 local6 local7")
        #expect((0..<8).map { SyslogSeverity(rawValue: UInt8($0))!.name }.joined(separator: " ")
            == "emerg alert crit err warn notice info debug")
    }
}
