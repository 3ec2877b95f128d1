import Foundation
import Testing
import TestSupport

/// The tutorial, end to end with real parts: `logger` → a private rsyslogd forwarding with the tutorial's
/// `*.* @127.0.0.1:5140` line → Sluice running td-agent.conf unchanged (assume role through STS, then
/// S3) → a real S3 API server on loopback (moto: it speaks STS AssumeRole as well as S3).
@Suite(.serialized)
struct TutorialPipelineTests {
    static let bucket = "123456789012-security-data-us-east-1"

    @Test func rsyslogForwardsThroughTheUnchangedTutorialConfigIntoTheBucket() async throws {
        let server = try await S3TestServer.shared(.moto)
        try server.createBucket(Self.bucket)
        let directory = try PackagePaths.temporaryDirectory("tutorial")
        let before = try server.listObjects(bucket: Self.bucket, prefix: "syslog/")

        let sluice = try await SluiceRun(
            config: PackagePaths.fixture("config/td-agent.conf"),
            directory: directory,
            environment: [
                "AWS_ENDPOINT_URL": server.endpoint.absoluteString,
                "AWS_ACCESS_KEY_ID": server.accessKeyID,
                "AWS_SECRET_ACCESS_KEY": server.secretAccessKey,
                "SLUICE_BUFFER_PATH": directory + "/buffer",
            ],
            listeners: 1
        )
        let rsyslog = try await PrivateRsyslog(forwarding: "*.* @127.0.0.1:5140")

        let sent: [(tag: String, pid: Int?, priority: String, message: String, facility: String, severity: String)] = [
            ("CRON", 32611, "authpriv.info", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)", "authpriv", "info"),
            ("systemd-timesyncd", 538, "daemon.info", "Network configuration changed, trying to establish connection.", "daemon", "info"),
            ("sshd", 4242, "auth.warning", #"Invalid user "admin" from 203.0.113.9 port 52144"#, "auth", "warn"),
            ("kernel", nil, "kern.err", "tab\there, unicode é ✓, backslash \\ end", "kern", "err"),
            ("app", 7, "local3.notice", "first line\nsecond line", "local3", "notice"),
        ]
        for entry in sent {
            try rsyslog.log(entry.message, tag: entry.tag, pid: entry.pid, priority: entry.priority)
        }

        // Records reach the bucket when their chunk is flushed: SIGUSR1, as with td-agent.
        var stored: [[String: Any]] = []
        var keys: [String] = []
        let arrived = try await eventually(timeout: .seconds(40), interval: .seconds(1)) {
            sluice.flush()
            try await Task.sleep(for: .milliseconds(500))
            (keys, stored) = try storedRecords(server: server, bucket: Self.bucket, prefix: "syslog/", tool: "gzip")
            keys = keys.filter { !before.contains($0) }
            return stored.count >= sent.count
        }
        await rsyslog.stop()
        let status = await sluice.stop()
        #expect(arrived, "records in bucket: \(stored.count) of \(sent.count)\n\(sluice.child.output)")
        #expect(status == 0, "sluice exit status \(String(describing: status))\n\(sluice.child.output)")

        // Keys: Fluentd's default %{path}%{time_slice}_%{index}.%{file_extension}, hourly, UTC.
        for key in keys {
            #expect(key.range(of: #"^syslog/\d{10}_\d+\.gz$"#, options: .regularExpression) != nil, "key \(key)")
        }
        #expect(keys.contains { $0.hasPrefix("syslog/\(currentHourSlice())_") || $0.hasPrefix("syslog/\(currentHourSlice(Date().addingTimeInterval(-60)))_") })

        let hostname = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        for entry in sent {
            // rsyslog escapes control characters as #ooo; Fluentd stores them as they come.
            let expectedMessage = entry.message.replacingOccurrences(of: "\n", with: "#012").replacingOccurrences(of: "\t", with: "#011")
            let matching = stored.filter { $0["message"] as? String == expectedMessage }
            #expect(matching.count == 1, "record for \(entry.tag): \(stored)")
            guard let record = matching.first else { continue }
            #expect(record["ident"] as? String == entry.tag)
            #expect(record["pid"] as? String == entry.pid.map(String.init), "pid is a string, absent when not sent")
            #expect(record["host"] as? String == hostname)
            #expect(Set(record.keys) == Set(entry.pid == nil ? ["host", "ident", "message"] : ["host", "ident", "pid", "message"]))
        }
    }
}
