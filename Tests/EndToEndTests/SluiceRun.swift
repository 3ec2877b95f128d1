import Foundation
import TestSupport

/// The real `sluice` binary running a configuration, for end-to-end tests.
final class SluiceRun: Sendable {
    let child: ChildProcess
    let directory: String

    /// Starts `sluice run -c <config>` in `directory` and waits until every source listens.
    init(config: String, directory: String, environment: [String: String] = [:], listeners: Int) async throws {
        self.directory = directory
        let configPath = directory + "/sluice.conf"
        if config != configPath {
            try FileManager.default.copyItem(atPath: config, toPath: configPath)
        }
        child = try ChildProcess(
            // A port of its own for /metrics, so test runs never take 24231 from a running sluice.
            try PackagePaths.sluiceBinary(), ["run", "-c", configPath, "--log-level", "debug", "--metrics-address", "127.0.0.1:0"],
            environment: environment,
            directory: directory,
            logPath: directory + "/sluice.log"
        )
        let ready = await eventually(timeout: .seconds(30)) {
            child.output.components(separatedBy: "listening syslog socket").count - 1 >= listeners || !child.isRunning
        }
        guard ready, child.isRunning else { throw TestFailure("sluice did not start:\n\(child.output)") }
    }

    /// SIGTERM, then the exit status (nil if it did not exit in time).
    func stop(timeout: Duration = .seconds(60)) async -> Int32? {
        child.signal(SIGTERM)
        return await child.waitForExit(timeout: timeout)
    }

    /// The port /metrics and /api/status are served on, read from the log.
    var metricsPort: Int? {
        guard let range = child.output.range(of: "serving metrics on http://127.0.0.1:") else { return nil }
        return Int(child.output[range.upperBound...].prefix { $0.isNumber })
    }

    func flush() {
        child.signal(SIGUSR1)
    }
}

/// Reads the JSON-lines records of every object under `prefix`, decompressed by the reference tool.
func storedRecords(server: S3TestServer, bucket: String, prefix: String, tool: String) throws -> (keys: [String], records: [[String: Any]]) {
    let keys = try server.listObjects(bucket: bucket, prefix: prefix)
    var records: [[String: Any]] = []
    for key in keys {
        let bytes = try server.getObject(bucket: bucket, key: key)
        records += try ReferenceDecompressor.jsonLines(ReferenceDecompressor.decompress(bytes, tool: tool))
    }
    return (keys, records)
}

/// An RFC 3164 timestamp (`Nov 27 02:05:09`, `Dec  1 23:00:00`) in UTC, the source's default zone.
func rfc3164Stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "d"
    let day = formatter.string(from: date)
    formatter.dateFormat = "MMM"
    let month = formatter.string(from: date)
    formatter.dateFormat = "HH:mm:ss"
    return month + (day.count == 1 ? "  " : " ") + day + " " + formatter.string(from: date)
}

/// An RFC 3339 timestamp in UTC with milliseconds (`2026-11-27T10:00:00.123Z`).
func rfc3339Stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    return formatter.string(from: date)
}

/// The current UTC hour as Fluentd's `%Y%m%d%H` time slice.
func currentHourSlice(_ date: Date = Date()) -> String {
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyyMMddHH"
    return formatter.string(from: date)
}

#if canImport(Glibc)
import Glibc
#endif
