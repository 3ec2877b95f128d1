import Foundation
import Spool
import Testing
import TestSupport

@Suite("Partition buffer: sealing by time")
struct SealingTests {
    struct ExpiryCase: CustomStringConvertible, Sendable {
        var timekey: Int64
        var timekeyWait: Int64
        var slice: Int64
        var description: String { "timekey \(timekey), wait \(timekeyWait), slice \(slice)" }
    }

    @Test("sealExpired seals a slice at timekey + timekey_wait after its start, not a second earlier", arguments: [
        ExpiryCase(timekey: 3600, timekeyWait: 600, slice: 1_699_999_200),
        ExpiryCase(timekey: 3600, timekeyWait: 0, slice: 1_699_999_200),
        ExpiryCase(timekey: 60, timekeyWait: 3600, slice: 1_700_000_040),
        ExpiryCase(timekey: 86400, timekeyWait: 600, slice: -86400),
    ])
    func timekeyExpiry(testCase: ExpiryCase) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(
            configuration: directory.configuration(timekey: testCase.timekey, timekeyWait: testCase.timekeyWait),
            logger: quietLogger)
        let due = testCase.slice + testCase.timekey + testCase.timekeyWait
        let current = PartitionKey(tag: "syslog.auth", timeSlice: testCase.slice)
        let next = PartitionKey(tag: "syslog.auth", timeSlice: testCase.slice + testCase.timekey)
        let otherTag = PartitionKey(tag: "syslog.a", timeSlice: testCase.slice)
        _ = try await buffer.append(batch([(current, jsonLines(["1"])), (next, jsonLines(["2"])), (otherTag, jsonLines(["3"]))]))

        #expect(try await buffer.sealExpired(now: testCase.slice).isEmpty)
        #expect(try await buffer.sealExpired(now: due - 1).isEmpty)
        let sealed = try await buffer.sealExpired(now: due)
        #expect(sealed.map(\.key) == [otherTag, current], "both chunks of the slice, ordered by tag")
        #expect(await buffer.statistics().openChunks == 1)
        #expect(try await buffer.sealExpired(now: due + testCase.timekey - 1).isEmpty)
        #expect(try await buffer.sealExpired(now: due + testCase.timekey).map(\.key) == [next])
        #expect(try await buffer.sealExpired(now: Int64.max / 2).isEmpty)
    }

    @Test("With timekey 0, sealExpired seals a chunk flush_interval after it was opened", arguments: [1, 60, 3600] as [Int64])
    func flushInterval(interval: Int64) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(
            configuration: directory.configuration(timekey: 0, timekeyWait: 600, flushInterval: interval), logger: quietLogger)
        let key = PartitionKey(tag: "syslog.user", timeSlice: 0)
        let before = wallClockSeconds()
        _ = try await buffer.append(batch([(key, jsonLines(["x"]))]))
        let after = wallClockSeconds()

        // timekey_wait has no say without a time key.
        #expect(try await buffer.sealExpired(now: before + interval - 1).isEmpty)
        let sealed = try await buffer.sealExpired(now: after + interval)
        #expect(sealed.map(\.key) == [key])
        #expect(try readRecords(try #require(sealed.first)) == jsonLines(["x"]))
    }

    @Test("sealAll seals every open chunk, ordered by slice then tag; the next append opens a new chunk")
    func sealAll() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let keys = [
            PartitionKey(tag: "b", timeSlice: 7200), PartitionKey(tag: "a", timeSlice: 7200),
            PartitionKey(tag: "z", timeSlice: 3600), PartitionKey(tag: "a", timeSlice: -3600),
        ]
        _ = try await buffer.append(batch(keys.map { ($0, jsonLines([$0.tag])) }))
        let sealed = try await buffer.sealAll()
        #expect(sealed.map(\.key) == [keys[3], keys[2], keys[1], keys[0]])
        #expect(try await buffer.sealAll().isEmpty)
        #expect(await buffer.statistics().openChunks == 0)

        _ = try await buffer.append(batch([(keys[1], jsonLines(["again"]))]))
        let second = try #require(try await buffer.sealAll().first)
        #expect(!sealed.map(\.id).contains(second.id))
        #expect(second.index == 2, "slice 7200 already used indices 0 and 1")
        #expect(try readRecords(second) == jsonLines(["again"]))
    }
}

