import Testing

@testable import SluiceConfig

/// fluent-plugin-forest's template-per-tag, as old td-agent files give each tag its own S3 path.
struct ForestTests {
    @Test func aTemplateBecomesOneOutputKeyedByTag() throws {
        let configuration = try Support.parse("""
            <match app.**>
              type forest
              subtype s3
              <template>
                s3_bucket forest-logs
                path ${tag}/__TAG_PARTS[1]__/
                s3_object_key_format %{path}%{time_slice}_${hostname}_%{index}.%{file_extension}
                buffer_path /var/log/td-agent/buffer/s3/${tag}
                time_slice_format %Y%m%d%H
                format json
              </template>
            </match>
            """)
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == "forest-logs")
        #expect(s3.path == "${tag}/${tag[1]}/")
        #expect(s3.objectKeyFormat == "%{path}%{time_slice}_%{hostname}_%{index}.%{file_extension}")
        #expect(s3.buffer.path == "/var/log/td-agent/buffer/s3")
        #expect(s3.buffer.chunkKeys == ["tag", "time"])
        #expect(s3.buffer.timekey == 3600)
        #expect(s3.format.type == .json)
        #expect(configuration.warnings.contains { $0.code == .compatibilityMapped && $0.word == "forest" })
    }

    @Test func aCopyTemplateKeysEveryStoreByTag() throws {
        let configuration = try Support.parse("""
            <match **>
              @type forest
              subtype copy
              <template>
                <store>
                  @type s3
                  s3_bucket forest-logs
                  path logs/${tag}/
                  <format>
                    @type json
                  </format>
                  <buffer time>
                    path /buf/${tag}
                  </buffer>
                </store>
              </template>
            </match>
            """)
        let s3 = try #require(configuration.firstS3)
        #expect(s3.buffer.chunkKeys == ["tag", "time"])
        #expect(s3.buffer.path == "/buf")
    }

    @Test func caseSectionsAreRefusedNamingTheLine() {
        let problems = Support.problems("""
            <match **>
              @type forest
              subtype s3
              <template>
                s3_bucket forest-logs
              </template>
              <case web.**>
                path web/
              </case>
            </match>
            """)
        #expect(problems.map(\.code) == [.unsupportedPlugin])
        #expect(problems.first?.location.line == 7)
    }
}
