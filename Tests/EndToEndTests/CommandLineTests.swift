import Foundation
import Testing
import TestSupport

/// `sluice check` and `sluice parse` as users run them.
struct CommandLineTests {
    @Test func checkAcceptsTheTutorialConfig() throws {
        let result = try ChildProcess.run(try PackagePaths.sluiceBinary(), ["check", "-c", PackagePaths.fixture("config/td-agent.conf")])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("configuration OK"))
    }

    @Test func checkNamesEveryBadLineAndWord() throws {
        let directory = try PackagePaths.temporaryDirectory("check")
        let path = directory + "/broken.conf"
        try """
            <source>
              @type syslog
              port 5140
              tag system
              protocl_type udp
            </source>
            <match system.**>
              @type s4
            </match>

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(try PackagePaths.sluiceBinary(), ["check", "--config", path])
        #expect(result.status == 1)
        #expect(result.output.contains("broken.conf:5"), "\(result.output)")
        #expect(result.output.contains("protocl_type"))
        #expect(result.output.contains("broken.conf:8"), "\(result.output)")
        #expect(result.output.contains("s4"))
    }

    @Test func parsePrintsTagTimeAndRecordPerLine() throws {
        let input = """
            <86>Nov 26 23:12:55 ip-172-31-92-150 CRON[32611]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
            <165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event
            not syslog at all

            """
        let result = try ChildProcess.run(try PackagePaths.sluiceBinary(), ["parse", "--tag", "system"], input: input)
        #expect(result.status == 0)
        let lines = try ReferenceDecompressor.jsonLines(Array(result.output.utf8))
        try #require(lines.count == 3, "\(result.output)")
        #expect(lines[0]["tag"] as? String == "system.authpriv.info")
        let record = try #require(lines[0]["record"] as? [String: Any])
        #expect(record["host"] as? String == "ip-172-31-92-150")
        #expect(record["ident"] as? String == "CRON")
        #expect(record["pid"] as? String == "32611")
        #expect(record["message"] as? String == "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)")
        #expect((lines[0]["time"] as? String)?.hasSuffix("-11-26T23:12:55Z") == true)
        #expect(lines[1]["tag"] as? String == "system.local4.notice")
        #expect(lines[1]["time"] as? String == "2003-10-11T22:14:15.003Z")
        let structured = try #require(lines[1]["record"] as? [String: Any])
        #expect(structured["msgid"] as? String == "ID47")
        #expect(structured["extradata"] as? String == #"[exampleSDID@32473 iut="3"]"#)
        #expect(lines[2]["error"] is String)
        #expect(lines[2]["input"] as? String == "not syslog at all")
    }
}