@Suite("SpoolConfiguration.timeSlice")
struct TimeSliceTests {
    struct SliceCase: CustomStringConvertible, Sendable {
        var timekey: Int64
        var offset: Int64
        var time: Int64
        var expected: Int64
        var description: String { "timekey \(timekey), offset \(offset), time \(time) -> \(expected)" }
    }

    @Test("timeSlice(of:) gives the start of the slice in the configured zone", arguments: [
        SliceCase(timekey: 3600, offset: 0, time: 1_700_000_000, expected: 1_699_999_200),
        SliceCase(timekey: 3600, offset: 0, time: 1_699_999_200, expected: 1_699_999_200),
        SliceCase(timekey: 3600, offset: 0, time: 1_699_999_199, expected: 1_699_995_600),
        SliceCase(timekey: 3600, offset: 0, time: 0, expected: 0),
        SliceCase(timekey: 3600, offset: 0, time: -1, expected: -3600),
        SliceCase(timekey: 3600, offset: 0, time: -3600, expected: -3600),
        SliceCase(timekey: 3600, offset: 0, time: -3601, expected: -7200),
        SliceCase(timekey: 86400, offset: 0, time: -1, expected: -86400),
        // Asia/Tokyo (+09:00): a day starts at 15:00 UTC of the day before.
        SliceCase(timekey: 86400, offset: 9 * 3600, time: 0, expected: -9 * 3600),
        SliceCase(timekey: 86400, offset: 9 * 3600, time: 15 * 3600, expected: 15 * 3600),
        SliceCase(timekey: 86400, offset: 9 * 3600, time: 15 * 3600 - 1, expected: -9 * 3600),
        // America/New_York in winter (-05:00).
        SliceCase(timekey: 86400, offset: -5 * 3600, time: 0, expected: -86400 + 5 * 3600),
        SliceCase(timekey: 86400, offset: -5 * 3600, time: 5 * 3600, expected: 5 * 3600),
        // Asia/Kolkata (+05:30): hours start at half past in UTC.
        SliceCase(timekey: 3600, offset: 19800, time: 0, expected: -1800),
        SliceCase(timekey: 3600, offset: 19800, time: 1800, expected: 1800),
        SliceCase(timekey: 3600, offset: 19800, time: -1801, expected: -5400),
        // No time key: everything in slice 0.
        SliceCase(timekey: 0, offset: 0, time: 1_700_000_000, expected: 0),
        SliceCase(timekey: 0, offset: 3600, time: -5, expected: 0),
    ])
    func table(testCase: SliceCase) {
        let configuration = SpoolConfiguration(directory: "/unused", timekey: testCase.timekey, timekeyUTCOffset: testCase.offset)
        #expect(configuration.timeSlice(of: testCase.time) == testCase.expected)
    }

    @Test("A slice holds its time, is timekey wide, and starts on a local boundary", arguments: [60, 300, 3600, 86400] as [Int64])
    func property(timekey: Int64) {
        var random = SeededRandom(seed: UInt64(timekey))
        for _ in 0..<2000 {
            let offset = Int64.random(in: -14 * 3600...14 * 3600, using: &random) / 900 * 900
            let time = Int64.random(in: -4_000_000_000...4_000_000_000, using: &random)
            let configuration = SpoolConfiguration(directory: "/unused", timekey: timekey, timekeyUTCOffset: offset)
            let slice = configuration.timeSlice(of: time)
            #expect(slice <= time && time < slice + timekey, "time \(time) offset \(offset)")
            #expect((slice + offset) % timekey == 0, "time \(time) offset \(offset)")
        }
    }
}
