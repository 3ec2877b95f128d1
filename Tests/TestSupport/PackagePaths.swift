import Foundation

/// Where the package's files and the built `sluice` binary are, for tests that run the real thing.
public enum PackagePaths {
    /// The package root, found from this file's location.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func fixture(_ relativePath: String) -> String {
        root + "/Fixtures/" + relativePath
    }

    /// The `sluice` executable built beside the test bundle (`swift build` / `swift test` build it),
    /// or `SLUICE_BINARY`.
    public static func sluiceBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SLUICE_BINARY"], !path.isEmpty { return path }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The test bundle is `<build dir>/sluicePackageTests.xctest` (possibly with contents below it).
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("sluice").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw TestFailure("the sluice binary was not found beside \(testBinary.path); run `swift build` first or set SLUICE_BINARY")
    }

    /// A new empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
public func eventually(
    timeout: Duration = .seconds(30),
    interval: Duration = .milliseconds(200),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
