import Foundation
import Testing

@testable import SluiceConfig

/// Real-style fixtures with several outputs, filters and labels: where records of concrete tags go.
@Suite struct RealStyleRoutingTests {
    @Test func copyHandsEachRecordToS3FileAndStdout() throws {
        let configuration = try RealStyle.load("copy-s3-file-stdout.conf")
        #expect(configuration.matches.map(\.name) == ["archive_s3", "local_copy", "stdout"])
        #expect(configuration.outputNames(tag: "net.local7.info") == ["archive_s3", "local_copy", "stdout"])
        #expect(configuration.filterNames(tag: "net.local7.info") == [[], [], []])
        #expect(configuration.routes(tag: "host.local7.info").isEmpty)
        #expect(configuration.sources.first?.transport == .tcp)
        #expect(configuration.sources.first?.port == 514)

        let s3 = try #require(configuration.matches[0].s3)
        #expect(s3.bucket == "netops-archive-0420")
        #expect(s3.region == "ap-southeast-2")
        #expect(s3.buffer.chunkKeys == ["tag", "time"])
        #expect(s3.buffer.timekey == 900)
        #expect(s3.buffer.timekeyWait == .seconds(120))
        #expect(s3.buffer.chunkLimitSize == 32 << 20)
        #expect(s3.buffer.totalLimitSize == 4 << 30)
        #expect(s3.buffer.flushThreadCount == 3)

        let file = try #require(configuration.matches[1].file)
        #expect(file.format.type == .single_value)
        #expect(file.format.messageKey == "message")
        #expect(file.buffer.timekey == 86400)
        #expect(file.buffer.timekeyUseUTC)
        // append: no index; the path holds the day's fields, so no slice is added; gzip adds .gz.
        #expect(file.pathTemplate(timeSliceFormat: "%Y%m%d") == "/var/log/archive/net.%Y%m%d.log.gz")
        guard case .stdout(nil) = configuration.matches[2].output else {
            Issue.record("the third store is \(configuration.matches[2].output)")
            return
        }
    }

    @Test func grepAndRecordTransformerRunBeforeTheirMatch() throws {
        let configuration = try RealStyle.load("filter-grep-transformer.conf")
        #expect(configuration.matches.map(\.name) == ["s3", "null"])
        for tag in ["sec.auth.info", "sec.authpriv.notice"] {
            #expect(configuration.outputNames(tag: tag) == ["s3"])
            #expect(configuration.filterNames(tag: tag) == [["grep", "record_transformer"]])
        }
        #expect(configuration.outputNames(tag: "sec.daemon.err") == ["null"])
        #expect(configuration.filterNames(tag: "sec.daemon.err") == [["record_transformer"]])
        #expect(configuration.routes(tag: "sec").isEmpty == false)

        let route = try #require(configuration.routes(tag: "sec.auth.info").first)
        let grep = try #require(route.filters[0].grep)
        #expect(grep.regexpAll.map(\.key) == ["ident"])
        #expect(grep.excludeAny.map(\.key) == ["message"])
        #expect(grep.excludeAny.first?.caseInsensitive == true)
        #expect(grep.keeps(["ident": "sshd", "message": "Accepted publickey for deploy"]))
        #expect(!grep.keeps(["ident": "sshd", "message": "HealthCheck from lb-2"]))
        #expect(!grep.keeps(["ident": "cron", "message": "session opened"]))
        #expect(!grep.keeps(["message": "no ident at all"]))

        let transformer = try #require(route.filters[1].transformer)
        #expect(transformer.fields.map(\.name) == ["collector", "facility_from_tag", "original_tag", "source_host"])
        #expect(transformer.fields[0].value == RealStyle.hostname)
        #expect(transformer.fields[1].value == "${tag_parts[1]}")
        #expect(transformer.removeKeys == ["pid"])

        let s3 = try #require(configuration.firstS3)
        #expect(s3.buffer.timekey == 300)
        #expect(s3.buffer.timekeyWait == .seconds(60))
        #expect(configuration.sources.first?.severityKey == "severity")
    }

