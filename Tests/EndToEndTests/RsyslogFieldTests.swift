#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// A real rsyslogd forwarding to the real binary in each of the ways rsyslog is commonly set up, and
/// util-linux `logger` sending RFC 5424 with structured data straight to Sluice: every field of every
/// stored record is checked, and the facility and severity in the tag the object path carries.
@Suite(.serialized)
struct RsyslogFieldTests {
    enum Forwarding: String, CaseIterable, CustomTestStringConvertible {
        /// `@@host:port`: RFC 3164-style lines, LF-framed.
        case tcpTraditional
        /// omfwd with octet counting and RFC 5424 (RSYSLOG_SyslogProtocol23Format).
        case tcpOctetCountedRFC5424
        /// omfwd over UDP with RSYSLOG_ForwardFormat (high-precision timestamp, 3164 layout).
        case udpForwardFormat

        var testDescription: String { rawValue }

        func line(tcp: Int, udp: Int) -> String {
            switch self {
            case .tcpTraditional:
                "*.* @@127.0.0.1:\(tcp)"
            case .tcpOctetCountedRFC5424:
                #"*.* action(type="omfwd" target="127.0.0.1" port="\#(tcp)" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")"#
            case .udpForwardFormat:
                #"*.* action(type="omfwd" target="127.0.0.1" port="\#(udp)" protocol="udp" template="RSYSLOG_ForwardFormat")"#
            }
        }
    }

    struct Sent {
        var ident: String
        var pid: Int?
        var priority: String
        /// The tag's last two parts, as Fluentd's in_syslog names them.
        var facilitySeverity: String
        var message: String
    }

    static let long = "long " + String(repeating: "0123456789abcdef", count: 493)  // 7,893 bytes

