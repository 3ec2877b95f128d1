import Foundation
import Testing
import TestSupport

/// Counting tests: numbered messages in, every number out exactly once.
@Suite(.serialized)
struct DeliveryTests {
    /// `count` numbered messages, alternating LF-framed RFC 3164 and octet-counted RFC 5424, as a TCP stream.
    static func numberedStream(count: Int, from start: Int = 0, at date: Date = Date()) -> [UInt8] {
        // Stamped now: a chunk of an earlier hour would be due at once, and some tests need it not due.
        let (bsd, rfc3339) = (rfc3164Stamp(date), rfc3339Stamp(date))
        var stream: [UInt8] = []
        for number in start..<(start + count) {
            if number.isMultiple(of: 2) {
                stream += Array("<134>\(bsd) web-\(number % 7) app[\(number)]: message number=\(number)\n".utf8)
            } else {
                let message = Array("<134>1 \(rfc3339) web-\(number % 7) app \(number) - - message number=\(number)".utf8)
                stream += Array("\(message.count) ".utf8) + message
            }
        }
        return stream
    }

    /// A TCP syslog source on 127.0.0.1 tagged `app`.
    static func tcpSource(port: Int) -> String {
        """
        <source>
          @type syslog
          port \(port)
          bind 127.0.0.1
          tag app
          <transport tcp>
          </transport>
        </source>
        """
    }

    static func numbers(in records: [[String: Any]]) -> [Int] {
        records.compactMap { record in
            (record["message"] as? String).flatMap { $0.split(separator: "=").last.flatMap { Int($0) } }
        }
    }

    /// SeaweedFS checks every signature: Sluice's SigV4 over TCP input, lz4 objects, flush at shutdown.
    @Test func everyMessageReachesAStrictS3ServerExactlyOnceAsLZ4() async throws {
        let server = try await S3TestServer.shared(.seaweedFS)
        let bucket = "sluice-delivery"
        try server.createBucket(bucket)
        let directory = try PackagePaths.temporaryDirectory("delivery")
        let port = try LoopbackPorts.free(1)[0]
        let config = directory + "/sluice.conf"
        try """
            \(Self.tcpSource(port: port))
            <match app.**>
              @type s3
              \(server.outputParameters(bucket: bucket))
              path "logs/${tag}/"
              s3_object_key_format %{path}%{time_slice}_%{index}.%{file_extension}
              <format>
                @type json
              </format>
              store_as lz4
              <buffer tag,time>
                @type file
                path \(directory)/buffer
                timekey 1h
                timekey_wait 10m
                timekey_use_utc true
                chunk_limit_size 64k
                flush_at_shutdown true
              </buffer>
            </match>

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(config: config, directory: directory, listeners: 1)

        let total = 4000
        try SyslogSender.sendTCP(port: port, Self.numberedStream(count: total / 2))
        try SyslogSender.sendTCP(port: port, Self.numberedStream(count: total / 2, from: total / 2))
        let status = await sluice.stop()
        #expect(status == 0, "\(sluice.child.output)")

        let (keys, records) = try storedRecords(server: server, bucket: bucket, prefix: "logs/", tool: "lz4")
        let numbers = Self.numbers(in: records)
        #expect(numbers.count == total, "stored \(numbers.count) of \(total)")
        #expect(Set(numbers) == Set(0..<total), "every number exactly once")
        // 64 KiB chunks: the stream is cut into several objects, each with its own index.
        #expect(keys.count > 2)
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.hasPrefix("logs/app.local0.info/") && $0.hasSuffix(".lz4") }, "\(keys)")
        let sample = try #require(records.first { ($0["message"] as? String) == "message number=1" })
        #expect(sample["host"] as? String == "web-1")
        #expect(sample["pid"] as? String == "1")
        #expect(sample["msgid"] as? String == "-")
    }

    /// With `flush_at_shutdown false` (the file buffer's default) records wait on disk across a restart
    /// and are uploaded once by the next run.
    @Test func bufferedRecordsSurviveARestartAndAreUploadedOnce() async throws {
        let directory = try PackagePaths.temporaryDirectory("restart")
        let port = try LoopbackPorts.free(1)[0]
        let config = directory + "/sluice.conf"
        try """
            \(Self.tcpSource(port: port))
            <match app.**>
              @type s3
              local_directory \(directory)/bucket
              path syslog/
              store_as gzip
              <format>
                @type json
              </format>
              <buffer tag,time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 10m
                flush_at_shutdown false
              </buffer>
            </match>

            """.write(toFile: config, atomically: true, encoding: .utf8)

        let first = try await SluiceRun(config: config, directory: directory, listeners: 1)
        try SyslogSender.sendTCP(port: port, Self.numberedStream(count: 1000))
        #expect(await first.stop() == 0, "\(first.child.output)")
        #expect(objects(in: directory + "/bucket").isEmpty, "nothing uploaded before the chunk is due")
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory + "/buffer").filter { $0.hasSuffix(".seg") }
        #expect(segments.count == 1, "one open chunk, in one segment")

        let second = try await SluiceRun(config: config, directory: directory, listeners: 1)
        try SyslogSender.sendTCP(port: port, Self.numberedStream(count: 500, from: 1000))
        // The resumed chunk and the new records are uploaded on SIGUSR1; records still on their way
        // through the pipeline go in a later flush.
        var numbers: [Int] = []
        let complete = try await eventually(timeout: .seconds(30), interval: .seconds(1)) {
            second.flush()
            try await Task.sleep(for: .milliseconds(300))
            numbers = []
            for path in objects(in: directory + "/bucket") {
                let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
                numbers += Self.numbers(in: try ReferenceDecompressor.jsonLines(ReferenceDecompressor.decompress(bytes, tool: "gzip")))
            }
            return numbers.count >= 1500
        }
        #expect(await second.stop() == 0)
        #expect(complete, "\(second.child.output)")
        #expect(numbers.count == 1500)
        #expect(Set(numbers) == Set(0..<1500))
    }

    private func objects(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".gz") }.map { directory + "/" + $0 }.sorted()
    }
}
