import Codec
import Foundation
import Testing

/// Compressed streams are checked against the reference tools (`gzip -dc`, `lz4 -dc`), never against
/// the library that produced them.
@Suite("Stream compressors")
struct CompressorTests {
    // MARK: - Round trips through the reference tools

    @Test(
        "Decompressed by the command-line tool, output equals input",
        arguments: CompressorCase.allCases, CompressorInput.allCases
    )
    func roundTripThroughReferenceTool(codec: CompressorCase, input: CompressorInput) throws {
        let original = input.bytes
        let compressed = try codec.compress(original, in: input.pieces)
        let decompressed = try ReferenceTool.decompress(compressed, with: codec.tool)
        #expect(decompressed.count == original.count)
        #expect(decompressed == original, "\(codec) of \(input) does not round-trip through \(codec.tool)")
        try codec.checkContainer(compressed, original: original)
    }

    @Test("Feeding in tiny pieces gives a stream the tool reads", arguments: CompressorCase.allCases, [
        [1], [7], [0, 1, 0, 13],
    ])
    func unevenPieces(codec: CompressorCase, pieces: [Int]) throws {
        // Each lz4 call sizes its output for a whole 4 MB block, so 1 MiB fed a byte at a time would take
        // minutes: the pattern is fed for its first 40 calls, then the rest goes in at once. (The larger
        // pieces, 64 KiB + 1 and 300 KiB, are in the round-trip test above.)
        let original = CompressorInput.jsonLines.bytes
        let compressor = try codec.make()
        var output: [UInt8] = []
        var offset = 0
        for call in 0..<40 {
            let end = min(offset + pieces[call % pieces.count], original.count)
            try compressor.compress(Array(original[offset..<end]), into: &output)
            offset = end
        }
        try compressor.compress(Array(original[offset...]), into: &output)
        try compressor.finish(into: &output)
        #expect(try ReferenceTool.decompress(output, with: codec.tool) == original)
    }

    // MARK: - Levels and misuse

    @Test("Every gzip level 0...9 is accepted", arguments: 0...9)
    func validLevels(level: Int) throws {
        let compressor = try GzipCompressor(level: level)
        var output: [UInt8] = []
        try compressor.compress(Array("hello\n".utf8), into: &output)
        try compressor.finish(into: &output)
        #expect(try ReferenceTool.decompress(output, with: .gzip) == Array("hello\n".utf8))
    }

