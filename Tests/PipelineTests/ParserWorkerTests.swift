import Foundation
import Ingest
import Logging
import NIOCore
import Spool
import SyslogProtocol
import Testing

@testable import Pipeline

/// Frames in, routed JSON lines out, partitioned by tag and time slice.
struct ParserWorkerTests {
    static let hourly = SpoolConfiguration(directory: "", timekey: 3600)

    struct Harness {
        let input = BoundedQueue<SourceBatch>(.watermark(low: 1, high: 4))
        let outputs: [BoundedQueue<EncodedBatch>]
        let worker: ParserWorker

        init(
            routes: [String: Int], outputCount: Int, byTag: Bool = true, emitUnmatched: Bool = false,
            clientSubjectKey: String? = nil, keys: RecordKeys = RecordKeys()
        ) {
            outputs = (0..<outputCount).map { _ in BoundedQueue<EncodedBatch>(.watermark(low: 1, high: 64)) }
            var keys = keys
            keys.clientSubject = keys.clientSubject ?? clientSubjectKey
            let routing = SourceRouting(
                name: "test", tag: "system", parser: SyslogParser(), emitUnmatchedLines: emitUnmatched,
                keys: keys,
                plan: { tag in routes.first { tag.hasPrefix($0.key) }.map { .direct($0.value) } ?? .none }
            )
            worker = ParserWorker(
                input: input,
                sources: [routing],
                outputs: outputs.map { (OutputPartitioning(byTag: byTag, spool: ParserWorkerTests.hourly), $0) },
                logger: Logger(label: "test")
            )
        }

        /// Runs the worker over `frames` and returns what each output received.
        func run(
            _ frames: [String], receivedAt: Int64 = 1_795_740_000 * 1_000_000_000, peerIdentity: String? = nil,
            peer: SocketAddress? = nil, framePeers: [SocketAddress]? = nil
        ) async -> [[EncodedBatch]] {
            var batch = FrameBatch(frames: frames.map { ByteBuffer(string: $0) }, receivedAt: receivedAt)
            batch.peerIdentity = peerIdentity
            batch.peer = peer
            batch.framePeers = framePeers
            try? await input.send(SourceBatch(source: 0, batch: batch))
            input.finish()
            await worker.run()
            var result: [[EncodedBatch]] = []
            for output in outputs {
                output.finish()
                var batches: [EncodedBatch] = []
                while let batch = await output.next() { batches.append(batch) }
                result.append(batches)
            }
            return result
        }
    }

