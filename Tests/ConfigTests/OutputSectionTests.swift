import Testing

@testable import SluiceConfig

/// Sections real outputs carry that Sluice reads without acting as Fluentd does, and say so.
struct OutputSectionTests {
    @Test func secondaryIsAWarningNamingWhereGivenUpChunksStay() throws {
        let configuration = try Support.parse(Support.s3Match("<format>\n  @type json\n</format>\n<secondary>\n  @type secondary_file\n  directory /var/log/td-agent/error\n</secondary>"))
        let warning = try #require(configuration.warnings.first { $0.word == "secondary" })
        #expect(warning.code == .noEffect)
        #expect(warning.location.line == 7)
        #expect(warning.message.contains("failed/"))
    }

    @Test func numberedGrepPatternsKeepTheirSlashesAsFluentdDoes() throws {
        let configuration = try Support.parse("<filter **>\n  @type grep\n  regexp1 path /var/log/\n  exclude1 ident /^cron$/\n</filter>\n" + Support.nullMatch)
        guard case .filter(let filter) = configuration.routing.root.first, case .grep(let grep) = filter.kind else {
            Issue.record("expected a grep filter")
            return
        }
        #expect(grep.regexpAll.first?.pattern == "/var/log/")
        #expect(grep.excludeAny.first?.pattern == "/^cron$/")
        #expect(grep.excludeAny.first?.caseInsensitive == false)
    }
}
