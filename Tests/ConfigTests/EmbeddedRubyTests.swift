import Testing

@testable import SluiceConfig

/// `"#{...}"` as real configurations use it, with a controlled environment.
@Suite struct EmbeddedRubyTests {
    /// The value `s3_bucket` reads from `expression` under `environment`, and the problems.
    static func bucket(_ expression: String, _ environment: [String: String]) -> (String?, [ConfigProblem], [ConfigProblem]) {
        let text = "<match **>\n  @type s3\n  s3_bucket \"\(expression)\"\n  local_directory /tmp/x\n  <format>\n    @type json\n  </format>\n</match>\n"
        do {
            let configuration = try SluiceConfiguration.parse(text: text, file: "ruby.conf", environment: environment, hostname: "host-a")
            return (configuration.firstS3?.bucket, [], configuration.warnings)
        } catch {
            return (nil, error.problems, [])
        }
    }

    @Test(arguments: [
        ("#{ENV['B']}", ["B": "env-bucket"], "env-bucket"),
        ("#{ENV['B'] || 'fallback-bucket'}", ["B": "env-bucket"], "env-bucket"),
        ("#{ENV['B'] || 'fallback-bucket'}", [:], "fallback-bucket"),
        ("#{ENV[\"B\"] || \"fallback-bucket\"}", [:], "fallback-bucket"),
        ("#{ENV.fetch('B', 'fetched-bucket')}", [:], "fetched-bucket"),
        ("#{ENV.fetch('B', 'fetched-bucket')}", ["B": "env-bucket"], "env-bucket"),
        ("#{ENV.fetch('B')}", ["B": "env-bucket"], "env-bucket"),
        ("#{ENV['A']}-#{ENV['B']}", ["A": "logs", "B": "prod"], "logs-prod"),
        ("#{ENV['B'] || Socket.gethostname}", ["B": "env-bucket"], "env-bucket"),
        ("#{ENV['B'] || Socket.gethostname}", [:], "host-a"),
        ("logs-#{Socket.gethostname}", [:], "logs-host-a"),
        ("#{ENV['A'] || ENV['B'] || 'third-bucket'}", ["B": "second-bucket"], "second-bucket"),
    ])
    func evaluates(expression: String, environment: [String: String], value: String) {
        let (bucket, problems, warnings) = Self.bucket(expression, environment)
        #expect(problems.isEmpty, "\(problems)")
        #expect(bucket == value)
        #expect(warnings.filter { $0.code == .undefinedEnvironmentVariable }.isEmpty)
    }

    @Test func setToEmptyReadsAsEmptyNotTheDefault() {
        // Ruby's `||` passes "" through; only nil takes the default. An empty bucket is then refused.
        let (_, problems, _) = Self.bucket("#{ENV['B'] || 'fallback-bucket'}", ["B": ""])
        #expect(problems.map(\.code) == [.badValue])
        #expect(problems.first?.location.line == 3)
        #expect(problems.first?.message.contains("s3_bucket") == true)
    }

    @Test func unsetWithoutDefaultWarnsAndReadsEmpty() {
        let text = "<match **>\n  @type s3\n  s3_bucket logs-bucket\n  path \"#{ENV['PREFIX']}/\"\n  <format>\n    @type json\n  </format>\n</match>\n"
        let configuration = try? SluiceConfiguration.parse(text: text, file: "ruby.conf", environment: [:], hostname: "h")
        #expect(configuration?.firstS3?.path == "/")
        let warning = configuration?.warnings.first { $0.code == .undefinedEnvironmentVariable }
        #expect(warning?.word == "PREFIX")
        #expect(warning?.location.line == 4)
    }

    @Test func fetchWithoutDefaultOfAnUnsetVariableIsAnError() {
        let (_, problems, _) = Self.bucket("#{ENV.fetch('S3_BUCKET')}", [:])
        #expect(problems.map(\.code).first == .undefinedEnvironmentVariable)
        #expect(problems.first?.word == "S3_BUCKET")
        #expect(problems.first?.location.line == 3)
    }

    @Test(arguments: ["#{`hostname -s`.strip}", "#{ENV['B'].downcase}", "#{ENV['B'] ||}", "#{Time.now.year}"])
    func otherRubyIsRefusedNamingTheCode(expression: String) {
        let (_, problems, _) = Self.bucket(expression, ["B": "x-bucket"])
        #expect(problems.first?.code == .unsupportedEmbeddedCode)
        #expect(problems.first?.location.line == 3)
    }

    @Test func scannerReadsOperandsInOrder() {
        var scanner = EmbeddedRuby("ENV['A'] || ENV.fetch(\"B\", 'd') || Socket.gethostname")
        var operands: [EmbeddedRuby.Operand?] = [scanner.operand()]
        var ors = 0
        while scanner.or() {
            ors += 1
            operands.append(scanner.operand())
        }
        #expect(ors == 2)
        #expect(operands == [.environment("A", default: nil, mustExist: false), .environment("B", default: "d", mustExist: true), .hostname])
        #expect(scanner.atEnd)
    }
}
