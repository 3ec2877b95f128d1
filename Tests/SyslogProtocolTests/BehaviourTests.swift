import CivilTime
import Foundation
import Testing

@testable import SyslogProtocol

/// Decisions that the conformance data does not pin down.
@Suite struct BehaviourTests {
    let parser = SyslogParser()

    func parse(_ text: String, _ configuration: SyslogParser.Configuration = .init(), now: Int64 = receivedAt) throws(SyslogParseError) -> (SyslogMessage, [UInt8]) {
        let frame = Array(text.utf8)
        return (try SyslogParser(configuration: configuration).parse(frame, now: now), frame)
    }

    @Test(arguments: [
        // (stamp month, received, expected year)
        ("Dec 31 23:59:59", unixTime(2027, 1, 1, 0, 0, 5), Int64(2026)),
        ("Jan  1 00:00:01", unixTime(2026, 12, 31, 23, 59, 59), Int64(2027)),
        ("Jun  1 00:00:00", unixTime(2026, 1, 2), Int64(2026)),
        ("Feb 29 00:00:00", unixTime(2028, 3, 1), Int64(2028)),
    ])
    func resolvesTheYearOfBSDStamps(stamp: String, now: Int64, year: Int64) throws {
        let (message, _) = try parse("<13>\(stamp) host app: x", now: now)
        let days = CivilDate.civilFromDays(message.timestamp!.seconds / 86_400)
        #expect(days.year == year)
    }

    @Test func appliesTheConfiguredZoneToBSDStamps() throws {
        let (message, _) = try parse("<13>Nov 26 23:12:55 host app: x", .init(utcOffsetSeconds: 3600), now: unixTime(2026, 12, 1))
        #expect(message.timestamp == SyslogTimestamp(seconds: unixTime(2026, 11, 26, 22, 12, 55)))
    }

    @Test(arguments: [
        ("<13>1 2026-11-26T23:12:55Z h a p m - x", SyslogFormat.rfc5424),
        ("<13>12 - h a p m - x", .rfc5424),
        ("<13>2026-11-26T23:12:55Z host app: x", .rfc3164),
        ("<13>Nov 26 23:12:55 host app: x", .rfc3164),
    ])
    func autoDetectsTheFormat(text: String, format: SyslogFormat) throws {
        #expect(try parse(text).0.format == format)
    }

    @Test func rfc5424ConsumesExactlyOneSpaceAfterStructuredData() throws {
        let (message, frame) = try parse("<13>1 - h a p m -  two spaces\n")
        #expect(message.text(message.message, in: frame) == " two spaces")
        let (lone, loneFrame) = try parse("<13>1 - h a p m [x@1 a=\"]\\\"\"] ")
        #expect(lone.text(lone.message, in: loneFrame) == "")
        #expect(lone.text(lone.extradata, in: loneFrame) == "[x@1 a=\"]\\\"\"]")
        let (none, _) = try parse("<13>1 - h a p m -\n")
        #expect(none.message == nil)
        #expect(none.timestamp == nil)
    }

    @Test func rfc3164ColonlessIdentCanBeTurnedOff() throws {
        let (message, frame) = try parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", .init(supportColonlessIdent: false))
        #expect(message.ident == nil)
        #expect(message.text(message.message, in: frame) == "Use the BFG!")
    }

    @Test func rfc3164TagEndingInBracketColonWithoutOpeningBracket() throws {
        let (message, frame) = try parse("<13>Nov 26 23:12:55 host weird]: x")
        #expect(message.text(message.ident, in: frame) == "weird]")
        #expect(message.pid == nil)
    }

    @Test(arguments: [
        ("", SyslogParseError.Code.missingPriority),
        ("hello world", .missingPriority),
        ("<>Nov 26 23:12:55 h a: x", .invalidPriority),
        ("<192>Nov 26 23:12:55 h a: x", .invalidPriority),
        ("<1234>Nov 26 23:12:55 h a: x", .invalidPriority),
        ("<13", .invalidPriority),
        ("<6>ZZZ 99 99:99:99 localhost logger: xxx", .invalidTimestamp),
        ("<6>Feb 30 10:00:00 localhost logger: xxx", .invalidTimestamp),
        ("<6>Nov 26 23:12:55 hostonly", .invalidHeader),
        ("<6>Nov 26 23:12:55", .invalidHeader),
        ("<13>1 2026-11-26t23:12:55Z h a p m -", .invalidTimestamp),
        ("<13>1 - h a p m", .invalidMsgID),
        ("<13>1 - h a p m -x", .invalidStructuredData),
        ("<13>1 - h a p m [id a=\"1\"", .invalidStructuredData),
        ("<13>1 - h a p m [id a=1]", .invalidStructuredData),
        ("<13>1 - h a p m []", .invalidStructuredData),
        ("<13>0 - h a p m -", .invalidTimestamp),
    ])
    func rejects(text: String, code: SyslogParseError.Code) {
        // "<13>0 …" is not RFC 5424 for `auto`, so it fails as a BSD stamp.
        #expect(throws: SyslogParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
            #expect(!error.description.isEmpty)
        }
    }

    @Test func explicitRFC5424RejectsABSDFrame() {
        #expect(throws: SyslogParseError.self) {
            try parse("<13>Nov 26 23:12:55 host app: x", .init(format: .rfc5424))
        }
    }

    @Test func civilDatesAgreeWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &generator)
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            let civil = CivilDate.civilFromDays(days)
            #expect(civil.year == Int64(parts.year!) && civil.month == Int64(parts.month!) && civil.day == Int64(parts.day!))
            #expect(CivilDate.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) == days)
        }
    }
}
