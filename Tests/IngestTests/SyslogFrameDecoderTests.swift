import Framing
import Ingest
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

func frame(_ text: String, cut: Bool = false) -> DecodedFrame {
    DecodedFrame(bytes: ByteBuffer(string: text), wasCut: cut)
}

func frame(bytes: [UInt8], cut: Bool = false) -> DecodedFrame {
    DecodedFrame(bytes: ByteBuffer(bytes: bytes), wasCut: cut)
}

/// `<length> <message>` as RFC 6587 octet counting writes it.
func octetCounted(_ message: String) -> String {
    "\(message.utf8.count) \(message)"
}

@Suite("SyslogFrameDecoder")
struct SyslogFrameDecoderTests {
    struct VerifierCase: CustomStringConvertible, Sendable {
        var name: String
        var limit: Int = 8192
        /// Each input ends on a frame boundary: the verifier feeds them in any order.
        var pairs: [(String, [DecodedFrame])]
        var description: String { name }
    }

    static let x40 = String(repeating: "x", count: 40)

    static let verifierCases: [VerifierCase] = [
        VerifierCase(name: "LF frames", pairs: [
            ("<13>Nov 14 22:13:20 host app: hello\n", [frame("<13>Nov 14 22:13:20 host app: hello")]),
            ("<14>1 2023-11-14T22:13:20Z h a - - - m\n<15>b\n", [frame("<14>1 2023-11-14T22:13:20Z h a - - - m"), frame("<15>b")]),
            ("no pri at all\n", [frame("no pri at all")]),
            ("grüße ✓\n", [frame("grüße ✓")]),
        ]),
        VerifierCase(name: "octet-counted frames", pairs: [
            (octetCounted("<13>hello"), [frame("<13>hello")]),
            (octetCounted("<13>with\nLF inside") + octetCounted("<14>x"), [frame("<13>with\nLF inside"), frame("<14>x")]),
            (octetCounted("<13>ends with LF\n"), [frame("<13>ends with LF\n")]),
            (octetCounted("<1>" + String(repeating: "y", count: 997)), [frame("<1>" + String(repeating: "y", count: 997))]),
            (octetCounted("<1>grüße"), [frame("<1>grüße")]),
        ]),
        VerifierCase(name: "framing mixed per frame", pairs: [
            (octetCounted("<1>a") + "<2>b\n" + octetCounted("<3>c") + "<4>d\n", [frame("<1>a"), frame("<2>b"), frame("<3>c"), frame("<4>d")]),
            ("<5>e\n" + octetCounted("<6>f\ng"), [frame("<5>e"), frame("<6>f\ng")]),
        ]),
        VerifierCase(name: "empty lines, CR LF and NUL between frames are skipped", pairs: [
            ("\n", []),
            ("\r\n\r\n", []),
            ("\0\0\n", []),
            ("\n\n<1>a\n\n\n", [frame("<1>a")]),
            ("\0<2>b\n\0", [frame("<2>b")]),
            ("\r\n" + octetCounted("<3>c") + "\r\n", [frame("<3>c")]),
        ]),
        // A CR before the LF stays in the frame, as Fluentd's in_syslog (delimiter "\n") hands it on;
        // SyslogProtocol drops it when parsing.
        VerifierCase(name: "CR LF terminated lines keep the CR", pairs: [
            ("<1>a\r\n", [frame("<1>a\r")]),
            ("<2>b\r\n<3>c\r\n", [frame("<2>b\r"), frame("<3>c\r")]),
        ]),
        VerifierCase(name: "digit-leading LF lines are not octet counting", pairs: [
            ("123 abc\n", [frame("123 abc")]),
            ("42\n", [frame("42")]),
            ("2024-01-01 12:00:00 started\n", [frame("2024-01-01 12:00:00 started")]),
            ("0 <1>zero is no length\n", [frame("0 <1>zero is no length")]),
            ("12345678901 <1>eleven digits\n", [frame("12345678901 <1>eleven digits")]),
            ("12  <1>two spaces\n", [frame("12  <1>two spaces")]),
        ]),
        VerifierCase(name: "LF lines at and over the limit", limit: 16, pairs: [
            (String(repeating: "a", count: 16) + "\n", [frame(String(repeating: "a", count: 16))]),
            (String(repeating: "b", count: 17) + "\n", [frame(String(repeating: "b", count: 16), cut: true)]),
            ("<1>" + x40 + "\n<2>next\n", [frame("<1>" + String(repeating: "x", count: 13), cut: true), frame("<2>next")]),
            ("<3>" + x40 + "\r\n", [frame("<3>" + String(repeating: "x", count: 13), cut: true)]),
        ]),
        VerifierCase(name: "octet counts at and over the limit", limit: 16, pairs: [
            (octetCounted("<1>" + String(repeating: "c", count: 13)), [frame("<1>" + String(repeating: "c", count: 13))]),
            (octetCounted("<1>" + x40), [frame("<1>" + String(repeating: "x", count: 13), cut: true)]),
            (octetCounted("<1>" + x40 + "\n") + "<2>after\n", [frame("<1>" + String(repeating: "x", count: 13), cut: true), frame("<2>after")]),
            (octetCounted("<1>" + String(repeating: "z", count: 14)) + octetCounted("<2>ok"), [frame("<1>" + String(repeating: "z", count: 13), cut: true), frame("<2>ok")]),
        ]),
    ]

