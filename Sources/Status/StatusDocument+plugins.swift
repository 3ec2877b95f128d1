import Foundation

/// `/api/plugins.json`: the same samples in the shape of Fluentd's monitor_agent, so health checks
/// and dashboards written for td-agent (`@type monitor_agent`) keep working: one entry per input and
/// output, with the buffer and retry figures monitor_agent reports.
extension StatusDocument {
    public func monitorAgentJSON() -> [UInt8] {
        var plugins: [[String: Any]] = []
        for (name, values) in inputs.sorted(by: { $0.key < $1.key }) {
            plugins.append([
                "plugin_id": name,
                "plugin_category": "input",
                "type": name.hasPrefix("relp/") ? "relp" : "syslog",
                "output_plugin": false,
                "config": [String: String](),
                "emit_records": Int(values["received_messages"] ?? 0),
            ])
        }
        for (name, values) in outputs.sorted(by: { $0.key < $1.key }) {
            plugins.append([
                "plugin_id": name,
                "plugin_category": "output",
                "type": "s3",
                "output_plugin": true,
                "config": [String: String](),
                "buffer_queue_length": Int(values["buffer_sealed_chunks"] ?? 0),
                "buffer_stage_length": Int(values["buffer_open_chunks"] ?? 0),
                "buffer_total_queued_size": Int(values["buffer_bytes"] ?? 0),
                "retry_count": Int(values["upload_failures"] ?? 0),
                "emit_records": Int(values["buffered_records"] ?? 0),
                "write_count": Int(values["uploaded_objects"] ?? 0),
            ])
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["plugins": plugins], options: [.sortedKeys])) ?? Data("{\"plugins\":[]}".utf8)
        return Array(data)
    }
}