    static func lines(_ part: EncodedBatch.Part?) throws -> [[String: Any]] {
        guard let part else { return [] }
        return try part.lines.split(separator: UInt8(ascii: "\n")).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
        }
    }

    @Test func recordsArePartitionedByTagAndHour() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1)
        let received = await harness.run([
            "<86>Nov 27 00:10:00 host CRON[1]: one",
            "<86>Nov 27 00:50:00 host CRON[2]: two",
            "<86>Nov 27 01:05:00 host CRON[3]: three",
            "<38>Nov 27 00:20:00 host sshd[4]: four",
        ])
        let batch = try #require(received[0].first)
        let midnight: Int64 = 1_795_737_600
        let first = batch.parts[PartitionKey(tag: "system.authpriv.info", timeSlice: midnight)]
        #expect(first?.recordCount == 2)
        #expect(try Self.lines(first).map { $0["message"] as? String } == ["one", "two"])
        #expect(batch.parts[PartitionKey(tag: "system.authpriv.info", timeSlice: midnight + 3600)]?.recordCount == 1)
        let auth = try Self.lines(batch.parts[PartitionKey(tag: "system.auth.info", timeSlice: midnight)])
        #expect(auth.first?["ident"] as? String == "sshd")
        #expect(auth.first?["pid"] as? String == "4")
        #expect(batch.recordCount == 4)
    }

    @Test func routesToTheFirstMatchingOutputAndDropsUnrouted() async throws {
        // Only authpriv goes to output 1; kern (facility 0) matches nothing.
        let harness = Harness(routes: ["system.authpriv.": 1, "system.user.": 0], outputCount: 2)
        let received = await harness.run([
            "<86>Nov 27 00:10:00 host CRON[1]: secret",
            "<13>Nov 27 00:10:00 host app: hello",
            "<0>Nov 27 00:10:00 host kernel: panic",
        ])
        #expect(received[0].map(\.recordCount).reduce(0, +) == 1)
        #expect(received[1].map(\.recordCount).reduce(0, +) == 1)
        let secret = try Self.lines(received[1].first?.parts.values.first)
        #expect(secret.first?["message"] as? String == "secret")
    }

    @Test func withoutTagChunkKeyAllTagsShareAPartition() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1, byTag: false)
        let received = await harness.run([
            "<86>Nov 27 00:10:00 host CRON[1]: one",
            "<13>Nov 27 00:10:00 host app: two",
        ])
        let batch = try #require(received[0].first)
        #expect(batch.parts.count == 1)
        #expect(batch.parts.keys.first?.tag == "")
        #expect(batch.recordCount == 2)
    }

    @Test func unparsableLinesBecomeUnmatchedRecordsWhenAsked() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1, emitUnmatched: true)
        let received = await harness.run(["not syslog \"at\" all", "<13>Nov 27 00:10:00 host app: fine"])
        let batch = try #require(received[0].first)
        let unmatched = batch.parts.first { $0.key.tag == "system.unmatched" }
        let records = try Self.lines(unmatched?.value)
        #expect(records.count == 1)
        #expect(records.first?["unmatched_line"] as? String == "not syslog \"at\" all")
        #expect(batch.recordCount == 2)
    }

    @Test("client_subject_key: every record of a batch, unmatched lines too, carries the sender's certificate subject")
    func clientSubjectKey() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1, emitUnmatched: true, clientSubjectKey: "tls_peer")
        let received = await harness.run(
            ["<13>Nov 27 00:10:00 host1 app: one", "<13>1 2026-11-27T00:10:00Z other app - - - two", "junk"],
            peerIdentity: "CN=host1,O=Example"
        )
        let batch = try #require(received[0].first)
        let records = try batch.parts.values.flatMap { try Self.lines($0) }
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0["tls_peer"] as? String == "CN=host1,O=Example" })

        let anonymous = Harness(routes: ["system.": 0], outputCount: 1, clientSubjectKey: "tls_peer")
        let plain = try #require(await anonymous.run(["<13>Nov 27 00:10:00 host1 app: one"]).first?.first)
        #expect(try plain.parts.values.flatMap { try Self.lines($0) }.allSatisfy { $0["tls_peer"] == nil })
    }

    @Test("severity_key, facility_key, source_address_key, source_hostname_key: Fluentd's fields, in its order")
    func fluentdRecordKeys() async throws {
        let keys = RecordKeys(severity: "severity", facility: "facility", sourceAddress: "source_ip", sourceHostname: "source_host")
        let harness = Harness(routes: ["system.": 0], outputCount: 1, emitUnmatched: true, keys: keys)
        let peer = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        let received = await harness.run(["<38>Nov 27 00:10:00 host1 sshd[7]: one", "junk"], peer: peer)
        let batch = try #require(received[0].first)
        let lines = batch.parts.values.flatMap { $0.lines.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) } }
        #expect(lines.contains(#"{"host":"host1","ident":"sshd","pid":"7","message":"one","severity":"info","facility":"auth","source_ip":"127.0.0.1","source_host":"localhost"}"#), "\(lines)")
        // Fluentd's unmatched records name their sender, not a severity or facility.
        #expect(lines.contains(#"{"unmatched_line":"junk","source_ip":"127.0.0.1","source_host":"localhost"}"#), "\(lines)")

        // Datagrams name each their own sender.
        let udp = Harness(routes: ["system.": 0], outputCount: 1, keys: RecordKeys(sourceAddress: "source_ip"))
        let senders = try ["10.0.0.1", "10.0.0.2", "10.0.0.2"].map { try SocketAddress(ipAddress: $0, port: 514) }
        let datagrams = try #require(await udp.run(["<13>Nov 27 00:10:00 a app: 1", "<13>Nov 27 00:10:00 b app: 2", "<13>Nov 27 00:10:00 b app: 3"], framePeers: senders).first?.first)
        let records = try datagrams.parts.values.flatMap { try Self.lines($0) }
        #expect(records.map { $0["source_ip"] as? String } == ["10.0.0.1", "10.0.0.2", "10.0.0.2"])
    }

    @Test func unparsableLinesAreCountedNotStoredByDefault() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1)
        let received = await harness.run(["garbage", "<13>Nov 27 00:10:00 host app: fine"])
        #expect(received[0].map(\.recordCount).reduce(0, +) == 1)
    }

    @Test func messagesWithoutTimestampUseTheReceiveTime() async throws {
        let harness = Harness(routes: ["system.": 0], outputCount: 1)
        // RFC 5424 NILVALUE time; received at 2026-11-27T00:40:00Z.
        let received = await harness.run(["<13>1 - host app - - - no time"], receivedAt: 1_795_740_000 * 1_000_000_000)
        let key = try #require(received[0].first?.parts.keys.first)
        #expect(key.timeSlice == 1_795_737_600)
    }
}
