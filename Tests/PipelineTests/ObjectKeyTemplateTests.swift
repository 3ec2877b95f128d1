import CivilTime
import Foundation
@testable import Spool
import Testing

@testable import Pipeline

struct ObjectKeyTemplateTests {
    /// 2026-11-27T00:00:00Z
    static let slice: Int64 = 1_795_737_600

    static func chunk(tag: String = "system.authpriv.info", slice: Int64 = slice, index: Int = 0) -> SealedChunk {
        SealedChunk(
            id: ChunkID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210),
            key: PartitionKey(tag: tag, timeSlice: slice),
            index: index, segments: [], recordBytes: 0, recordCount: 0, createdAt: 0
        )
    }

    @Test func fluentdDefaultKeyForTheTutorial() {
        let template = ObjectKeyTemplate(
            path: "syslog/",
            timeSliceFormat: ObjectKeyTemplate.timeSliceFormat(forTimekey: 3600),
            fileExtension: "gz",
            hostname: "collector-1"
        )
        #expect(template.key(for: Self.chunk(index: 0)) == "syslog/2026112700_0.gz")
        #expect(template.key(for: Self.chunk(slice: Self.slice + 3600 * 13, index: 3)) == "syslog/2026112713_3.gz")
    }

    @Test(arguments: [
        (Int64(30), "%Y%m%d%H%M%S"), (60, "%Y%m%d%H%M"), (900, "%Y%m%d%H%M"),
        (3600, "%Y%m%d%H"), (7200, "%Y%m%d%H"), (86_400, "%Y%m%d"), (604_800, "%Y%m%d"),
    ])
    func timeSliceFormatFollowsTimekey(timekey: Int64, format: String) {
        #expect(ObjectKeyTemplate.timeSliceFormat(forTimekey: timekey) == format)
    }

    @Test func placeholdersFromTheChunkIdentity() {
        let template = ObjectKeyTemplate(
            format: "%{path}${tag}/${tag[1]}/${tag[-1]}/%Y/%m/%d/%{hostname}-%{chunk_id}-%{uuid_flush}-%{hex_random}.%{file_extension}",
            path: "logs/",
            timeSliceFormat: "%Y%m%d%H",
            fileExtension: "lz4",
            hostname: "collector-1"
        )
        let key = template.key(for: Self.chunk())
        #expect(key == "logs/system.authpriv.info/authpriv/info/2026/11/27/collector-1-0123456789abcdeffedcba9876543210-01234567-89ab-cdef-fedc-ba9876543210-3210.lz4")
        // A retry or a replay renders the same key.
        #expect(template.key(for: Self.chunk()) == key)
    }

    @Test func unknownPlaceholdersStayAsWritten() {
        let template = ObjectKeyTemplate(format: "%{path}%{nope}/${other}/x", path: "p/", timeSliceFormat: "", fileExtension: "gz", hostname: "h")
        #expect(template.key(for: Self.chunk()) == "p/%{nope}/${other}/x")
    }

    @Test func sliceIsWrittenInTheConfiguredZone() {
        // 00:00 UTC is 09:00 at +09:00.
        let template = ObjectKeyTemplate(path: "", timeSliceFormat: "%Y%m%d%H", fileExtension: "gz", hostname: "h", utcOffset: 9 * 3600)
        #expect(template.key(for: Self.chunk()) == "2026112709_0.gz")
    }
}

struct CivilTimeTests {
    /// Against Foundation's Gregorian calendar, over instants from 1900 to 2200 and both sides of zero.
    @Test func agreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        let samples: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 1_709_164_800, -2_208_988_800, 7_258_118_400]
            + (0..<2000).map { _ in Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator) }
        for seconds in samples {
            let civil = CivilTime(unixSeconds: seconds)
            let components = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(civil.year == components.year && civil.month == components.month && civil.day == components.day, "\(seconds)")
            #expect(civil.hour == components.hour && civil.minute == components.minute && civil.second == components.second, "\(seconds)")
            let dayOfYear = calendar.ordinality(of: .day, in: .year, for: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(civil.dayOfYear == dayOfYear, "\(seconds)")
        }
    }

    @Test func formats() {
        let civil = CivilTime(unixSeconds: 1_709_210_096)  // 2024-02-29T12:34:56Z
        #expect(civil.formatted("%Y-%m-%dT%H:%M:%S %j %y %% %q") == "2024-02-29T12:34:56 060 24 % %q")
        #expect(civil.formatted("%z", utcOffset: -5 * 3600 - 1800) == "-0530")
    }
}