    @Test func numberedAndGroupedGrepConditions() throws {
        let configuration = try RealStyle.load("grep-v012-numbered.conf")
        #expect(configuration.filterNames(tag: "app.local0.err") == [["grep", "grep"]])
        #expect(configuration.filterNames(tag: "app.user.info") == [["grep"]])
        let filters = try #require(configuration.routes(tag: "app.local0.err").first?.filters)
        let numbered = try #require(filters[0].grep)
        #expect(numbered.regexpAll.map(\.pattern) == ["^(nginx|haproxy)$"])
        #expect(numbered.excludeAny.map(\.pattern) == ["^GET /ping"])
        #expect(numbered.keeps(["ident": "haproxy", "message": "GET /api 200"]))
        #expect(!numbered.keeps(["ident": "haproxy", "message": "GET /ping 200"]))

        let grouped = try #require(filters[1].grep)
        #expect(grouped.regexpAny.count == 2)
        #expect(grouped.excludeAll.count == 2)
        #expect(grouped.keeps(["severity": "err", "host": "web-1", "message": "disk"]))
        #expect(grouped.keeps(["severity": "info", "host": "web-1", "message": "upstream timeout"]))
        #expect(!grouped.keeps(["severity": "info", "host": "web-1", "message": "ok"]))
        // <and> of excludes: dropped only when both match.
        #expect(grouped.keeps(["severity": "err", "host": "canary-1", "message": "disk"]))
        #expect(!grouped.keeps(["severity": "err", "host": "canary-1", "message": "expected failure"]))
        #expect(configuration.firstS3?.buffer.timekey == 600)
    }

    @Test func labelledSourcesAndRelabelReachTheS3Label() throws {
        let configuration = try RealStyle.load("label-relabel.conf")
        #expect(configuration.matches.map(\.name) == ["s3_all", "stdout"])
        #expect(configuration.sources.map(\.label) == ["@SYSLOG", nil])
        #expect(Set(configuration.routing.labels.keys) == ["@SYSLOG", "@S3", "@ERROR"])

        #expect(configuration.outputNames(tag: "edge.kern.warn", label: "@SYSLOG") == ["s3_all"])
        #expect(configuration.filterNames(tag: "edge.kern.warn", label: "@SYSLOG") == [["grep", "record_transformer"]])
        #expect(configuration.filterNames(tag: "edge.user.info", label: "@SYSLOG") == [["record_transformer"]])
        // Unlabelled, an edge record reaches nothing; the core source relabels at the top level.
        #expect(configuration.routes(tag: "edge.kern.warn").isEmpty)
        #expect(configuration.outputNames(tag: "core.daemon.info") == ["s3_all"])
        #expect(configuration.filterNames(tag: "core.daemon.info") == [["record_transformer"]])
        #expect(configuration.outputNames(tag: "anything", label: "@ERROR") == ["stdout"])

        let s3 = try #require(configuration.firstS3)
        #expect(s3.format.type == .ltsv)
        #expect(s3.buffer.type == .memory)
        #expect(s3.buffer.timekey == 3600)
        #expect(s3.region == "us-east-1")
    }

    @Test func errorLabelAndACatchAllBeforeAStaleMatch() throws {
        let configuration = try RealStyle.load("error-label-and-catchall.conf")
        #expect(configuration.outputNames(tag: "fluent.info") == ["null"])
        #expect(configuration.outputNames(tag: "all.mail.info") == ["s3"])
        #expect(configuration.outputNames(tag: "all.kern.crit", label: "@ERROR") == ["file"])
        let unreachable = try #require(configuration.warnings.first)
        #expect(unreachable.location.line == 26)
        #expect(unreachable.word == "all.mail.**")

        let inject = try #require(configuration.firstS3?.inject)
        #expect(inject.tagKey == "tag")
        #expect(inject.timeKey == "ts")
        #expect(inject.timeType == .unixtime)

        let mail = try #require(configuration.matches[2].file)
        #expect(mail.pathTemplate(timeSliceFormat: "%Y%m%d") == "/var/log/mail-archive/mail.%Y%m%d_%{index}.log")
        let errors = try #require(configuration.matches[3].file)
        #expect(errors.pathTemplate(timeSliceFormat: "%Y%m%d%H") == "/var/log/sluice/error.%Y%m%d%H_%{index}.log")
    }

    @Test func formatterPerConsumer() throws {
        let configuration = try RealStyle.load("formatter-variety.conf")
        let formats = configuration.matches.compactMap { $0.s3?.format }
        #expect(formats.map(\.type) == [.ltsv, .csv, .tsv, .single_value, .out_file, .hash])
        #expect(formats[0].effectiveDelimiter == " ")
        #expect(formats[0].labelDelimiter == "=")
        #expect(formats[1].fields == ["host", "ident", "message"])
        #expect(formats[1].forceQuotes == false)
        #expect(formats[1].effectiveDelimiter == ",")
        #expect(formats[2].fields == ["host", "message"])
        #expect(formats[2].effectiveDelimiter == "\t")
        #expect(formats[3].addNewline == false)
        #expect(formats[4].outputTag == false)
        #expect(formats[4].outputTime == true)
        #expect(formats[4].timeFormat == "%s")
        #expect(formats[4].utcOffset == 0)
        #expect(configuration.routes(tag: "fmt.local3.info").map(\.output) == [2])
        #expect(configuration.routes(tag: "fmt.daemon.info").map(\.output) == [5])
        #expect(configuration.matches.compactMap { $0.s3?.path } == ["ltsv/", "csv/", "tsv/", "single/", "outfile/", "hash/"])
    }
}
