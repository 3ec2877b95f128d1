import Testing

@testable import SluiceConfig

/// RecordTransformer.unknownPlaceholder: what filter_record_transformer expands without Ruby.
@Suite struct RecordTransformerTests {
    @Test(arguments: [
        "${tag}", "${hostname}", "${time}", "${tag_parts[0]}", "${tag_parts[-1]}", "${tag_prefix[1]}",
        "${tag_suffix[2]}", "${record[\"host\"]}", "${message}", "${source_host}", "plain text",
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
    ])
    func unknownPlaceholders(template: String, unknown: String) {
        #expect(RecordTransformer.unknownPlaceholder(in: template) == unknown)
    }

    @Test func unknownPlaceholderInARecordIsAnError() {
        let text = "<filter **>\n  @type record_transformer\n  <record>\n    now ${Time.now()}\n  </record>\n</filter>\n" + Support.nullMatch
        let problems = Support.problems(text)
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.word == "${Time.now()}")
    }

    @Test func keepKeysNeedsRenewRecordAndRubyIsRefused() {
        let text = "<filter **>\n  @type record_transformer\n  enable_ruby true\n  keep_keys host\n</filter>\n" + Support.nullMatch
        #expect(Set(Support.problems(text).map(\.code)) == [.conflictingSettings, .unsupportedParameter])
    }
}
