import Testing

@testable import SyslogProtocol

/// How an RFC 3164 TAG splits into ident and pid: ident up to the first `[`, pid
/// the first `[…]` group, as rsyslog's tag parser reads it.
@Suite struct TagTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// What follows `<13>Nov 26 23:12:55 host `.
        var rest: String
        var ident: String?
        var pid: String?
        var message: String?
        var colonlessIdent = true
        var testDescription: String { rest + (colonlessIdent ? "" : " (colonless off)") }
    }

    @Test(arguments: [
        // `logger -t 'svc[main]' -i`: the first group is the pid, not `main][29456`.
        Case(rest: "svc[main][29456]: text", ident: "svc", pid: "main", message: "text"),
        Case(rest: "svc[main][29456] text", ident: "svc", pid: "main", message: "text"),
        // The forms that worked before still give the same record.
        Case(rest: "CRON[32611]: (root) CMD", ident: "CRON", pid: "32611", message: "(root) CMD"),
        Case(rest: "svc[12]: text", ident: "svc", pid: "12", message: "text"),
        Case(rest: "svc: text", ident: "svc", pid: nil, message: "text"),
        Case(rest: "svc[12] text", ident: "svc", pid: "12", message: "text"),
        Case(rest: "svc[12]", ident: nil, pid: nil, message: "svc[12]"),
        Case(rest: "svc[]: text", ident: "svc", pid: "", message: "text"),
        Case(rest: "[12]: text", ident: "", pid: "12", message: "text"),
        Case(rest: ": text", ident: "", pid: nil, message: "text"),
        Case(rest: " two spaces", ident: "", pid: nil, message: "two spaces"),
        // No closed group: all ident.
        Case(rest: "weird]: text", ident: "weird]", pid: nil, message: "text"),
        Case(rest: "svc[12: text", ident: "svc[12", pid: nil, message: "text"),
        Case(rest: "svc]12[: text", ident: "svc]12[", pid: nil, message: "text"),
        // Text after the group stays out of the pid.
        Case(rest: "a[b]c: text", ident: "a", pid: "b", message: "text"),
        Case(rest: "java[1234]:[INFO] started", ident: "java", pid: "1234", message: "started"),
        // Without colonless idents a tag needs its colon.
        Case(rest: "svc[12] text", ident: nil, pid: nil, message: "svc[12] text", colonlessIdent: false),
        Case(rest: "svc[main][29456]: text", ident: "svc", pid: "main", message: "text", colonlessIdent: false),
    ])
    func splitsTheTag(_ testCase: Case) throws {
        let frame = Array("<13>Nov 26 23:12:55 host \(testCase.rest)".utf8)
        let parser = SyslogParser(configuration: .init(supportColonlessIdent: testCase.colonlessIdent))
        let message = try parser.parse(frame, now: receivedAt)
        #expect(message.text(message.host, in: frame) == "host")
        #expect(message.text(message.ident, in: frame) == testCase.ident)
        #expect(message.text(message.pid, in: frame) == testCase.pid)
        #expect(message.text(message.message, in: frame) == testCase.message)
    }
}
