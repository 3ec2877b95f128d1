#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// A real rsyslogd forwarding with `omrelp` to the real `sluice`.
@Suite(.serialized)
struct RELPTests {
    static let messages = 40_000
    static let kills = 3

    /// `logger` → rsyslog → omrelp → Sluice: each record field by field, tagged by facility and severity.
    @Test func rsyslogOverRELPStoresEachMessageFieldByField() async throws {
        let directory = try PackagePaths.temporaryDirectory("relp-fields")
        let port = try LoopbackPorts.free(1)[0]
        let config = try Self.writeConfig(
            in: directory, port: port, match: "relp.auth.warn relp.daemon.err relp.local3.notice",
            after: "<match **>\n  @type null\n</match>"
        )
        let sluice = try await SluiceRun(config: config, directory: directory, listeners: 1)
        let rsyslog = try await PrivateRsyslog(forwarding: """
            module(load="omrelp")
            *.* action(type="omrelp" target="127.0.0.1" port="\(port)")
            """)
        let sent: [(tag: String, pid: Int?, priority: String, message: String)] = [
            ("sshd", 4242, "auth.warning", #"Invalid user "admin" from 203.0.113.9 port 52144"#),
            ("kernel", nil, "daemon.err", "tab\there, unicode é ✓, backslash \\ end"),
            ("app", 7, "local3.notice", "first line\nsecond line " + String(repeating: "x", count: 900)),
        ]
        for entry in sent {
            try rsyslog.log(entry.message, tag: entry.tag, pid: entry.pid, priority: entry.priority)
        }
        var stored: [[String: Any]] = []
        let arrived = try await eventually(timeout: .seconds(40), interval: .seconds(1)) {
            sluice.flush()
            try await Task.sleep(for: .milliseconds(500))
            stored = try Self.storedRecords(under: directory + "/data")
            return stored.count >= sent.count
        }
        await rsyslog.stop()
        let status = await sluice.stop()
        #expect(arrived, "stored \(stored.count) of \(sent.count)\n\(sluice.child.output.suffix(3000))")
        #expect(status == 0)
        #expect(stored.count == sent.count, "\(stored)")
        let hostname = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        for entry in sent {
            // rsyslog escapes control characters as #ooo before forwarding.
            let expected = entry.message.replacingOccurrences(of: "\n", with: "#012").replacingOccurrences(of: "\t", with: "#011")
            let record = try #require(stored.first { $0["message"] as? String == expected }, "no record for \(entry.tag): \(stored)")
            #expect(record["ident"] as? String == entry.tag)
            #expect(record["pid"] as? String == entry.pid.map(String.init))
            #expect(record["host"] as? String == hostname)
            #expect(Set(record.keys) == Set(entry.pid == nil ? ["host", "ident", "message"] : ["host", "ident", "pid", "message"]))
        }
    }

    /// RELP over TLS: rsyslog's omrelp with its own client certificate (librelp's GnuTLS) → `@type relp`
    /// with `<transport tls>`, `client_cert_auth` and `client_subject_key`.
    @Test func rsyslogOverRELPWithTLSAndAClientCertificate() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let directory = try PackagePaths.temporaryDirectory("relp-tls")
        let port = try LoopbackPorts.free(1)[0]
        let config = try Self.writeConfig(in: directory, port: port, source: """
            client_subject_key tls_peer
            <transport tls>
              cert_path \(certificates.server.certificatePath)
              private_key_path \(certificates.server.keyPath)
              ca_path \(certificates.caPath)
              client_cert_auth true
            </transport>
            """)
        let sluice = try await SluiceRun(config: config, directory: directory, listeners: 1)
        #expect(sluice.child.output.contains("with relp over tls"))
        let rsyslog = try await PrivateRsyslog(forwarding: """
            module(load="omrelp")
            :msg, contains, "over-tls" action(type="omrelp" target="127.0.0.1" port="\(port)" tls="on"
                   tls.caCert="\(certificates.caPath)" tls.myCert="\(certificates.client.certificatePath)"
                   tls.myPrivKey="\(certificates.client.keyPath)" tls.authMode="name" tls.permittedPeer=["localhost"])
            """)
        for n in 0..<3 {
            try rsyslog.log("relp over-tls message \(n)", tag: "app", pid: 100 + n, priority: "user.notice")
        }
        var stored: [[String: Any]] = []
        let arrived = try await eventually(timeout: .seconds(40), interval: .seconds(1)) {
            sluice.flush()
            try await Task.sleep(for: .milliseconds(500))
            stored = try Self.storedRecords(under: directory + "/data")
            return stored.count >= 3
        }
        await rsyslog.stop()
        let status = await sluice.stop()
        #expect(arrived, "stored \(stored.count) of 3\n\(sluice.child.output.suffix(3000))")
        #expect(status == 0)
        #expect(stored.compactMap { $0["message"] as? String }.sorted() == (0..<3).map { "relp over-tls message \($0)" })
        #expect(stored.allSatisfy { $0["tls_peer"] as? String == certificates.client.subject && $0["ident"] as? String == "app" }, "\(stored)")
    }

