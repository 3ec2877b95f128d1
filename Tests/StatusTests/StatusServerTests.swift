import AsyncHTTPClient
import CivilTime
import Foundation
import Prometheus
import Status
import Testing

@Suite("Status endpoint")
struct StatusServerTests {
    static func get(_ url: String) async throws -> (Int, String, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "content-type") ?? "", String(buffer: body))
    }

    @Test("/metrics is the registry in Prometheus text; /api/status groups it per input and output")
    func serves() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "sluice_received_messages_total", labels: [("input", "syslog:5140/tcp")]).increment(by: Int64(1234))
        registry.makeCounter(name: "sluice_buffered_records_total", labels: [("output", "match0")]).increment(by: Int64(1200))
        registry.makeCounter(name: "sluice_buffer_overflow_dropped_records_total", labels: [("output", "match0"), ("cause", "throw_exception")]).increment(by: Int64(34))
        registry.makeGauge(name: "sluice_buffer_open_chunks", labels: [("output", "match0")]).set(Int64(3))
        registry.makeCounter(name: "sluice_unrouted_messages_total").increment(by: Int64(2))
        let server = try await StatusServer.start(host: "127.0.0.1", port: 0, registry: registry, startedAt: WallClock.nanoseconds() - 5_000_000_000)
        defer { Task { await server.stop() } }

        let (status, type, metrics) = try await Self.get("http://127.0.0.1:\(server.port)/metrics")
        #expect(status == 200)
        #expect(type.hasPrefix("text/plain; version=0.0.4"))
        #expect(metrics.contains(#"sluice_received_messages_total{input="syslog:5140/tcp"} 1234"#), "\(metrics)")

        let (jsonStatus, jsonType, json) = try await Self.get("http://127.0.0.1:\(server.port)/api/status")
        #expect(jsonStatus == 200 && jsonType == "application/json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let inputs = try #require(document["inputs"] as? [String: [String: Int]])
        let outputs = try #require(document["outputs"] as? [String: [String: Int]])
        #expect(inputs["syslog:5140/tcp"]?["received_messages"] == 1234)
        #expect(outputs["match0"]?["buffered_records"] == 1200)
        #expect(outputs["match0"]?["buffer_overflow_dropped_records:throw_exception"] == 34)
        #expect(outputs["match0"]?["buffer_open_chunks"] == 3)
        #expect((document["other"] as? [String: Int])?["unrouted_messages"] == 2)
        #expect(((document["uptime_seconds"] as? Double) ?? 0) >= 5)

        #expect(try await Self.get("http://127.0.0.1:\(server.port)/nothing").0 == 404)
    }

    @Test("/api/plugins.json answers in monitor_agent's shape, for health checks written for td-agent")
    func monitorAgentShape() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "sluice_received_messages_total", labels: [("input", "tcp/0.0.0.0:5140")]).increment(by: Int64(10))
        registry.makeCounter(name: "sluice_buffered_records_total", labels: [("output", "out_s3")]).increment(by: Int64(9))
        registry.makeGauge(name: "sluice_buffer_sealed_chunks", labels: [("output", "out_s3")]).set(Int64(2))
        registry.makeGauge(name: "sluice_buffer_bytes", labels: [("output", "out_s3")]).set(Int64(4096))
        registry.makeCounter(name: "sluice_upload_failures_total", labels: [("output", "out_s3")]).increment(by: Int64(3))
        let server = try await StatusServer.start(host: "127.0.0.1", port: 0, registry: registry, startedAt: WallClock.nanoseconds())
        defer { Task { await server.stop() } }
        let (status, type, body) = try await Self.get("http://127.0.0.1:\(server.port)/api/plugins.json")
        #expect(status == 200)
        #expect(type == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let plugins = try #require(object["plugins"] as? [[String: Any]])
        #expect(plugins.count == 2)
        let input = try #require(plugins.first { $0["plugin_category"] as? String == "input" })
        #expect(input["plugin_id"] as? String == "tcp/0.0.0.0:5140")
        #expect(input["type"] as? String == "syslog")
        #expect(input["output_plugin"] as? Bool == false)
        let output = try #require(plugins.first { $0["plugin_category"] as? String == "output" })
        #expect(output["plugin_id"] as? String == "out_s3")
        #expect(output["buffer_queue_length"] as? Int == 2)
        #expect(output["buffer_total_queued_size"] as? Int == 4096)
        #expect(output["retry_count"] as? Int == 3)
        #expect(output["emit_records"] as? Int == 9)
    }

    @Test("histograms keep their sum and count; label values with quotes and backslashes are read back")
    func documentFromText() {
        let text = """
            # TYPE sluice_upload_duration_seconds histogram
            sluice_upload_duration_seconds_bucket{output="match0",le="0.5"} 3
            sluice_upload_duration_seconds_sum{output="match0"} 1.25
            sluice_upload_duration_seconds_count{output="match0"} 4
            sluice_received_messages_total{input="a \\"b\\" \\\\ c"} 7
            """
        let document = StatusDocument(prometheusText: text, uptimeSeconds: 1)
        #expect(document.outputs["match0"] == ["upload_duration_seconds_sum": 1.25, "upload_duration_seconds_count": 4])
        #expect(document.inputs[#"a "b" \ c"#] == ["received_messages": 7])
        let json = String(decoding: document.json(), as: UTF8.self)
        #expect(json.contains(#""a \"b\" \\ c":{"received_messages":7}"#), "\(json)")
    }
}
