import Foundation
import Testing
import TestSupport

/// Syslog over TLS with real parts: `logger` → a private rsyslogd forwarding RFC 5424, octet-counted,
/// over TLS with its own client certificate (rsyslog-gnutls) → the sluice binary with
/// `client_cert_auth` and `client_subject_key` → the local-directory bucket.
@Suite(.serialized)
struct TLSForwardingTests {
    @Test func rsyslogForwardsOverTLSAndRecordsCarryItsCertificateSubject() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let directory = try PackagePaths.temporaryDirectory("tls-forwarding")
        let port = try LoopbackPorts.free(1)[0]
        let config = directory + "/sluice.conf"
        try """
            <source>
              @type syslog
              port \(port)
              bind 127.0.0.1
              tag app
              client_subject_key tls_peer
              <transport tls>
                cert_path \(certificates.server.certificatePath)
                private_key_path \(certificates.encryptedServerKeyPath)
                private_key_passphrase \(certificates.serverKeyPassphrase)
                ca_path \(certificates.caPath)
                client_cert_auth true
                min_version TLS1_2
              </transport>
            </source>
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
              </buffer>
            </match>

            """.write(toFile: config, atomically: true, encoding: .utf8)

        let sluice = try await SluiceRun(config: config, directory: directory, listeners: 1)
        #expect(sluice.child.output.contains("listening syslog socket on 127.0.0.1:\(port) with tls"))
        let rsyslog = try await PrivateRsyslog(
            global: """
                global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="\(certificates.caPath)"
                       DefaultNetstreamDriverCertFile="\(certificates.client.certificatePath)"
                       DefaultNetstreamDriverKeyFile="\(certificates.client.keyPath)")
                """,
            forwarding: """
                action(type="omfwd" target="127.0.0.1" port="\(port)" protocol="tcp"
                       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
                       StreamDriverPermittedPeers="localhost"
                       template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted")
                """
        )

        let sent: [(tag: String, pid: Int?, priority: String, message: String)] = [
            ("sshd", 4242, "auth.warning", #"Invalid user "admin" from 203.0.113.9 port 52144"#),
            ("CRON", 32611, "authpriv.info", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"),
            ("kernel", nil, "kern.err", "unicode é ✓, backslash \\ end"),
        ]
        for entry in sent {
            try rsyslog.log(entry.message, tag: entry.tag, pid: entry.pid, priority: entry.priority)
        }

        var stored: [[String: Any]] = []
        let arrived = try await eventually(timeout: .seconds(60), interval: .seconds(1)) {
            sluice.flush()
            try await Task.sleep(for: .milliseconds(300))
            stored = []
            for path in objects(in: directory + "/bucket") {
                let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
                stored += try ReferenceDecompressor.jsonLines(ReferenceDecompressor.decompress(bytes, tool: "gzip"))
            }
            return stored.count >= sent.count
        }
        await rsyslog.stop()
        let status = await sluice.stop()
        #expect(arrived, "records in the bucket: \(stored.count) of \(sent.count)\n\(sluice.child.output)")
        #expect(status == 0, "sluice exit status \(String(describing: status))\n\(sluice.child.output)")
        #expect(stored.count == sent.count, "\(stored)")

        let hostname = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        for entry in sent {
            // rsyslog's %msg% keeps the space that followed the tag in the local message, and its
            // RFC 5424 template adds the one before MSG: "- -  text". Fluentd's parser, like Sluice's,
            // takes MSG after exactly one space, so the record starts with the second.
            let matching = stored.filter { ($0["message"] as? String) == " " + entry.message }
            #expect(matching.count == 1, "record for \(entry.tag): \(stored)")
            guard let record = matching.first else { continue }
            #expect(record["host"] as? String == hostname)
            #expect(record["ident"] as? String == entry.tag)
            #expect(record["pid"] as? String == entry.pid.map(String.init) ?? "-", "RFC 5424 writes a missing PROCID as -")
            #expect(record["msgid"] as? String == "-")
            #expect(record["extradata"] as? String == "-")
            #expect(record["tls_peer"] as? String == certificates.client.subject)
            #expect(Set(record.keys) == ["host", "ident", "pid", "msgid", "extradata", "message", "tls_peer"])
        }
    }

    @Test func aCertificateFileThatCannotBeReadStopsSluiceNamingItAndTheSource() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let directory = try PackagePaths.temporaryDirectory("tls-bad-file")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try LoopbackPorts.free(1)[0]
        let missing = directory + "/missing.pem"
        try """
            <match **>
              @type null
            </match>
            <source>
              @type syslog
              port \(port)
              bind 127.0.0.1
              tag app
              <transport tls>
                cert_path \(missing)
                private_key_path \(certificates.server.keyPath)
              </transport>
            </source>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            try PackagePaths.sluiceBinary(), ["run", "-c", directory + "/sluice.conf", "--metrics-address", "off"],
            directory: directory, logPath: directory + "/sluice.log"
        )
        let status = await child.waitForExit(timeout: .seconds(60))
        if status == nil { child.signal(SIGKILL) }
        #expect(status == 1, "\(child.output)")
        #expect(child.output.contains("sluice.conf:4: <transport tls>: unreadable certificate: cannot read the certificate chain file \(missing): No such file or directory"), "\(child.output)")
        #expect(!child.output.contains("listening syslog socket"))
    }

    private func objects(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".gz") }.map { directory + "/" + $0 }.sorted()
    }
}