    /// The other side: `sluice loadgen --transport relp` against rsyslog's own RELP server (imrelp).
    @Test func loadgenSpeaksRELPToRsyslogsImrelp() async throws {
        let port = try LoopbackPorts.free(1)[0]
        let directory = try PackagePaths.temporaryDirectory("relp-imrelp")
        let rsyslog = try await PrivateRsyslog(forwarding: """
            module(load="imrelp")
            input(type="imrelp" port="\(port)" address="127.0.0.1")
            :msg, contains, "seq=" action(type="omfile" file="\(directory)/out.log")
            """)
        let loadgen = try ChildProcess(
            try PackagePaths.sluiceBinary(),
            ["loadgen", "--transport", "relp", "--port", "\(port)", "--count", "20000", "--connections", "2", "--json", "--quiet"],
            logPath: directory + "/loadgen.log"
        )
        let status = await loadgen.waitForExit(timeout: .seconds(120))
        let written = await eventually(timeout: .seconds(30)) {
            ((try? String(contentsOfFile: directory + "/out.log", encoding: .utf8)) ?? "").split(separator: "\n").count >= 20_000
        }
        await rsyslog.stop()
        #expect(status == 0, "\(loadgen.output)")
        #expect(loadgen.output.contains(#""acknowledged":20000"#) && loadgen.output.contains(#""failures":[]"#), "\(loadgen.output)")
        #expect(written)
    }

