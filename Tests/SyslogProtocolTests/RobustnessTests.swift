import Testing

@testable import SyslogProtocol

/// No input may crash or hang the parser: every truncation and many random
/// mutations of each fixture, plus random bytes, must parse or throw, and every
/// range returned must lie inside the frame.
@Suite struct RobustnessTests {
    static func check(_ frame: [UInt8], format: SyslogFormat) -> Bool {
        let parser = SyslogParser(configuration: .init(format: format))
        guard let message = try? parser.parse(frame, now: receivedAt) else { return false }
        for range in [message.host, message.ident, message.pid, message.msgid, message.extradata, message.message] {
            if let range {
                #expect(range.lowerBound >= 0 && range.upperBound <= frame.count)
            }
        }
        return true
    }

    @Test(arguments: try Paths.allFixtureNames())
    func truncationsAndMutationsOfFixture(_ name: String) throws {
        let frame = try Paths.fixture(name)
        var generator = SplitMix64(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        var parsed = 0
        for format in SyslogFormat.allCases {
            for length in 0...frame.count {
                if Self.check(Array(frame[..<length]), format: format) { parsed += 1 }
            }
            for _ in 0..<500 {
                var mutated = frame
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !mutated.isEmpty {
                    let index = Int.random(in: 0..<mutated.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: mutated[index] = UInt8.random(in: 0...255, using: &generator)
                    case 1: mutated.remove(at: index)
                    default: mutated.insert([0x20, 0x5B, 0x5D, 0x22, 0x5C, 0x3A, 0x0A][Int.random(in: 0..<7, using: &generator)], at: index)
                    }
                }
                _ = Self.check(mutated, format: format)
            }
        }
        // The whole frame parses in at least one mode.
        #expect(parsed > 0)
    }

    @Test func randomBytes() {
        var generator = SplitMix64(seed: 0x5eed)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<64, using: &generator)
            var frame = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator), !frame.isEmpty { frame[0] = UInt8(ascii: "<") }
            for format in SyslogFormat.allCases { _ = Self.check(frame, format: format) }
        }
    }
}

/// A small seeded generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
