import Framing
import NIOCore
import NIOEmbedded
import Testing

@testable import Ingest

/// `SyslogStreamFramer` frames reads in place and copies only a frame a read cuts short: however a
/// stream is cut into reads, it must hand on exactly the frames `SyslogFrameDecoder` finds in the whole
/// stream at once.
@Suite("Syslog stream framer: the same frames however reads cut the stream")
struct SyslogStreamFramerTests {
    /// The frames, and how many were cut, of `reads` through the framer, the stream ended by `end`.
    static func framed(_ reads: [[UInt8]], limit: Int, endByClosing: Bool) throws -> (frames: [[UInt8]], cut: Int) {
        let channel = EmbeddedChannel(handler: SyslogStreamFramer(limit: limit))
        var frames: [[UInt8]] = []
        var cut = 0
        func collect() throws {
            while let batch = try channel.readInbound(as: FrameBatch.self) {
                frames += batch.frames.map { Array($0.readableBytesView) }
                cut += batch.cutFrames
                try #require(frames.count < 1_000_000)
            }
        }
        for read in reads {
            try channel.writeInbound(ByteBuffer(bytes: read))
            try collect()
        }
        if endByClosing {
            _ = try channel.finish()
        } else {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            try collect()
            _ = try channel.finish()
        }
        try collect()
        return (frames, cut)
    }

    /// What `SyslogFrameDecoder` finds in the whole stream, end of stream included.
    static func reference(_ stream: [UInt8], limit: Int) throws -> (frames: [[UInt8]], cut: Int) {
        let frames = try FramingConformance.frames(of: stream, limit: limit)
        return (frames.map { Array($0.bytes.readableBytesView) }, frames.filter(\.wasCut).count)
    }

    static func split(_ stream: [UInt8], sizes: [Int]) -> [[UInt8]] {
        var reads: [[UInt8]] = []
        var offset = 0
        var turn = 0
        while offset < stream.count {
            let size = min(sizes[turn % sizes.count], stream.count - offset)
            reads.append(Array(stream[offset..<(offset + size)]))
            offset += size
            turn += 1
        }
        return reads
    }

    @Test("Every conformance case, cut into reads at every point", arguments: FramingConformance.cases.filter { $0.input.count <= 400 })
    func conformanceCasesAtEveryCut(testCase: FramingConformance.Case) throws {
        let expected = try Self.reference(testCase.input, limit: testCase.limit)
        #expect(try Self.framed([testCase.input], limit: testCase.limit, endByClosing: false) == expected)
        for cut in 1..<max(1, testCase.input.count) {
            let reads = [Array(testCase.input[..<cut]), Array(testCase.input[cut...])]
            let got = try Self.framed(reads, limit: testCase.limit, endByClosing: cut % 2 == 0)
            #expect(got == expected, "cut at \(cut)")
        }
    }

    /// Mixed framing: LF, CR LF, NUL and blank separators, octet counting, lines and counted frames
    /// over the limit, and a last frame without its LF.
    static let mixedStream: [UInt8] = {
        var stream: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for index in 0..<400 {
            let body = "<13>Nov 27 10:00:00 host app[\(index)]: " + String(repeating: "x", count: Int.random(in: 0...180, using: &generator))
            switch index % 6 {
            case 0: stream += Array(body.utf8) + [0x0A]
            case 1: stream += Array(body.utf8) + [0x0D, 0x0A]
            case 2: stream += Array("\(body.utf8.count) \(body)".utf8)
            case 3: stream += Array(body.utf8) + [0x0A, 0x00, 0x0A]
            case 4: stream += Array(body.utf8) + Array(repeating: UInt8(ascii: "y"), count: 300) + [0x0A]  // over the limit
            default: stream += Array("\(body.utf8.count + 300) \(body)".utf8) + Array(repeating: UInt8(ascii: "z"), count: 300)
            }
        }
        return stream + Array("<13>last message, no LF".utf8)
    }()

    @Test("A mixed stream in reads of many sizes", arguments: [[1], [7], [64], [255, 1, 3], [256], [257], [4096], [65536], [1, 300, 2, 500, 9]])
    func mixedStreamInReads(sizes: [Int]) throws {
        let limit = 256
        let expected = try Self.reference(Self.mixedStream, limit: limit)
        #expect(expected.frames.count > 400)
        #expect(expected.cut >= 100)
        #expect(try Self.framed(Self.split(Self.mixedStream, sizes: sizes), limit: limit, endByClosing: false) == expected)
        #expect(try Self.framed(Self.split(Self.mixedStream, sizes: sizes), limit: limit, endByClosing: true) == expected)
    }

    @Test("Frames that a read holds whole are slices of it; a frame it cuts short is joined in storage of its own")
    func readsAreNotCopied() throws {
        let channel = EmbeddedChannel(handler: SyslogStreamFramer(limit: 1024))
        defer { _ = try? channel.finish() }
        let read = ByteBuffer(string: "<1>one\n<1>two\n<1>thr")
        try channel.writeInbound(read)
        let first = try #require(try channel.readInbound(as: FrameBatch.self))
        #expect(first.frames.map { String(buffer: $0) } == ["<1>one", "<1>two"])
        // Same storage as the read: the frame's bytes live inside it.
        read.withUnsafeReadableBytes { readBytes in
            first.frames[0].withUnsafeReadableBytes { frameBytes in
                #expect(frameBytes.baseAddress == readBytes.baseAddress)
            }
        }
        try channel.writeInbound(ByteBuffer(string: "ee\n<1>four\n"))
        let second = try #require(try channel.readInbound(as: FrameBatch.self))
        #expect(second.frames.map { String(buffer: $0) } == ["<1>three", "<1>four"])
    }
}
