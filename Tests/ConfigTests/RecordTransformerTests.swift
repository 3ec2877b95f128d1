import Testing

@testable import SluiceConfig

/// RecordTransformer.unknownPlaceholder: what filter_record_transformer expands without Ruby.
@Suite struct RecordTransformerTests {
    @Test(arguments: [
        "${tag}", "${hostname}", "${time}", "${tag_parts[0]}", "${tag_parts[-1]}", "${tag_prefix[1]}",
        "${tag_suffix[2]}", "${record[\"host\"]}", "${record['source_host']}", "plain text",
        "${tag}-${hostname}:${tag_parts[2]}", "",
    ])
    func knownPlaceholders(template: String) {
        #expect(RecordTransformer.unknownPlaceholder(in: template) == nil)
    }

    @Test(arguments: [
        ("${tag_parts[x]}", "${tag_parts[x]}"),
        ("${tag_parts[]}", "${tag_parts[]}"),
        ("${ENV['HOME']}", "${ENV['HOME']}"),
        ("${record[host]}", "${record[host]}"),
        ("ok ${tag} then ${Time.at(0)}", "${Time.at(0)}"),
        ("${record[\"a\"][\"b\"]}", "${record[\"a\"][\"b\"]}"),
        ("${}", "${}"),
        ("${tag", "${tag"),
        // Fluentd 1.16 without Ruby expands no bare field names (it writes null and warns per record).
        ("${message}", "${message}"),
        ("at ${host}", "${host}"),
    ])
    func unknownPlaceholders(template: String, unknown: String) {
        #expect(RecordTransformer.unknownPlaceholder(in: template) == unknown)
    }

    @Test func unknownPlaceholderInARecordIsAWarningAsFluentdRunsIt() throws {
        let text = "<filter **>\n  @type record_transformer\n  <record>\n    now ${Time.now()}\n  </record>\n</filter>\n" + Support.nullMatch
        let configuration = try Support.parse(text)
        let warning = try #require(configuration.warnings.first { $0.word == "${Time.now()}" })
        #expect(warning.code == .noEffect)
        #expect(warning.location.line == 3)
        #expect(warning.message.contains("null"))
    }

    @Test func keepKeysNeedsRenewRecordAndRubyIsRefused() {
        let text = "<filter **>\n  @type record_transformer\n  enable_ruby true\n  keep_keys host\n</filter>\n" + Support.nullMatch
        #expect(Set(Support.problems(text).map(\.code)) == [.conflictingSettings, .unsupportedParameter])
    }
}
