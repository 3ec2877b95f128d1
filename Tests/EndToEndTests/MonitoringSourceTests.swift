#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// td-agent files carry `@type prometheus` and `@type monitor_agent` sources for their dashboards and
/// health checks: the binary serves its status endpoint on the ports they name, with outputs named
/// by their `@id`.
@Suite(.serialized)
struct MonitoringSourceTests {
    @Test func prometheusAndMonitorAgentSourcesAreServedOnTheirPorts() async throws {
        let directory = try PackagePaths.temporaryDirectory("monitoring")
        let ports = try LoopbackPorts.free(3)
        try """
            <source>
              @type syslog
              port \(ports[0])
              bind 127.0.0.1
              tag system
            </source>
            <source>
              @type prometheus
              bind 127.0.0.1
              port \(ports[1])
              metrics_path /metrics
            </source>
            <source>
              @type prometheus_output_monitor
              interval 10
            </source>
            <source>
              @type monitor_agent
              bind 127.0.0.1
              port \(ports[2])
            </source>
            <match system.**>
              @type s3
              @id out_s3_archive
              local_directory \(directory)/bucket
              s3_bucket logs
              <format>
                @type json
              </format>
            </match>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(config: directory + "/sluice.conf", directory: directory, listeners: 1)
        defer { sluice.child.signal(SIGKILL) }
        try SyslogSender.sendUDP(port: ports[0], [Array("<13>Dec  8 00:00:00 host app: one".utf8)])
        let metrics = await eventually(timeout: .seconds(10)) {
            ((try? await MetricsTests.get("http://127.0.0.1:\(ports[1])/metrics")) ?? "").contains(#"output="out_s3_archive""#)
        }
        #expect(metrics, "\(sluice.child.output.suffix(2000))")
        let plugins = try await MetricsTests.get("http://127.0.0.1:\(ports[2])/api/plugins.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plugins.utf8)) as? [String: Any])
        let ids = ((object["plugins"] as? [[String: Any]]) ?? []).compactMap { $0["plugin_id"] as? String }
        #expect(ids.contains("out_s3_archive"), "\(plugins)")
        #expect(ids.contains("udp/127.0.0.1:\(ports[0])"), "\(plugins)")
        #expect(await sluice.stop() == 0)
    }
}
