#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// A td-agent graph of filters, copy, relabel and a label, run by the real binary with a real rsyslogd
/// forwarding to it: what lands in each store is what the graph says, in each store's format.
@Suite(.serialized)
struct RoutingGraphTests {
    static func configuration(directory: String, port: Int) -> String {
        func buffer(_ name: String, keys: String = "tag,time") -> String {
            "<buffer \(keys)>\n    @type file\n    path \(directory)/buffer-\(name)\n    timekey 3600\n    timekey_wait 3600\n    flush_at_shutdown true\n  </buffer>"
        }
        return """
            <source>
              @type syslog
              port \(port)
              bind 127.0.0.1
              tag rs
              <transport tcp>
              </transport>
            </source>
            <filter rs.**>
              @type grep
              <exclude>
                key ident
                pattern /^CRON$/
              </exclude>
            </filter>
            <filter rs.auth.**>
              @type record_transformer
              <record>
                collector ${hostname}
                facility ${tag_parts[1]}
              </record>
            </filter>
            <match rs.auth.**>
              @type copy
              <store>
                @type s3
                local_directory \(directory)/bucket
                s3_bucket logs
                path auth/
                <format>
                  @type json
                </format>
                \(buffer("auth"))
              </store>
              <store>
                @type file
                path \(directory)/files/auth
                compress gzip
                \(buffer("file", keys: "time"))
              </store>
              <store>
                @type relabel
                @label @ALERTS
              </store>
            </match>
            <match rs.**>
              type s3
              local_directory \(directory)/bucket
              s3_bucket logs
              path other/
              format json
              buffer_type file
              buffer_path \(directory)/buffer-other
              time_slice_format %Y%m%d%H
              flush_at_shutdown true
            </match>
            <label @ALERTS>
              <filter **>
                @type grep
                <regexp>
                  key message
                  pattern /failed password/i
                </regexp>
              </filter>
              <match **>
                @type s3
                local_directory \(directory)/bucket
                s3_bucket logs
                path alerts/
                store_as text
                <format>
                  @type ltsv
                </format>
                <inject>
                  tag_key tag
                </inject>
                \(buffer("alerts"))
              </match>
            </label>

            """
    }

    @Test func whatLandsInEachStoreFollowsTheGraph() async throws {
        let directory = try PackagePaths.temporaryDirectory("routing-graph")
        let port = try LoopbackPorts.free(1)[0]
        try Self.configuration(directory: directory, port: port).write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(config: directory + "/sluice.conf", directory: directory, listeners: 1)
        defer { sluice.child.signal(SIGKILL) }
        let rsyslog = try await PrivateRsyslog(forwarding: "*.* @@127.0.0.1:\(port)")
        try rsyslog.log("Failed password for bob from 203.0.113.9", tag: "sshd", pid: 41, priority: "auth.warning")
        try rsyslog.log("Accepted publickey for alice", tag: "sshd", pid: 42, priority: "auth.info")
        try rsyslog.log("(root) CMD (run-parts /etc/cron.hourly)", tag: "CRON", pid: 43, priority: "authpriv.info")
        try rsyslog.log("cache warmed", tag: "app", pid: 44, priority: "local3.notice")
        let received = try await RsyslogFieldTests.waitForReceived(sluice, count: 4)
        await rsyslog.stop()
        #expect(received, "\(sluice.child.output.suffix(3000))")
        #expect(await sluice.stop() == 0, "\(sluice.child.output.suffix(3000))")

        let bucket = directory + "/bucket/logs/"
        let auth = try Self.lines(under: bucket + "auth/", gzip: true)
        #expect(auth.count == 2, "\(auth)")
        let collector = SluiceHostname.current
        for line in auth {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(record["ident"] == "sshd")
            #expect(record["collector"] == collector)
            #expect(record["facility"] == "auth")
        }

        // out_file: `time<TAB>tag<TAB>json` lines in a gzip file named as Fluentd names it.
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/files")) ?? []
        #expect(files.count == 1 && files[0].hasPrefix("auth.") && files[0].hasSuffix("_0.log.gz"), "\(files)")
        let fileLines = try Self.lines(under: directory + "/files/", gzip: true)
        #expect(fileLines.count == 2, "\(fileLines)")
        for line in fileLines {
            let columns = line.split(separator: "\t", maxSplits: 2).map(String.init)
            #expect(columns.count == 3)
            // Ruby's Time#iso8601 in the machine's zone, as Fluentd's out_file writes it: 2026-12-08T00:00:00+00:00.
            #expect(columns.first?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d/) != nil, "\(line)")
            #expect(columns.dropFirst().first?.hasPrefix("rs.auth.") == true, "\(line)")
            #expect(columns.last?.contains(#""collector":"#) == true)
        }

        // The v0.12 <match>: what the copy did not take, less what grep dropped (CRON).
        let other = try Self.lines(under: bucket + "other/", gzip: true)
        #expect(other.count == 1, "\(other)")
        #expect(other.first?.contains(#""ident":"app""#) == true)

        // The label's own filter keeps the failed login only; ltsv with the tag injected.
        let alerts = try Self.lines(under: bucket + "alerts/", gzip: false)
        #expect(alerts.count == 1, "\(alerts)")
        let alert = try #require(alerts.first)
        #expect(alert.contains("message:Failed password for bob from 203.0.113.9"))
        #expect(alert.hasSuffix("\ttag:rs.auth.warn"), "\(alert)")
        #expect(alert.contains("\tcollector:\(collector)\t"))
    }

    /// The lines of every file under `root`, gunzipped by the reference tool when `gzip`.
    static func lines(under root: String, gzip: Bool) throws -> [String] {
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        var lines: [String] = []
        for file in files.sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: root + file)))
            if gzip { bytes = try ReferenceDecompressor.decompress(bytes, tool: "gzip") }
            lines += String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        return lines
    }
}

enum SluiceHostname {
    /// What Sluice's `${hostname}` is: gethostname(2).
    static var current: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
