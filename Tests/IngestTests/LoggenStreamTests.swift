import Framing
import Foundation
import Ingest
import NIOCore
import SyslogProtocol
import Testing
import TestSupport

/// What syslog-ng's `loggen` (3.38, Debian's syslog-ng-core) wrote to a TCP socket, captured under
/// Fixtures/loggen/: framed by the stream decoder, then parsed, field by field.
@Suite("syslog-ng loggen streams")
struct LoggenStreamTests {
    struct Record {
        var host, ident, pid, message: String?
        var extradata: String?
        var seconds: Int64?
    }

    static func records(_ name: String, utcOffset: Int32 = 0) throws -> [Record] {
        var buffer = ByteBuffer(bytes: try Array(Data(contentsOf: URL(fileURLWithPath: PackagePaths.fixture("loggen/\(name)")))))
        var decoder = SyslogFrameDecoder(limit: 8192)
        var frames: [ByteBuffer] = []
        decoding: while true {
            switch decoder.decodeNext(from: &buffer) {
            case .frame(let frame): frames.append(frame.bytes)
            case .progress: continue
            case .needMoreData: break decoding
            }
        }
        if let last = decoder.trailingFrame(from: &buffer) { frames.append(last.bytes) }
        let parser = SyslogParser(configuration: .init(utcOffsetSeconds: utcOffset))
        return try frames.map { frame in
            let bytes = Array(frame.readableBytesView)
            return try bytes.withUnsafeBytes { raw in
                let message = try parser.parse(raw, now: 1_795_766_400)
                func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: bytes[$0], as: UTF8.self) } }
                return Record(
                    host: text(message.host), ident: text(message.ident), pid: text(message.pid), message: text(message.message),
                    extradata: text(message.extradata), seconds: message.timestamp?.seconds
                )
            }
        }
    }

    @Test("RFC 3164 mode: an RFC 3339 stamp without a zone, read in the source's time zone")
    func rfc3164() throws {
        let records = try Self.records("loggen-rfc3164.stream")
        #expect(records.count == 2)
        for (n, record) in records.enumerated() {
            #expect(record.host == "localhost" && record.ident == "prg00000" && record.pid == "1234")
            #expect(record.message?.hasPrefix("seq: 000000000\(n), thread: 0000, runid: 1795769827, stamp: 2026-11-27T08:57:07 PADD") == true)
            #expect(record.message?.hasSuffix("\n") == false, "the line's LF is framing")
            #expect(record.seconds == 1_795_769_827, "2026-11-27T08:57:07 UTC")
        }
        #expect(try Self.records("loggen-rfc3164.stream", utcOffset: 3600).first?.seconds == 1_795_769_827 - 3600)
    }

    @Test("--syslog-proto: octet-counted RFC 5424, with and without structured data")
    func rfc5424() throws {
        for (name, extradata) in [("loggen-rfc5424.stream", "-"), ("loggen-rfc5424-sdata.stream", #"[test name="value"]"#)] {
            let records = try Self.records(name)
            #expect(records.count == 2, "\(name)")
            for (n, record) in records.enumerated() {
                #expect(record.host == "localhost" && record.ident == "prg00000" && record.pid == "1234", "\(name)")
                #expect(record.extradata == extradata, "\(name)")
                #expect(record.message?.contains("seq: 000000000\(n), thread: 0000") == true, "\(name): \(record.message ?? "nil")")
                #expect(record.seconds == 1_795_769_828, "\(name)")
            }
        }
    }
}
