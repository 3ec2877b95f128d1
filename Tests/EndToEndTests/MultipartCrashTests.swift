#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// A 256 MB chunk goes up by multipart upload through a proxy that slows every part; the real `sluice`
/// is SIGKILLed part way and started again. The upload resumes: the parts the bucket holds are not
/// sent again, one object holds every record once, and no unfinished upload is left in the bucket.
@Suite(.serialized)
struct MultipartCrashTests {
    static let messages = 1_300_000

    @Test func sigkillMidUploadResumesWithoutDuplicatesOrOrphanedUploads() async throws {
        let server = try await S3TestServer.shared(.seaweedFS)
        let bucket = "sluice-multipart-crash"
        try server.createBucket(bucket)
        let proxy = try await S3FaultProxy.start(upstream: server.endpoint)
        defer { Task { await proxy.stop() } }
        let directory = try PackagePaths.temporaryDirectory("multipart-crash")
        let port = try LoopbackPorts.free(1)[0]
        let config = directory + "/sluice.conf"
        try """
            \(DeliveryTests.tcpSource(port: port))
            <match app.**>
              @type s3
              \(server.outputParameters(bucket: bucket).replacingOccurrences(of: server.endpoint.absoluteString, with: proxy.endpoint.absoluteString))
              path big/
              store_as json
              upload_concurrency 2
              <format>
                @type json
              </format>
              <buffer time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
                chunk_limit_size 256m
                flush_at_shutdown true
              </buffer>
            </match>

            """.write(toFile: config, atomically: true, encoding: .utf8)

        func start(_ run: Int) async throws -> SluiceRun {
            let runDirectory = directory + "/run-\(run)"
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            return try await SluiceRun(config: config, directory: runDirectory, listeners: 1)
        }
        let first = try await start(0)
        let loadgen = try ChildProcess(
            try PackagePaths.sluiceBinary(),
            ["loadgen", "--port", String(port), "--connections", "4", "--count", String(Self.messages), "--size", "170", "--quiet", "--duration", "120"],
            directory: directory, logPath: directory + "/loadgen.log"
        )
        let loadgenStatus = await loadgen.waitForExit(timeout: .seconds(150))
        try #require(loadgenStatus == 0, "loadgen: \(loadgen.output)")
        // Every message is in the buffer shortly after its connection closed.
        let closed = await eventually(timeout: .seconds(60)) {
            first.child.output.components(separatedBy: "syslog connection closed by the sender").count - 1 == 4
        }
        try #require(closed)
        try await Task.sleep(for: .seconds(2))

        // Each part takes at least 400 ms: the kill lands with parts in the bucket and parts to go.
        proxy.inject(.delay(.milliseconds(400)), on: .uploadPart, times: 10_000)
        first.flush()
        let partsLanded = await eventually(timeout: .seconds(60), interval: .milliseconds(50)) {
            proxy.recorded.filter { $0.operation == .uploadPart && $0.status == 200 }.count >= 4
        }
        try #require(partsLanded, "no parts landed: \(first.child.output.suffix(2000))")
        first.child.signal(SIGKILL)
        _ = await first.child.waitForExit(timeout: .seconds(10))
        let beforeKill = Set(proxy.recorded.filter { $0.operation == .uploadPart && $0.status == 200 }.map(\.uri))
        #expect(try server.listObjects(bucket: bucket, prefix: "big/").isEmpty, "the object was not complete at the kill")
        #expect(try server.listMultipartUploads(bucket: bucket).count == 1)

        proxy.clearFaults()
        let recordedBefore = proxy.recorded.count
        let second = try await start(1)
        let stored = await eventually(timeout: .seconds(120)) {
            second.child.output.contains("uploaded big/")
        }
        try #require(stored, "\(second.child.output.suffix(3000))")
        #expect(await second.stop() == 0)

        // What the bucket holds, counted by boto3: every message once, in one object.
        let keys = try server.listObjects(bucket: bucket, prefix: "big/")
        #expect(keys.count == 1, "\(keys)")
        let summary = try server.boto3("""
            seen = {}
            lines = 0
            for key in sys.argv[2:]:
                body = s3.get_object(Bucket=sys.argv[1], Key=key)["Body"].read()
                for line in body.splitlines():
                    lines += 1
                    start = line.index(b"seq=") + 4
                    seq = line[start:line.index(b" ", start)]
                    seen[seq] = seen.get(seq, 0) + 1
            print(json.dumps({"lines": lines, "unique": len(seen), "duplicated": sum(1 for n in seen.values() if n > 1)}))
            """, arguments: [bucket] + keys)
        let counts = try JSONDecoder().decode([String: Int].self, from: Data(summary.utf8))
        #expect(counts["lines"] == Self.messages, "\(counts)")
        #expect(counts["unique"] == Self.messages, "\(counts)")
        #expect(counts["duplicated"] == 0, "\(counts)")
        #expect(try server.listMultipartUploads(bucket: bucket).isEmpty, "an unfinished upload was left in the bucket")

        // Parts the bucket acknowledged before the kill were not sent again.
        let after = proxy.recorded.dropFirst(recordedBefore).filter { $0.operation == .uploadPart && $0.status == 200 }
        let resent = after.filter { record in beforeKill.contains { Self.partNumber($0) == Self.partNumber(record.uri) } }
        #expect(resent.isEmpty, "parts sent again: \(resent.map { Self.partNumber($0.uri) })")
        #expect(proxy.count(.createMultipartUpload) == 1)
        let partCount = Set((Array(beforeKill) + after.map { $0.uri }).map(Self.partNumber)).count
        print("""
            MultipartCrashTests: \(Self.messages) messages, one 256 MB chunk in \(partCount) parts; \
            \(beforeKill.count) parts in the bucket at the SIGKILL, \(after.count) sent after the restart, \(resent.count) sent twice; \
            \(counts["unique"] ?? 0) stored once, 0 unfinished uploads
            """)
    }

    static func partNumber(_ uri: String) -> Int {
        guard let range = uri.range(of: "partNumber=") else { return 0 }
        return Int(uri[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

}
