import Foundation
import NIOCore
import Testing

import Framing

/// `ReadFramer` frames reads in place and copies only a frame a read cuts short: however a stream is
/// cut into reads, it must give exactly the frames its decoder finds in the whole stream at once.
/// (The syslog side is checked through `SyslogStreamFramer` in SyslogStreamFramerTests.)
@Suite("Read framer: RELP sessions cut into reads anywhere")
struct ReadFramerTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/relp")

    /// rsyslog omrelp sessions from Fixtures/relp, and one with DATA over the limit and an unknown command.
    static let streams: [(name: String, bytes: [UInt8])] = {
        var streams = ["multiline.relp", "session.relp"].map { name in
            (name, Array((try? Data(contentsOf: fixtures.appendingPathComponent(name))) ?? Data()))
        }
        let long = String(repeating: "x", count: 300)
        streams.append(("cut and unknown", Array("1 open 0\n2 syslog 300 \(long)\n3 starttls 0\n4 syslog 2 ok\n5 close 0\n".utf8)))
        return streams
    }()

    static let limit = 256

    static func whole(_ bytes: [UInt8]) throws -> [RELPFrame] {
        var decoder = RELPFrameDecoder(limit: limit)
        var buffer = ByteBuffer(bytes: bytes)
        var frames: [RELPFrame] = []
        while let frame = try decoder.decodeNext(from: &buffer) { frames.append(frame) }
        return frames
    }

    static func inReads(_ reads: [[UInt8]]) throws -> [RELPFrame] {
        var framer = ReadFramer(RELPFrameDecoder(limit: limit))
        var frames: [RELPFrame] = []
        for read in reads {
            try framer.frames(in: ByteBuffer(bytes: read)) { frames.append($0) }
        }
        #expect(framer.carried == nil, "a whole session leaves nothing carried")
        return frames
    }

    @Test("Every session, cut into two reads at every point and in reads of 1 to 9 bytes", arguments: [0, 1, 2])
    func everyCut(stream index: Int) throws {
        let (name, bytes) = Self.streams[index]
        try #require(bytes.count > 20, "\(name) is there")
        let expected = try Self.whole(bytes)
        #expect(expected.count >= 3)
        for cut in 0...bytes.count {
            #expect(try Self.inReads([Array(bytes[..<cut]), Array(bytes[cut...])]) == expected, "\(name) cut at \(cut)")
        }
        for step in 1...9 {
            let reads = stride(from: 0, to: bytes.count, by: step).map { Array(bytes[$0..<min($0 + step, bytes.count)]) }
            #expect(try Self.inReads(reads) == expected, "\(name) in reads of \(step)")
        }
    }

    @Test("A malformed frame throws, after the frames before it, wherever the reads are cut")
    func malformed() throws {
        let bytes = Array("1 open 0\n2 syslog 2 ok\n3 syslog x ok\n".utf8)
        for cut in 0...bytes.count {
            var framer = ReadFramer(RELPFrameDecoder(limit: Self.limit))
            var frames: [RELPFrame] = []
            #expect(throws: RELPProtocolError.self) {
                try framer.frames(in: ByteBuffer(bytes: bytes[..<cut])) { frames.append($0) }
                try framer.frames(in: ByteBuffer(bytes: bytes[cut...])) { frames.append($0) }
            }
            #expect(frames.map(\.transaction) == [1, 2], "cut at \(cut)")
        }
    }
}
