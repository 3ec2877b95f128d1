import Testing

@testable import SluiceConfig

/// Valid but doubtful configurations load, with warnings beside them.
@Suite struct WarningTests {
    static let source = "<source>\n  @type syslog\n  tag system\n</source>\n"  // lines 1-4

    @Test func matchAfterCatchAllIsUnreachable() throws {
        let configuration = try Support.parse(
            Self.source + "<match **>\n  @type null\n</match>\n<match system.**>\n  @type stdout\n</match>\n"
        )
        #expect(configuration.warnings.map(\.code) == [.unreachableMatch])
        let warning = try #require(configuration.warnings.first)
        #expect(warning.location.line == 8)
        #expect(warning.word == "system.**")
        #expect(warning.description == "test.conf:8: <match system.**> is never used: the <match> at test.conf:5 catches every tag with '**'")
        #expect(configuration.route(tag: "system.user.info") == 0)
    }

    @Test func matchWithTheSamePatternsIsUnreachable() throws {
        let configuration = try Support.parse(
            Self.source + "<match system.** a>\n  @type null\n</match>\n<match a>\n  @type stdout\n</match>\n"
        )
        #expect(configuration.warnings.map(\.code) == [.unreachableMatch])
        #expect(configuration.warnings.first?.location.line == 8)
    }

    @Test func connectionLimitsOnUDPHaveNoEffect() throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag system\n  max_connections 10\n  idle_timeout 1m\n</source>\n<match **>\n  @type null\n</match>\n"
        )
        #expect(configuration.warnings.map(\.code) == [.noEffectYet, .noEffectYet])
        #expect(configuration.warnings.map(\.location.line) == [4, 5])
        #expect(configuration.warnings.first?.message.contains("udp") == true)
    }

    @Test func sourceWithoutMatch() throws {
        let configuration = try Support.parse(Self.source + "<match other.**>\n  @type null\n</match>\n")
        #expect(configuration.warnings.map(\.code) == [.unmatchedSourceTag])
        #expect(configuration.warnings.first?.location.line == 1)
        #expect(configuration.warnings.first?.word == "system")
    }

    @Test func sourcePartlyMatched() throws {
        let configuration = try Support.parse(Self.source + "<match system.auth.*>\n  @type null\n</match>\n")
        #expect(configuration.warnings.map(\.code) == [.unmatchedSourceTag])
        #expect(configuration.warnings.first?.message.contains("184 of the 192 tags") == true)
    }

    @Test func sourceFullyMatchedHasNoWarning() throws {
        let configuration = try Support.parse(Self.source + "<match system.*.*>\n  @type null\n</match>\n")
        #expect(configuration.warnings.isEmpty)
    }
}
