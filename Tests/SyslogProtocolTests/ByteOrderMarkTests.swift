import Testing

@testable import SyslogProtocol

/// Where a UTF-8 byte order mark (EF BB BF) may appear and what is stored.
@Suite struct ByteOrderMarkTests {
    static let bom = "\u{FEFF}"

    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var host: String?
        var ident: String?
        var message: String?
        var testDescription: String { text.replacingOccurrences(of: ByteOrderMarkTests.bom, with: "<BOM>") }
    }

    @Test(arguments: [
        // RFC 5424 6.4: the BOM says MSG is UTF-8; it is not part of the text.
        Case(text: "<13>1 - h app - - - \(bom)hello", host: "h", ident: "app", message: "hello"),
        Case(text: "<13>1 - h app - - [a@1 b=\"c\"] \(bom)grüße\n", host: "h", ident: "app", message: "grüße"),
        Case(text: "<13>1 - h app - - - \(bom)", host: "h", ident: "app", message: ""),
        // Only one BOM is the marker; a second one is text.
        Case(text: "<13>1 - h app - - - \(bom)\(bom)x", host: "h", ident: "app", message: "\(bom)x"),
        // The BOM only counts straight after the one SP.
        Case(text: "<13>1 - h app - - -  \(bom)x", host: "h", ident: "app", message: " \(bom)x"),
        Case(text: "<13>1 - h app - - - x\(bom)", host: "h", ident: "app", message: "x\(bom)"),
        // RFC 3164 has no such marker: its message is kept as sent.
        Case(text: "<13>Nov 26 23:12:55 h app: \(bom)x", host: "h", ident: "app", message: "\(bom)x"),
        // Before <PRI> (Windows forwarders): skipped, the frame parses as without it.
        Case(text: "\(bom)<13>Nov 26 23:12:55 h app: x", host: "h", ident: "app", message: "x"),
        Case(text: "\(bom)<13>1 - h app - - - \(bom)x", host: "h", ident: "app", message: "x"),
    ])
    func storesMessagesWithoutTheMarker(_ testCase: Case) throws {
        let frame = Array(testCase.text.utf8)
        let message = try SyslogParser().parse(frame, now: receivedAt)
        #expect(message.text(message.host, in: frame) == testCase.host)
        #expect(message.text(message.ident, in: frame) == testCase.ident)
        #expect(message.text(message.message, in: frame) == testCase.message)
    }

    @Test func aBOMBeforePRIKeepsThePriority() throws {
        let frame = Array("\(Self.bom)<165>Nov 26 23:12:55 h app: x".utf8)
        let message = try SyslogParser().parse(frame, now: receivedAt)
        #expect(message.facility.rawValue == 20)
        #expect(message.severity.rawValue == 5)
    }

    @Test(arguments: [
        // A BOM alone, a partial BOM, two BOMs, or a BOM before something that is not <PRI>.
        (Array(bom.utf8), SyslogParseError.Code.missingPriority, 3),
        ([0xEF, 0xBB, UInt8(ascii: "<"), UInt8(ascii: "1"), UInt8(ascii: ">")], .missingPriority, 0),
        (Array("\(bom)\(bom)<13>Nov 26 23:12:55 h app: x".utf8), .missingPriority, 3),
        (Array("\(bom)hello".utf8), .missingPriority, 3),
        (Array("\(bom)<1234>x".utf8), .invalidPriority, 7),
    ])
    func rejectsWhatIsNotABOMAndAFrame(frame: [UInt8], code: SyslogParseError.Code, offset: Int) {
        #expect {
            try SyslogParser().parse(frame, now: receivedAt)
        } throws: { error in
            let parseError = error as? SyslogParseError
            return parseError?.code == code && parseError?.offset == offset
        }
    }
}
