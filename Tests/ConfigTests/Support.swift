import Foundation
import Testing

@testable import SluiceConfig

/// Paths and helpers shared by the configuration tests.
enum Support {
    /// The package root, from this file's place in Tests/ConfigTests/.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let fixtures = packageRoot + "/Fixtures/config"

    /// The fixture shared with the other projects of the workplace: beside the package, in ../shared.
    static let sharedTDAgent = packageRoot + "/../shared/fixtures/td-agent.conf"

    static let environment = ["BUCKET": "env-bucket", "HOME": "/home/sluice"]
    static let hostname = "ip-172-31-92-150"

    static func parse(_ text: String, file: String = "test.conf") throws(ConfigError) -> SluiceConfiguration {
        try SluiceConfiguration.parse(text: text, file: file, environment: environment, hostname: hostname)
    }

    /// The problems `text` has; none when it parses.
    static func problems(_ text: String, file: String = "test.conf") -> [ConfigProblem] {
        do {
            _ = try parse(text, file: file)
            return []
        } catch {
            return error.problems
        }
    }

    /// The tree the reader builds, and what it logged.
    static func read(_ text: String, file: String = "test.conf") -> (ConfigElement, ProblemLog) {
        let log = ProblemLog()
        let root = ConfigReader(environment: environment, hostname: hostname, log: log).read(text: text, file: file)
        return (root, log)
    }

    /// A minimal valid output, to wrap around a tested section.
    static let nullMatch = "<match **>\n  @type null\n</match>\n"

    static func s3Match(_ body: String, buffer: String = "") -> String {
        "<match **>\n  @type s3\n  s3_bucket test-bucket\n\(body)\n\(buffer)</match>\n"
    }
}

extension SluiceConfiguration {
    var firstS3: S3OutputConfiguration? {
        for match in matches { if case .s3(let s3) = match.output { return s3 } }
        return nil
    }
}