    /// Writes `directory/sluice.conf`: a RELP source on `port` (plus `source` lines), records matching
    /// `match` into a gzip local-directory bucket under `directory/data` (plus `buffer` lines), then
    /// `after`. Chunks are due only an hour after their slice, so objects appear on SIGUSR1 or at stop.
    static func writeConfig(
        in directory: String, port: Int, source: String = "", match: String = "relp.**", chunkKeys: String = "tag,time",
        buffer: String = "", after: String = ""
    ) throws -> String {
        let path = directory + "/sluice.conf"
        try """
            <source>
              @type relp
              port \(port)
              bind 127.0.0.1
              tag relp
            \(source)
            </source>
            <match \(match)>
              @type s3
              local_directory \(directory)/data
              s3_bucket bucket
              path logs/
              <format>
                @type json
              </format>
              store_as gzip
              <buffer \(chunkKeys)>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
                \(buffer)
              </buffer>
            </match>
            \(after)

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every record of every gzip object under `root`.
    static func storedRecords(under root: String) throws -> [[String: Any]] {
        var records: [[String: Any]] = []
        for path in FileManager.default.subpaths(atPath: root) ?? [] where path.hasSuffix(".gz") {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))
            records += try ReferenceDecompressor.jsonLines(ReferenceDecompressor.decompress(bytes, tool: "gzip"))
        }
        return records
    }

    /// `sluice loadgen` feeds rsyslog's imtcp with numbered messages; rsyslog forwards them over RELP and
    /// keeps whatever Sluice has not answered. Sluice is killed twice while they stream and restarted on
    /// the same port; rsyslog reconnects and resends its unanswered messages, some of which the killed
    /// Sluice had stored. Every message must be stored exactly once.
    @Test func sigkillWhileRsyslogStreamsOverRELPStoresEveryMessageOnce() async throws {
        let directory = try PackagePaths.temporaryDirectory("relp-crash")
        let ports = try LoopbackPorts.free(2)
        let (relpPort, rsyslogPort) = (ports[0], ports[1])
        let config = try Self.writeConfig(in: directory, port: relpPort, chunkKeys: "time", buffer: "flush_at_shutdown true")

        func start(_ run: Int) async throws -> SluiceRun {
            let runDirectory = directory + "/run-\(run)"
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            return try await SluiceRun(config: config, directory: runDirectory, listeners: 1)
        }
        var sluice = try await start(0)
        var runs = [sluice]

        // Retry at once and for ever while Sluice is down; the action's own queue holds what waits.
        let rsyslog = try await PrivateRsyslog(forwarding: """
            module(load="imtcp")
            module(load="omrelp")
            input(type="imtcp" port="\(rsyslogPort)" address="127.0.0.1")
            :msg, contains, "seq=" action(type="omrelp" target="127.0.0.1" port="\(relpPort)" \
            action.resumeRetryCount="-1" action.resumeInterval="1" queue.type="LinkedList" queue.size="200000")
            """)
        defer { Task { await rsyslog.stop() } }

        // 5,000 a second for 8 s: the kills land while messages stream.
        let loadgen = try ChildProcess(
            try PackagePaths.sluiceBinary(),
            ["loadgen", "--port", "\(rsyslogPort)", "--count", "\(Self.messages)", "--rate", "5000", "--json", "--quiet"],
            logPath: directory + "/loadgen.log"
        )
        for run in 0..<Self.kills {
            try await Task.sleep(for: .milliseconds(run == 0 ? 2000 : 1500))
            sluice.child.signal(SIGKILL)
            let killed = await sluice.child.waitForExit(timeout: .seconds(10))
            try #require(killed == 128 + SIGKILL, "run \(run) did not die of SIGKILL")
            try await Task.sleep(for: .seconds(1))
            sluice = try await start(run + 1)
            runs.append(sluice)
        }
        let loadgenStatus = await loadgen.waitForExit(timeout: .seconds(120))
        #expect(loadgenStatus == 0, "loadgen: \(loadgen.output)")

        // rsyslog drains its queue into the last run: wait until every number is stored or nothing moves.
        let numberPattern = try NSRegularExpression(pattern: #"seq=0:(\d+)"#)
        func storedNumbers() throws -> [Int] {
            var numbers: [Int] = []
            for record in try Self.storedRecords(under: directory + "/data") {
                let message = record["message"] as? String ?? ""
                if let match = numberPattern.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)),
                    let range = Range(match.range(at: 1), in: message), let number = Int(message[range])
                {
                    numbers.append(number)
                }
            }
            return numbers
        }
        func receivedByLastRun() -> Int {
            sluice.child.output.components(separatedBy: "\n").count
        }
        // The log of the last run grows while it receives (debug lines per batch); quiet for 5 s means
        // rsyslog has nothing left.
        var quietSince = ContinuousClock.now
        var lastSize = receivedByLastRun()
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, quietSince.duration(to: .now) < .seconds(5) {
            try await Task.sleep(for: .milliseconds(500))
            let size = receivedByLastRun()
            if size != lastSize {
                lastSize = size
                quietSince = .now
            }
        }
        let status = await sluice.stop()
        await rsyslog.stop()
        #expect(status == 0, "last run: \(sluice.child.output.suffix(2000))")

        let numbers = try storedNumbers()
        let counts = Dictionary(numbers.map { ($0, 1) }, uniquingKeysWith: +)
        let missing = (0..<Self.messages).filter { counts[$0] == nil }
        let duplicated = counts.filter { $0.value > 1 }.keys.sorted()
        let recognised = runs.dropFirst().map { $0.child.output.components(separatedBy: "acknowledging a resent message already stored").count - 1 }
        print("""
            RELPTests: \(Self.messages) messages through rsyslog omrelp, \(Self.kills) SIGKILLs: \
            stored \(numbers.count), distinct \(counts.count), missing \(missing.count), duplicated \(duplicated.count); \
            resent messages recognised as stored, per restarted run: \(recognised)
            """)
        #expect(missing.isEmpty, "\(missing.count) messages never stored, e.g. \(missing.prefix(10))")
        #expect(duplicated.isEmpty, "\(duplicated.count) messages stored more than once, e.g. \(duplicated.prefix(10))")
        #expect(numbers.count == Self.messages)
    }
}
