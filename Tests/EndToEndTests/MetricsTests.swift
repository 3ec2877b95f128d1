import AsyncHTTPClient
import Foundation
import Testing
import TestSupport

/// The real binary's /metrics, /api/status and `sluice top`, counting what was sent.
@Suite(.serialized)
struct MetricsTests {
    @Test func metricsStatusAndTopCountWhatWasSent() async throws {
        let directory = try PackagePaths.temporaryDirectory("metrics")
        let port = try LoopbackPorts.free(1)[0]
        try """
            \(DeliveryTests.tcpSource(port: port))
            <match app.**>
              @type s3
              local_directory \(directory)/bucket
              s3_bucket logs
              path syslog/
              store_as gzip
              <format>
                @type json
              </format>
              <buffer tag,time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
              </buffer>
            </match>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(config: directory + "/sluice.conf", directory: directory, listeners: 1)
        defer { _ = sluice.child.signal(SIGKILL) }
        let metricsPort = try #require(sluice.metricsPort, "\(sluice.child.output.suffix(2000))")
        let messages = 500
        try SyslogSender.sendTCP(port: port, DeliveryTests.numberedStream(count: messages))

        // The counters reach the numbers sent (gauges refresh every second).
        var status: [String: Any] = [:]
        let counted = await eventually(timeout: .seconds(30)) {
            guard let fetched = try? await Self.status(metricsPort) else { return false }
            status = fetched
            let input = (status["inputs"] as? [String: [String: Double]])?.values.first
            let output = (status["outputs"] as? [String: [String: Double]])?["match0"]
            return input?["received_messages"] == Double(messages) && output?["buffered_records"] == Double(messages)
                && output?["buffer_open_chunks"] == 1
        }
        #expect(counted, "\(status)")
        let metrics = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metrics.contains("sluice_received_messages_total{input=") && metrics.contains("} \(messages)"), "\(metrics.prefix(3000))")
        #expect(metrics.contains(#"sluice_buffer_open_chunks{output="match0"} 1"#))

        // SIGUSR1 seals and uploads: the output's counters move.
        sluice.flush()
        let uploaded = await eventually(timeout: .seconds(30)) {
            let output = ((try? await Self.status(metricsPort))?["outputs"] as? [String: [String: Double]])?["match0"]
            return output?["uploaded_objects"] == 1 && output?["buffer_open_chunks"] == 0 && output?["upload_duration_seconds_count"] == 1
        }
        #expect(uploaded)

        let top = try ChildProcess.run(try PackagePaths.sluiceBinary(), ["top", "--once", "--address", "127.0.0.1:\(metricsPort)"])
        #expect(top.status == 0, "\(top.output)")
        #expect(top.output.contains("INPUT") && top.output.contains("OUTPUT"), "\(top.output)")
        let inputName = try #require((status["inputs"] as? [String: [String: Double]])?.keys.first)
        #expect(top.output.split(separator: "\n").contains { $0.hasPrefix(inputName) && $0.split(separator: " ").contains("\(messages)") }, "\(top.output)")
        let outputRow = try #require(top.output.split(separator: "\n").first { $0.hasPrefix("match0") }, "\(top.output)")
        #expect(outputRow.split(separator: " ").contains("\(messages)"), "accepted count in \(outputRow)")
        print("sluice top --once:\n\(top.output)")
        #expect(await sluice.stop() == 0)
    }

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        guard response.status == .ok else { throw TestFailure("GET \(url): HTTP \(response.status.code)") }
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }

    /// `/api/status` with every number as a Double.
    static func status(_ port: Int) async throws -> [String: Any] {
        let text = try await get("http://127.0.0.1:\(port)/api/status")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func numbers(_ value: Any?) -> [String: Double] {
            ((value as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        func groups(_ value: Any?) -> [String: [String: Double]] {
            ((value as? [String: Any]) ?? [:]).mapValues(numbers)
        }
        return ["inputs": groups(json["inputs"]), "outputs": groups(json["outputs"]), "other": numbers(json["other"])]
    }
}