    @Test("An invalid gzip level throws invalidLevel", arguments: [-1, 10, 11, Int.min, Int.max])
    func invalidLevel(level: Int) {
        #expect {
            _ = try GzipCompressor(level: level)
        } throws: { error in
            (error as? CompressionError)?.code == .invalidLevel
        }
        #expect {
            _ = try StoreAs.gzip.makeCompressor(level: level)
        } throws: { error in
            (error as? CompressionError)?.code == .invalidLevel
        }
    }

    @Test("Finishing twice, or compressing after finish, throws `finished`", arguments: CompressorCase.allCases)
    func finishTwice(codec: CompressorCase) throws {
        let compressor = try codec.make()
        var output: [UInt8] = []
        try compressor.compress(Array("a record\n".utf8), into: &output)
        try compressor.finish(into: &output)
        let complete = output
        #expect {
            try compressor.finish(into: &output)
        } throws: { error in
            (error as? CompressionError)?.code == .finished
        }
        #expect {
            try compressor.compress(Array("late\n".utf8), into: &output)
        } throws: { error in
            (error as? CompressionError)?.code == .finished
        }
        #expect(output == complete, "a refused call must not add bytes")
        #expect(try ReferenceTool.decompress(output, with: codec.tool) == Array("a record\n".utf8))
    }

    // MARK: - StoreAs

    @Test("StoreAs names, content types and compressors follow Fluentd's out_s3", arguments: [
        (StoreAs.gzip, "gz", "application/x-gzip", true),
        (StoreAs.lz4, "lz4", "application/x-lz4", true),
        (StoreAs.json, "json", "application/json", false),
        (StoreAs.text, "txt", "text/plain", false),
    ])
    func storeAs(storeAs: StoreAs, fileExtension: String, contentType: String, compresses: Bool) throws {
        #expect(storeAs.fileExtension == fileExtension)
        #expect(storeAs.contentType == contentType)
        #expect(StoreAs(rawValue: storeAs.rawValue) == storeAs)
        let compressor = try storeAs.makeCompressor()
        #expect((compressor != nil) == compresses)
        if storeAs == .gzip { #expect(compressor is GzipCompressor) }
        if storeAs == .lz4 { #expect(compressor is LZ4FrameCompressor) }
    }

    @Test("StoreAs.gzip without a level uses level 6")
    func defaultGzipLevel() throws {
        #expect(GzipCompressor.defaultLevel == 6)
        let compressor = try #require(try StoreAs.gzip.makeCompressor())
        var output: [UInt8] = []
        try compressor.compress(CompressorInput.jsonLines.bytes, into: &output)
        try compressor.finish(into: &output)
        // XFL is 0 for zlib's levels 2...8 (2 for 9, 4 for 1).
        #expect(output.count > 10 && output[8] == 0)
    }
}

// MARK: - Cases

enum CompressorCase: CustomStringConvertible, CaseIterable, Sendable {
    case gzip(level: Int)
    case lz4(level: Int)

    static let allCases: [CompressorCase] = [.gzip(level: 1), .gzip(level: 6), .gzip(level: 9), .lz4(level: 1), .lz4(level: 9)]

    var description: String {
        switch self {
        case .gzip(let level): "gzip level \(level)"
        case .lz4(let level): "lz4 level \(level)"
        }
    }

    var tool: ReferenceTool {
        switch self {
        case .gzip: .gzip
        case .lz4: .lz4
        }
    }

    func make() throws -> any StreamCompressor {
        switch self {
        case .gzip(let level): try #require(try StoreAs.gzip.makeCompressor(level: level))
        case .lz4(let level): try #require(try StoreAs.lz4.makeCompressor(level: level))
        }
    }

    func compress(_ input: [UInt8], in pieces: [Int]) throws -> [UInt8] {
        let compressor = try make()
        var output: [UInt8] = []
        var offset = 0
        var piece = 0
        try input.withUnsafeBytes { (all) throws in
            while offset < input.count {
                let end = min(offset + pieces[piece % pieces.count], input.count)
                try compressor.compress(UnsafeRawBufferPointer(rebasing: all[offset..<end]), into: &output)
                offset = end
                piece += 1
            }
        }
        try compressor.finish(into: &output)
        return output
    }

    /// Checks the container fields the stream promises, computed here without zlib or liblz4.
    func checkContainer(_ compressed: [UInt8], original: [UInt8]) throws {
        switch self {
        case .gzip(let level):
            // RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS ... CRC32(4) ISIZE(4).
            try #require(compressed.count >= 18)
            #expect(Array(compressed[0..<3]) == [0x1f, 0x8b, 8])
            let xfl: UInt8 = level == 9 ? 2 : (level == 1 ? 4 : 0)
            #expect(compressed[8] == xfl, "XFL shows the level given to deflate")
            let trailer = Array(compressed.suffix(8))
            #expect(littleEndianUInt32(trailer, at: 0) == CRC32.checksum(original))
            #expect(littleEndianUInt32(trailer, at: 4) == UInt32(truncatingIfNeeded: original.count))
        case .lz4:
            // LZ4 frame: magic, FLG (version 01, linked blocks, content checksum), BD (4 MB blocks).
            try #require(compressed.count >= 7 + 4 + 4)
            #expect(Array(compressed[0..<4]) == [0x04, 0x22, 0x4d, 0x18])
            #expect(compressed[4] == 0x44)
            #expect(compressed[5] == 0x70)
            // EndMark (4 zero bytes) before the 4-byte content checksum.
            #expect(Array(compressed.suffix(8).prefix(4)) == [0, 0, 0, 0])
        }
    }
}

enum CompressorInput: CustomStringConvertible, CaseIterable, Sendable {
    case empty, oneByte, jsonLines, randomBytes

    var description: String {
        switch self {
        case .empty: "empty input"
        case .oneByte: "1 byte"
        case .jsonLines: "1 MiB of JSON lines in uneven pieces"
        case .randomBytes: "20 MiB of random bytes"
        }
    }

    var bytes: [UInt8] {
        switch self {
        case .empty: []
        case .oneByte: [0x7b]
        case .jsonLines: Self.jsonLinesBytes
        case .randomBytes: Self.randomBytes20MiB
        }
    }

    /// The sizes of successive `compress` calls, repeated until the input is used up.
    var pieces: [Int] {
        switch self {
        case .empty, .oneByte: [1]
        case .jsonLines: [1, 7, 64 * 1024 + 1, 300 * 1024]
        case .randomBytes: [1024 * 1024 - 3, 1, 4 * 1024 * 1024 + 17]
        }
    }

    private static let jsonLinesBytes: [UInt8] = {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 20)
        var n = 0
        while true {
            let line = Array(
                #"{"host":"web-\#(n % 17)","ident":"sshd","pid":"\#(1000 + n % 313)","message":"Accepted publickey for user\#(n % 7) from 10.0.\#(n % 255).\#(n % 97) port \#(40000 + n)"}"#
                    .utf8) + [0x0a]
            if bytes.count + line.count > 1 << 20 { break }
            bytes += line
            n += 1
        }
        // Pad to exactly 1 MiB with one last short line.
        let padding = (1 << 20) - bytes.count
        if padding > 0 { bytes += Array(repeating: UInt8(ascii: "x"), count: padding - 1) + [0x0a] }
        return bytes
    }()

    private static let randomBytes20MiB: [UInt8] = {
        var generator = SplitMix64(seed: 0x5eed_c0de)
        var bytes = [UInt8](repeating: 0, count: 20 << 20)
        bytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in words.indices { words[i] = generator.next() }
        }
        return bytes
    }()
}

// MARK: - Reference tools

enum ReferenceTool: String, Sendable {
    case gzip, lz4

    var installHint: String {
        switch self {
        case .gzip: "apt-get install gzip"
        case .lz4: "apt-get install lz4"
        }
    }

    var executable: String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"])
            .map { $0 + "/" + rawValue }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes `compressed` to a temporary file and returns what `<tool> -dc` prints for it.
    static func decompress(_ compressed: [UInt8], with tool: ReferenceTool) throws -> [UInt8] {
        let executable = try #require(tool.executable, "\(tool.rawValue) command-line tool not found: \(tool.installHint)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-codec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in")
        let output = directory.appendingPathComponent("out")
        try Data(compressed).write(to: input)
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: output)
        defer { try? outputHandle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-dc", input.path]
        process.standardOutput = outputHandle
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool.rawValue) -dc failed: the stream is not valid")
        return Array(try Data(contentsOf: output))
    }
}

// MARK: - Helpers

/// CRC-32 (IEEE), bitwise table: an independent check of the gzip trailer.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { bytes in
                for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

func littleEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}

struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