    static let sent = [
        Sent(ident: "sshd", pid: 4242, priority: "auth.warning", facilitySeverity: "auth.warn", message: #"Invalid user "admin" from 203.0.113.9"#),
        Sent(ident: "CRON", pid: 32611, priority: "authpriv.info", facilitySeverity: "authpriv.info", message: "(root) CMD (run-parts /etc/cron.hourly)"),
        Sent(ident: "app", pid: 7, priority: "local3.notice", facilitySeverity: "local3.notice", message: "quote \" backslash \\ tab\there UTF-8 é ✓ 日本語"),
        Sent(ident: "daemon-x", pid: nil, priority: "daemon.err", facilitySeverity: "daemon.err", message: "no pid here"),
        Sent(ident: "mailer", pid: 99, priority: "mail.debug", facilitySeverity: "mail.debug", message: long),
    ]

    /// rsyslog's own hostname as it writes it: the short name.
    static var shortHostname: String { ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "" }

    @Test(arguments: Forwarding.allCases)
    func rsyslogForwardsEveryFieldIntact(_ forwarding: Forwarding) async throws {
        let directory = try PackagePaths.temporaryDirectory("rsyslog-fields")
        let ports = try LoopbackPorts.free(2)
        let sluice = try await Self.startSluice(directory: directory, tcp: ports[0], udp: ports[1])
        defer { sluice.child.signal(SIGKILL) }
        let rsyslog = try await PrivateRsyslog(forwarding: forwarding.line(tcp: ports[0], udp: ports[1]))
        for (index, entry) in Self.sent.enumerated() {
            try rsyslog.log("\(forwarding.rawValue) \(index) \(entry.message)", tag: entry.ident, pid: entry.pid, priority: entry.priority)
        }
        let received = try await Self.waitForReceived(sluice, count: Self.sent.count)
        await rsyslog.stop()
        #expect(received, "Sluice received fewer than \(Self.sent.count) messages:\n\(sluice.child.output.suffix(3000))")
        #expect(await sluice.stop() == 0, "\(sluice.child.output.suffix(3000))")

        let stored = try Self.storedRecords(directory: directory)
        #expect(stored.count == Self.sent.count, "\(stored)")
        for (index, entry) in Self.sent.enumerated() {
            // rsyslog escapes control characters on receipt (#011 for a tab); UTF-8 passes unchanged.
            var expected = "\(forwarding.rawValue) \(index) \(entry.message)".replacingOccurrences(of: "\t", with: "#011")
            // rsyslog's %msg% of a message it took in RFC 3164 form keeps the space after the tag's
            // colon, and RSYSLOG_SyslogProtocol23Format puts it after the SP that ends the header: the
            // RFC 5424 MSG starts with a space. Fluentd's parser keeps it, and so does Sluice.
            if forwarding == .tcpOctetCountedRFC5424 { expected = " " + expected }
            let matching = stored.filter { ($0.record["message"] as? String) == expected }
            #expect(matching.count == 1, "\(entry.ident): \(stored.map { ($0.tag, (($0.record["message"] as? String) ?? "?").prefix(80)) })")
            guard let (tag, record) = matching.first else { continue }
            #expect(tag == "rs.\(entry.facilitySeverity)")
            #expect(record["host"] as? String == Self.shortHostname)
            #expect(record["ident"] as? String == entry.ident)
            if forwarding == .tcpOctetCountedRFC5424 {
                // RFC 5424 has every header field; NILVALUE is kept as "-", as Fluentd keeps it.
                #expect(record["pid"] as? String == entry.pid.map(String.init) ?? "-")
                #expect(record["msgid"] as? String == "-")
                #expect(record["extradata"] as? String == "-")
                #expect(Set(record.keys) == ["host", "ident", "pid", "msgid", "extradata", "message"], "\(record.keys)")
            } else {
                #expect(record["pid"] as? String == entry.pid.map(String.init), "pid is a string, absent when not sent")
                var keys: Set<String> = ["host", "ident", "message"]
                if entry.pid != nil { keys.insert("pid") }
                #expect(Set(record.keys) == keys, "\(record.keys)")
            }
        }
    }

    @Test func loggerSendsRFC5424WithStructuredDataStraightToSluice() async throws {
        let directory = try PackagePaths.temporaryDirectory("logger-5424")
        let ports = try LoopbackPorts.free(2)
        let sluice = try await Self.startSluice(directory: directory, tcp: ports[0], udp: ports[1])
        defer { sluice.child.signal(SIGKILL) }
        let logger = try #require(ChildProcess.find("logger"), "apt-get install bsdutils")
        let message = "structured \"quoted\" and \\ and ✓"
        let result = try ChildProcess.run(logger, [
            "--tcp", "--octet-count", "--rfc5424=notq", "-n", "127.0.0.1", "-P", "\(ports[0])",
            "-t", "billing", "--id=4321", "-p", "local4.warning", "--msgid", "ID47",
            "--sd-id", "order@32473", "--sd-param", #"id="A-17""#, "--sd-param", #"note="a \"b\" c""#,
            "--", message,
        ])
        #expect(result.status == 0, "\(result.output)")
        let received = try await Self.waitForReceived(sluice, count: 1)
        #expect(received, "\(sluice.child.output.suffix(3000))")
        #expect(await sluice.stop() == 0, "\(sluice.child.output.suffix(3000))")

        let stored = try Self.storedRecords(directory: directory)
        try #require(stored.count == 1, "\(stored)")
        let (tag, record) = stored[0]
        #expect(tag == "rs.local4.warn")
        // logger writes gethostname() as the RFC 5424 HOSTNAME.
        #expect(record["host"] as? String == ProcessInfo.processInfo.hostName)
        #expect(record["ident"] as? String == "billing")
        #expect(record["pid"] as? String == "4321")
        #expect(record["msgid"] as? String == "ID47")
        #expect(record["extradata"] as? String == #"[order@32473 id="A-17" note="a \"b\" c"]"#)
        #expect(record["message"] as? String == message)
        #expect(Set(record.keys) == ["host", "ident", "pid", "msgid", "extradata", "message"], "\(record)")
    }

    // MARK: - Support

    static func startSluice(directory: String, tcp: Int, udp: Int) async throws -> SluiceRun {
        try """
            <source>
              @type syslog
              port \(tcp)
              bind 127.0.0.1
              tag rs
              <transport tcp>
              </transport>
            </source>
            <source>
              @type syslog
              port \(udp)
              bind 127.0.0.1
              tag rs
            </source>
            <match rs.**>
              @type s3
              local_directory \(directory)/bucket
              s3_bucket logs
              path "logs/${tag}/"
              store_as gzip
              <format>
                @type json
              </format>
              <buffer tag,time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
                flush_at_shutdown true
              </buffer>
            </match>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        return try await SluiceRun(config: directory + "/sluice.conf", directory: directory, listeners: 2)
    }

    /// Waits (at most 30 s) until the sources together counted `count` messages.
    static func waitForReceived(_ sluice: SluiceRun, count: Int) async throws -> Bool {
        let port = try #require(sluice.metricsPort, "\(sluice.child.output.suffix(2000))")
        return await eventually(timeout: .seconds(30)) {
            guard let status = try? await MetricsTests.status(port) else { return false }
            let inputs = (status["inputs"] as? [String: [String: Double]]) ?? [:]
            return inputs.values.reduce(0) { $0 + ($1["received_messages"] ?? 0) } >= Double(count)
        }
    }

    /// Every record in the local bucket, with the tag its object's path names.
    static func storedRecords(directory: String) throws -> [(tag: String, record: [String: Any])] {
        let root = directory + "/bucket/logs/logs/"
        var stored: [(tag: String, record: [String: Any])] = []
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".gz") {
            let tag = String(file.split(separator: "/").first ?? "")
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: root + file)))
            for record in try ReferenceDecompressor.jsonLines(ReferenceDecompressor.decompress(bytes, tool: "gzip")) {
                stored.append((tag, record))
            }
        }
        return stored
    }
}
