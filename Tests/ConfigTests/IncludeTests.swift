import Testing

@testable import SluiceConfig

/// `@include`: relative to the including file, globs in sorted order, splicing into the enclosing section, cycles.
@Suite struct IncludeTests {
    static let folder = Support.fixtures + "/include"

    @Test func relativePathsGlobsAndNesting() throws {
        let configuration = try SluiceConfiguration.load(
            path: Self.folder + "/main.conf", environment: [:], hostname: "h"
        )
        let source = try #require(configuration.sources.first)
        #expect(source.port == 5141)
        #expect(source.location == ConfigLocation(file: Self.folder + "/sources.conf", line: 1))

        #expect(configuration.matches.count == 2)
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == "included-bucket")
        #expect(s3.region == "eu-west-1")
        #expect(s3.buffer.type == .file)
        #expect(s3.buffer.path == "/tmp/sluice-buffer")
        #expect(s3.buffer.timekey == 600)
        #expect(s3.buffer.location == ConfigLocation(file: Self.folder + "/main.conf", line: 6))

        // main.conf includes nested/inner.conf, whose "leaf.conf" is nested/leaf.conf.
        let leaf = configuration.matches[1]
        #expect(leaf.patterns.map(\.pattern) == ["other.**"])
        #expect(leaf.location == ConfigLocation(file: Self.folder + "/nested/leaf.conf", line: 1))
    }

    @Test func parsedTextResolvesIncludesAgainstItsFileName() throws {
        let configuration = try SluiceConfiguration.parse(
            text: "@include sources.conf\n<match **>\n  @type null\n</match>\n",
            file: Self.folder + "/virtual.conf", environment: [:], hostname: "h"
        )
        #expect(configuration.sources.first?.tag == "system")
    }

    @Test func problemsInIncludedFilesNameThatFile() throws {
        let text = "<source>\n  @type syslog\n  @include s3/*.conf\n</source>\n"
        #expect(Support.problems(text, file: Self.folder + "/x.conf").map(\.description) == [Self.folder + "/x.conf:1: <source> needs 'tag'"])
        // Output parameters in a source are not used (Fluentd warns the same), named where they were written.
        let configuration = try Support.parse(text.replacingOccurrences(of: "@type syslog", with: "@type syslog\n  tag t") + Support.nullMatch, file: Self.folder + "/x.conf")
        #expect(
            configuration.warnings.filter { $0.code == .unusedParameter }.map(\.location.description) == [
                Self.folder + "/s3/a-bucket.conf:1", Self.folder + "/s3/b-region.conf:1",
            ]
        )
    }

    @Test func cycleThroughAnotherFile() {
        let folder = Support.fixtures + "/include-cycle"
        do {
            _ = try SluiceConfiguration.load(path: folder + "/a.conf", environment: [:], hostname: "h")
            Issue.record("expected a cycle")
        } catch {
            #expect(error.problems.map(\.code) == [.includeCycle])
            #expect(error.problems.first?.location == ConfigLocation(file: folder + "/b.conf", line: 1))
            #expect(error.problems.first?.word == "a.conf")
            #expect(error.problems.first?.message.contains("a.conf -> b.conf -> a.conf") == true)
        }
    }

    @Test func fileIncludingItself() {
        let folder = Support.fixtures + "/include-cycle"
        do {
            _ = try SluiceConfiguration.load(path: folder + "/self.conf", environment: [:], hostname: "h")
            Issue.record("expected a cycle")
        } catch {
            #expect(error.problems.map(\.code) == [.includeCycle])
            #expect(error.problems.first?.location == ConfigLocation(file: folder + "/self.conf", line: 1))
        }
    }

    @Test func missingFileIsAnErrorAndEmptyGlobAWarning() throws {
        let problems = Support.problems("@include missing.conf\n" + Support.nullMatch, file: Self.folder + "/x.conf")
        #expect(problems.map(\.code) == [.includeFailed])
        #expect(problems.first?.location.line == 1)
        #expect(problems.first?.word == "missing.conf")

        let configuration = try SluiceConfiguration.parse(
            text: "@include none/*.conf\n" + Support.nullMatch, file: Self.folder + "/x.conf", environment: [:],
            hostname: "h"
        )
        #expect(configuration.warnings.map(\.code) == [.emptyInclude])
    }
}
