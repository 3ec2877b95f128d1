import CivilTime
import Foundation
import Testing

@testable import SyslogProtocol

/// Paths and helpers shared by the parser tests.
enum Paths {
    /// The package root, found from this file so tests run from any directory.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Fixtures/syslog")
    static let conformance = packageRoot.appendingPathComponent("../shared/conformance")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func allFixtureNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".syslog") }.sorted()
    }
}

/// Unix seconds of a UTC wall-clock time (test-side, via the library's calendar code).
func unixTime(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0) -> Int64 {
    CivilDate.unixSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, utcOffsetSeconds: 0)
}

/// Reception time used by the tests: mid-2026, so year inference is unambiguous.
let receivedAt = unixTime(2026, 6, 15, 12)

extension SyslogMessage {
    /// A field's text (lossy UTF-8), for comparisons.
    func text(_ range: Range<Int>?, in frame: [UInt8]) -> String? {
        range.map { String(decoding: frame[$0], as: UTF8.self) }
    }
}
