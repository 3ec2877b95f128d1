import Foundation

/// Paths inside the package, found from this file so tests run from any working directory.
enum FixturePaths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // S3Tests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let sigV4Suite = packageRoot.appendingPathComponent("Fixtures/s3/sigv4-suite/v4")
    static let botocoreVectors = packageRoot.appendingPathComponent("Fixtures/s3/botocore-vectors.json")
}
