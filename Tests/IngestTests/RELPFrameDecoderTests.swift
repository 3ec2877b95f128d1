import Framing
import Ingest
import NIOCore
import Testing

@Suite("RELP frames")
struct RELPFrameDecoderTests {
    static let open = "1 open 86 relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog\n"
    static let syslog = "2 syslog 61 <13>Nov 27 10:00:00 host app[1]: the message, with a \n inside\n"
    static let close = "3 close 0\n"

    /// Every frame of `stream`, fed `step` bytes at a time.
    static func frames(_ stream: String, limit: Int = 8192, step: Int) throws -> [RELPFrame] {
        var decoder = RELPFrameDecoder(limit: limit)
        var buffer = ByteBuffer()
        var frames: [RELPFrame] = []
        let bytes = Array(stream.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let frame = try decoder.decodeNext(from: &buffer) { frames.append(frame) }
        }
        #expect(buffer.readableBytes == 0, "bytes left over")
        return frames
    }

    @Test("a librelp session's frames, whole or split at any byte")
    func session() throws {
        let stream = Self.open + Self.syslog + Self.close
        let whole = try Self.frames(stream, step: stream.utf8.count)
        #expect(whole.map(\.transaction) == [1, 2, 3])
        #expect(whole.map(\.command) == [.open, .syslog, .close])
        #expect(String(buffer: whole[0].data).hasPrefix("relp_version=0\n"))
        #expect(String(buffer: whole[1].data) == "<13>Nov 27 10:00:00 host app[1]: the message, with a \n inside")
        #expect(whole[2].data.readableBytes == 0)
        for step in 1...9 {
            #expect(try Self.frames(stream, step: step) == whole, "fed \(step) bytes at a time")
        }
    }

    @Test("DATA over the limit is cut, the rest skipped, and the next frame read")
    func cut() throws {
        let long = String(repeating: "x", count: 100)
        let frames = try Self.frames("7 syslog 100 \(long)\n8 syslog 2 ok\n", limit: 10, step: 7)
        #expect(frames.count == 2)
        #expect(frames[0].wasCut && frames[0].data.readableBytes == 10)
        #expect(!frames[1].wasCut && String(buffer: frames[1].data) == "ok")
    }

    @Test("an unknown command is a frame; the session answers it", arguments: ["4 starttls 0\n", "4 abort 0\n"])
    func unknownCommand(_ stream: String) throws {
        let frames = try Self.frames(stream, step: 3)
        guard case .other = try #require(frames.first).command else {
            Issue.record("expected an unknown command, got \(frames)")
            return
        }
    }

    @Test(
        "malformed frames are errors, not loops or guesses",
        arguments: [
            "x open 0\n", "1 Open 0\n", "1  syslog 3 abc\n", "1 syslog 3 abcX", "1 syslog abc\n",
            "1234567890 syslog 1 a\n", "1 syslog 1234567890 a\n", "1 \(String(repeating: "a", count: 40)) 0\n",
        ]
    )
    func malformed(_ stream: String) {
        #expect(throws: RELPProtocolError.self) { _ = try Self.frames(stream, step: 1) }
    }

    @Test("answers as librelp writes them")
    func responses() {
        var buffer = ByteBuffer()
        RELPFrame.writeResponse(transaction: 2, text: "200 OK", to: &buffer)
        RELPFrame.writeResponse(transaction: 3, text: "", to: &buffer)
        #expect(String(buffer: buffer) == "2 rsp 6 200 OK\n3 rsp 0\n")
    }
}
