import Foundation
import Testing

@testable import SluiceConfig

/// GrepFilter.keeps against Fluentd's filter_grep: regexp_and all must match, regexp_or any,
/// exclude_and all matching drops, exclude_or any matching drops, a missing key reads as "".
@Suite struct GrepFilterTests {
    static func condition(_ key: String, _ pattern: String) -> GrepFilter.Condition {
        GrepFilter.Condition(key: key, pattern: pattern)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var filter: GrepFilter
        var record: [String: String]
        var kept: Bool
        var testDescription: String { name }
    }

    static func filter(
        all: [GrepFilter.Condition] = [], any: [GrepFilter.Condition] = [],
        excludeAll: [GrepFilter.Condition] = [], excludeAny: [GrepFilter.Condition] = []
    ) -> GrepFilter {
        var filter = GrepFilter()
        filter.regexpAll = all
        filter.regexpAny = any
        filter.excludeAll = excludeAll
        filter.excludeAny = excludeAny
        return filter
    }

    static let sshd = condition("ident", "^sshd$")
    static let failed = condition("message", "Failed")
    static let root = condition("message", "root")

    static let cases: [Case] = [
        Case(name: "no conditions keep", filter: filter(), record: [:], kept: true),
        Case(name: "regexp_and: all match", filter: filter(all: [sshd, failed]), record: ["ident": "sshd", "message": "Failed password"], kept: true),
        Case(name: "regexp_and: one fails", filter: filter(all: [sshd, failed]), record: ["ident": "sshd", "message": "Accepted"], kept: false),
        Case(name: "regexp_or: one matches", filter: filter(any: [sshd, failed]), record: ["ident": "cron", "message": "Failed"], kept: true),
        Case(name: "regexp_or: none match", filter: filter(any: [sshd, failed]), record: ["ident": "cron", "message": "ok"], kept: false),
        Case(name: "exclude_and: all match drops", filter: filter(excludeAll: [failed, root]), record: ["message": "Failed for root"], kept: false),
        Case(name: "exclude_and: one match keeps", filter: filter(excludeAll: [failed, root]), record: ["message": "Failed for bob"], kept: true),
        Case(name: "exclude_or: any match drops", filter: filter(excludeAny: [failed, root]), record: ["message": "root login"], kept: false),
        Case(name: "exclude_or: none match keeps", filter: filter(excludeAny: [failed, root]), record: ["message": "bob login"], kept: true),
        Case(name: "missing key reads as empty: ^$ matches", filter: filter(all: [condition("host", "^$")]), record: [:], kept: true),
        Case(name: "missing key reads as empty: regexp fails", filter: filter(all: [sshd]), record: [:], kept: false),
        Case(name: "missing key reads as empty: exclude ^$ drops", filter: filter(excludeAny: [condition("host", "^$")]), record: ["message": "x"], kept: false),
        Case(
            name: "regexp passes, exclude drops", filter: filter(all: [sshd], excludeAny: [root]),
            record: ["ident": "sshd", "message": "root"], kept: false),
        Case(
            name: "and + or together", filter: filter(all: [sshd], any: [failed, root]),
            record: ["ident": "sshd", "message": "root session"], kept: true),
    ]

    @Test(arguments: cases)
    func keepsAsFilterGrep(_ test: Case) {
        #expect(test.filter.keeps(test.record) == test.kept)
    }

    @Test func readFromSectionsAsFluentdGroupsThem() throws {
        let text = """
            <filter **>
              @type grep
              <regexp>
                key ident
                pattern /^SSHD$/i
              </regexp>
              <exclude>
                key message
                pattern /debug/
              </exclude>
              <or>
                <regexp>
                  key host
                  pattern /^web-/
                </regexp>
              </or>
              <and>
                <exclude>
                  key severity
                  pattern /info/
                </exclude>
              </and>
            </filter>

            """ + Support.nullMatch
        let configuration = try Support.parse(text)
        let grep = try #require(configuration.routes(tag: "a").first?.filters.first?.grep)
        #expect(grep.regexpAll.map(\.key) == ["ident"])
        #expect(grep.regexpAll.first?.caseInsensitive == true)
        #expect(grep.regexpAll.first?.pattern == "^SSHD$")
        #expect(grep.excludeAny.map(\.key) == ["message"])
        #expect(grep.regexpAny.map(\.key) == ["host"])
        #expect(grep.excludeAll.map(\.key) == ["severity"])
        #expect(grep.keeps(["ident": "sshd", "host": "web-1", "message": "x", "severity": "err"]))
        #expect(!grep.keeps(["ident": "sshd", "host": "db-1", "message": "x", "severity": "err"]))
    }

    @Test(arguments: ["and", "or"])
    func groupWithBothRegexpAndExcludeIsRefused(group: String) {
        let text = """
            <filter **>
              @type grep
              <\(group)>
                <regexp>
                  key a
                  pattern /x/
                </regexp>
                <exclude>
                  key b
                  pattern /y/
                </exclude>
              </\(group)>
            </filter>

            """ + Support.nullMatch
        let problems = Support.problems(text)
        #expect(problems.map(\.code) == [.conflictingSettings])
        #expect(problems.first?.word == group)
        #expect(problems.first?.location.line == 3)
    }

    @Test func badRegularExpressionNamesItsLine() {
        let text = "<filter **>\n  @type grep\n  <regexp>\n    key a\n    pattern /(unclosed/\n  </regexp>\n</filter>\n" + Support.nullMatch
        let problems = Support.problems(text)
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.location.line == 5)
    }
}
