import Foundation
import Spool
import Testing

@Suite("Partition buffer: receipts of acknowledged senders")
struct ReceiptTests {
    static let slice: Int64 = 1_699_999_200

    @Test("Receipts are written beside their records, found again by recovery, and never read as records")
    func receiptsSurviveARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let auth = PartitionKey(tag: "relp.auth.info", timeSlice: Self.slice)
        let cron = PartitionKey(tag: "relp.cron.info", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            var first = batch([(auth, jsonLines(["a1"])), (cron, jsonLines(["c1", "c2"]))])
            first.receipt = DeliveryReceipt(sender: "relp/test 10.0.0.1", receivedAt: 1, digests: [11, 12, 13])
            _ = try await buffer.append(first)
            var second = batch([(auth, jsonLines(["a2"]))])
            second.receipt = DeliveryReceipt(sender: "relp/test 10.0.0.1", receivedAt: 2, digests: [14])
            _ = try await buffer.append(second)
            var other = batch([(auth, jsonLines(["a3"]))])
            other.receipt = DeliveryReceipt(sender: "relp/test 10.0.0.2", receivedAt: 3, digests: [21])
            _ = try await buffer.append(other)
            #expect(await buffer.recoveredReceipts.isEmpty)
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let recovered = await buffer.recoveredReceipts.digestsBySender
        #expect(recovered == ["relp/test 10.0.0.1": [11, 12, 13, 14], "relp/test 10.0.0.2": [21]])
        let stats = await buffer.statistics()
        #expect(stats.bufferedBytes == jsonLines(["a1", "c1", "c2", "a2", "a3"]).count, "receipts are not record bytes")
        let chunks = await buffer.sealAll().sorted { $0.key.tag < $1.key.tag }
        #expect(chunks.map(\.recordCount) == [3, 2])
        #expect(try readRecords(chunks[0]) == jsonLines(["a1", "a2", "a3"]))
        #expect(try readRecords(chunks[1]) == jsonLines(["c1", "c2"]))
    }

    @Test("Recovery keeps each sender's most recent digests only, in the order they came")
    func recoveredDigestsAreBounded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "relp.user.notice", timeSlice: Self.slice)
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            for round in 0..<30 {
                var next = batch([(key, jsonLines(["r\(round)"]))])
                let digests = (0..<500).map { UInt64(round * 500 + $0) }
                next.receipt = DeliveryReceipt(sender: "s", receivedAt: Int64(round), digests: digests)
                _ = try await buffer.append(next)
            }
        }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let digests = try #require(await buffer.recoveredReceipts.digestsBySender["s"])
        #expect(digests == (15_000 - RecoveredReceipts.defaultLimit..<15_000).map(UInt64.init))
    }
}