    @Test("Decodes the same fed one byte at a time and all at once (ByteToMessageDecoderVerifier)", arguments: verifierCases)
    func verifier(testCase: VerifierCase) throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: testCase.pairs.map { (ByteBuffer(string: $0.0), $0.1) },
            decoderFactory: { SyslogFrameDecoder(limit: testCase.limit) }
        )
    }

    struct EOFCase: CustomStringConvertible, Sendable {
        var name: String
        var limit = 8192
        var input: String
        var beforeEOF: [DecodedFrame]
        var atEOF: [DecodedFrame]
        var description: String { name }
    }

    @Test("At end of stream the last frame without its LF is delivered (decodeLast)", arguments: [
        EOFCase(name: "LF frame without LF", input: "<1>a\n<2>no newline", beforeEOF: [frame("<1>a")], atEOF: [frame("<2>no newline")]),
        EOFCase(name: "only a frame without LF", input: "<3>just this", beforeEOF: [], atEOF: [frame("<3>just this")]),
        EOFCase(name: "trailing separators only", input: "<1>a\n\r\n\0", beforeEOF: [frame("<1>a")], atEOF: []),
        EOFCase(name: "digits only", input: "12345", beforeEOF: [], atEOF: [frame("12345")]),
        EOFCase(name: "trailing CR", input: "<1>a\r", beforeEOF: [], atEOF: [frame("<1>a\r")]),
        EOFCase(name: "exactly the limit", limit: 8, input: "<1>abcde", beforeEOF: [], atEOF: [frame("<1>abcde")]),
        EOFCase(name: "over the limit: cut before EOF, rest dropped", limit: 8, input: "<1>abcdefghij", beforeEOF: [frame("<1>abcde", cut: true)], atEOF: []),
        // A sender that died inside an octet-counted frame: its message without the count (as rsyslog
        // submits it), since a frame never carries framing.
        EOFCase(name: "incomplete octet-counted frame", input: "10 <1>ab", beforeEOF: [], atEOF: [frame("<1>ab")]),
        EOFCase(name: "incomplete octet count header", input: "<1>a\n10 ", beforeEOF: [frame("<1>a")], atEOF: [frame("10 ")]),
        EOFCase(name: "discarding the rest of a cut octet frame", limit: 4, input: "10 <1>abcdefg", beforeEOF: [frame("<1>a", cut: true)], atEOF: []),
    ])
    func decodeLast(testCase: EOFCase) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder(limit: testCase.limit)))
        try channel.writeInbound(ByteBuffer(string: testCase.input))
        #expect(try readAll(channel) == testCase.beforeEOF)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try readAll(channel) == testCase.atEOF)
        #expect(try channel.finish().isClean)
    }

    @Test("A 10 MB line with a 1 KiB limit keeps the buffer small and yields one cut frame", arguments: [1, 4096, 65536, 1_000_003])
    func oversizeLineMemory(pieceSize: Int) throws {
        let limit = 1024
        var decoder = SyslogFrameDecoder(limit: limit)
        var buffer = ByteBuffer()
        var frames: [DecodedFrame] = []
        let total = 10_000_000
        // Byte-sized pieces would take 10 M steps; they cover the first 64 KiB only.
        let lineLength = pieceSize == 1 ? 65536 : total
        var written = 0
        var largestBuffer = 0
        var steps = 0
        buffer.writeString("<1>")
        written += 3
        while written < lineLength {
            let count = min(pieceSize, lineLength - written)
            buffer.writeRepeatingByte(UInt8(ascii: "m"), count: count)
            written += count
            try drain(&decoder, &buffer, into: &frames, steps: &steps)
            buffer.discardReadBytes()  // as ByteToMessageHandler does between reads
            largestBuffer = max(largestBuffer, buffer.readableBytes)
        }
        buffer.writeString("\n<2>next\n")
        try drain(&decoder, &buffer, into: &frames, steps: &steps)
        #expect(largestBuffer <= limit + pieceSize, "the decoder holds at most one frame plus one read")
        #expect(largestBuffer <= max(limit, pieceSize))
        #expect(buffer.readableBytes == 0)
        #expect(frames.count == 2)
        #expect(frames.first?.wasCut == true)
        #expect(frames.first?.bytes.readableBytes == limit)
        #expect(frames.first?.bytes.getString(at: frames[0].bytes.readerIndex, length: 4) == "<1>m")
        #expect(frames.last == frame("<2>next"))
    }

    @Test("A 10 MB octet count with a 1 KiB limit: cut frame, remainder discarded as it arrives")
    func oversizeOctetCountMemory() throws {
        let limit = 1024
        let count = 10_000_000
        var decoder = SyslogFrameDecoder(limit: limit)
        var buffer = ByteBuffer(string: "\(count) <1>")
        var frames: [DecodedFrame] = []
        var steps = 0
        var remaining = count - 3
        var largestBuffer = 0
        while remaining > 0 {
            let piece = min(65536, remaining)
            // Include LFs: inside an octet-counted frame they are message bytes, not terminators.
            buffer.writeRepeatingByte(UInt8(ascii: "\n"), count: 1)
            buffer.writeRepeatingByte(UInt8(ascii: "o"), count: piece - 1)
            remaining -= piece
            try drain(&decoder, &buffer, into: &frames, steps: &steps)
            buffer.discardReadBytes()
            largestBuffer = max(largestBuffer, buffer.readableBytes)
        }
        buffer.writeString(octetCounted("<2>next"))
        try drain(&decoder, &buffer, into: &frames, steps: &steps)
        #expect(largestBuffer <= 65536)
        #expect(frames.count == 2)
        #expect(frames.first?.wasCut == true)
        #expect(frames.first?.bytes.readableBytes == limit)
        #expect(frames.last == frame("<2>next"))
    }

    @Test("The same 10 MB line through EmbeddedChannel yields the cut frame and the next one")
    func oversizeLineChannel() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder(limit: 1024)))
        try channel.writeInbound(ByteBuffer(string: "<1>"))
        for _ in 0..<153 {  // 153 × 65536 ≈ 10 MB
            try channel.writeInbound(ByteBuffer(repeating: UInt8(ascii: "q"), count: 65536))
        }
        try channel.writeInbound(ByteBuffer(string: "\n<2>next\n"))
        let frames = try readAll(channel)
        #expect(frames.count == 2)
        #expect(frames.first?.wasCut == true && frames.first?.bytes.readableBytes == 1024)
        #expect(frames.last == frame("<2>next"))
        #expect(try channel.finish().isClean)
    }
}

func readAll(_ channel: EmbeddedChannel) throws -> [DecodedFrame] {
    var frames: [DecodedFrame] = []
    while let frame = try channel.readInbound(as: DecodedFrame.self) {
        frames.append(frame)
        try #require(frames.count < 1_000_000)
    }
    return frames
}

/// Runs the pure decoding step until it needs more data.
func drain(_ decoder: inout SyslogFrameDecoder, _ buffer: inout ByteBuffer, into frames: inout [DecodedFrame], steps: inout Int) throws {
    while true {
        steps += 1
        try #require(steps < 10_000_000, "the decoder does not settle")
        switch decoder.decodeNext(from: &buffer) {
        case .frame(let frame): frames.append(frame)
        case .progress: continue
        case .needMoreData: return
        }
    }
}
