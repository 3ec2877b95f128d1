#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
import TestSupport

/// Crash tests: the real `sluice`, killed with SIGKILL while TCP senders stream into it.
@Suite(.serialized)
struct CrashTests {
    static let connections = 4
    static let kills = 4

    /// Each connection numbers its lines; when Sluice dies it reconnects and goes on with the next
    /// number, so each TCP connection (a session) has its own range. What TCP had accepted but Sluice had
    /// not yet written to its buffer file is lost with the process: that can only be the end of a session.
    /// Everything Sluice wrote must come through later runs once, whether its chunk was still open,
    /// sealed, or being uploaded (a SIGUSR1 shortly before some kills): a PUT cut off by the kill is
    /// found by the next run (`check_object`, on by default, matches the chunk id in the object's
    /// metadata) or uploaded again under the same key, never as a second object.
    @Test func sigkillWhileSendersStreamLosesOnlyTheTailInFlightAndNeverDuplicates() async throws {
        let server = try await S3TestServer.shared(.seaweedFS)
        let bucket = "sluice-crash"
        try server.createBucket(bucket)
        let directory = try PackagePaths.temporaryDirectory("crash")
        let port = try LoopbackPorts.free(1)[0]
        let config = directory + "/sluice.conf"
        try """
            \(DeliveryTests.tcpSource(port: port))
            <match app.**>
              @type s3
              \(server.outputParameters(bucket: bucket))
              path logs/
              store_as gzip
              <format>
                @type json
              </format>
              <buffer time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
                flush_at_shutdown true
              </buffer>
            </match>

            """.write(toFile: config, atomically: true, encoding: .utf8)

        // Each run of sluice is an epoch; its log goes in its own directory.
        let epoch = Epoch()
        func start(_ run: Int) async throws -> SluiceRun {
            let runDirectory = directory + "/run-\(run)"
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            return try await SluiceRun(config: config, directory: runDirectory, listeners: 1)
        }
        var sluice = try await start(0)
        var runs = [sluice]

        // The current time, so that chunks are due only an hour from now: they are uploaded on SIGUSR1
        // and at the final stop, never on their own.
        let stamp = rfc3164Stamp(Date())
        // At most 4,000 lines a second per connection, so the limit (30 s of sending) and the time limit
        // only bound the run: the senders are stopped after the last restart.
        let senders = (0..<Self.connections).map { connection in
            ReconnectingSender(
                settings: .init(port: port, limit: 120_000, batchSize: 40, pause: .milliseconds(10), timeLimit: .seconds(40)),
                line: { Array("<134>\(stamp) web app[1]: conn=\(connection) seq=\($0)\n".utf8) },
                epoch: { epoch.value }
            )
        }
        let started = ContinuousClock.now
        senders.forEach { $0.start() }
        defer { senders.forEach { $0.requestStop() } }

        // Kill at seeded, irregular moments; before every other kill, SIGUSR1 shortly before it, so
        // chunks are sealed and uploads are under way (or just done, not yet committed) when it lands.
        var random = SeededRandom(seed: 0x51_0C_E5)
        var flushedBeforeKill: [Bool] = []
        for round in 0..<Self.kills {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1000...3000, using: &random)))
            let flush = round % 2 == 1
            if flush {
                sluice.flush()
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &random)))
            }
            flushedBeforeKill.append(flush)
            sluice.child.signal(SIGKILL)
            let killed = await sluice.child.waitForExit(timeout: .seconds(10))
            try #require(killed == 128 + SIGKILL, "run \(round) did not die of SIGKILL: \(String(describing: killed))")
            // Only once the old process is gone: a connection made before this belongs to it.
            epoch.advance()
            sluice = try await start(round + 1)
            runs.append(sluice)
        }
        // The last run gets traffic of its own before the graceful stop.
        try await Task.sleep(for: .seconds(2))
        var reports: [ReconnectingSender.Report] = []
        for sender in senders {
            reports.append(try #require(await sender.stop(), "a sender did not stop"))
        }
        let status = await sluice.stop()
        let elapsed = started.duration(to: .now)
        #expect(status == 0, "final run exit status \(String(describing: status))\n\(sluice.child.output)")
        #expect(reports.allSatisfy { $0.ending == .stopped }, "a sender ran out before the kills were done: \(reports.map(\.ending))")

        let (keys, records) = try storedRecords(server: server, bucket: bucket, prefix: "logs/", tool: "gzip")
        var stored: [Int: [Int]] = [:]
        var unreadable: [String] = []
        for record in records {
            guard let message = record["message"] as? String, let (connection, number) = Self.connectionAndNumber(message) else {
                unreadable.append("\(record)")
                continue
            }
            stored[connection, default: []].append(number)
        }
        #expect(unreadable.isEmpty, "records without conn= and seq=: \(unreadable.prefix(5))")

        // (1) No record twice.
        var duplicates: [(connection: Int, number: Int, times: Int)] = []
        for (connection, numbers) in stored {
            for (number, times) in Dictionary(numbers.map { ($0, 1) }, uniquingKeysWith: +) where times > 1 {
                duplicates.append((connection, number, times))
            }
        }
        #expect(duplicates.isEmpty, "\(duplicates.count) records stored more than once, e.g. \(duplicates.sorted { ($0.connection, $0.number) < ($1.connection, $1.number) }.prefix(10))")

        // (2) Within a session, what is stored is a prefix of what was sent; (3) the last session, ended
        // by the graceful stop, lost nothing.
        var lostByEpoch: [Int: Int] = [:]
        // Of those, the ones `send` had taken (TCP's tail in flight), not the batch whose send failed.
        var lostAcceptedByEpoch: [Int: Int] = [:]
        var storedByEpoch: [Int: Int] = [:]
        var sent = 0
        for (connection, report) in reports.enumerated() {
            let numbers = Set(stored[connection] ?? [])
            let sessions = report.sessions
            sent += report.sent
            let outside = numbers.filter { number in !sessions.contains { $0.numbers.contains(number) } }
            #expect(outside.isEmpty, "conn=\(connection): stored numbers never sent: \(outside.sorted().prefix(10))")
            for (position, session) in sessions.enumerated() {
                let kept = session.numbers.filter(numbers.contains)
                let prefix = session.numbers.lowerBound..<(session.numbers.lowerBound + kept.count)
                #expect(
                    kept.elementsEqual(prefix),
                    """
                    conn=\(connection) session \(session.numbers) (run \(session.epoch)): lost records before later ones \
                    were stored; first missing \(prefix.first { !numbers.contains($0) }.map(String.init) ?? "-"), \
                    stored after it: \(kept.filter { $0 >= prefix.upperBound }.prefix(10))
                    """
                )
                #expect(kept.count <= session.accepted.count, "conn=\(connection) session \(session.numbers): \(kept.count) stored, but send took only \(session.accepted.count)")
                lostByEpoch[session.epoch, default: 0] += session.numbers.count - kept.count
                lostAcceptedByEpoch[session.epoch, default: 0] += session.accepted.count - kept.count
                storedByEpoch[session.epoch, default: 0] += kept.count
                if position == sessions.count - 1 {
                    #expect(kept.count == session.numbers.count, "conn=\(connection): the last session \(session.numbers) (ended by the graceful stop) lost \(session.numbers.count - kept.count)")
                    #expect(session.epoch == Self.kills, "conn=\(connection): the last session belongs to run \(session.epoch), not to the last run")
                }
            }
        }

        // (4) The kills happened, and more than one run stored records.
        #expect(runs.count == Self.kills + 1)
        #expect(storedByEpoch.values.filter { $0 > 0 }.count >= 2, "records stored per run: \(storedByEpoch)")

        func occurrences(of text: String, inLogOf run: SluiceRun) -> Int {
            run.child.output.components(separatedBy: text).count - 1
        }
        let storedCount = stored.values.reduce(0) { $0 + $1.count }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var summary = """
            CrashTests: \(Self.connections) connections, \(Self.kills) SIGKILLs, \(String(format: "%.1f", seconds)) s from first send to exit
              sent \(sent), stored \(storedCount), lost \(lostByEpoch.values.reduce(0, +)), duplicates \(duplicates.count), objects \(keys.count)
              sessions per connection: \(reports.map(\.sessions.count))
            """
        for run in 0...Self.kills {
            let sessions = reports.flatMap(\.sessions).filter { $0.epoch == run }
            let ending = run < Self.kills ? "SIGKILL" + (flushedBeforeKill[run] ? " shortly after SIGUSR1" : "") : "SIGTERM"
            summary += """

                  run \(run) (ended by \(ending)): \(sessions.count) sessions, sent \(sessions.reduce(0) { $0 + $1.numbers.count }), \
                stored \(storedByEpoch[run] ?? 0), lost \(lostByEpoch[run] ?? 0) (of which taken by send \(lostAcceptedByEpoch[run] ?? 0)); \
                uploaded \(occurrences(of: "uploaded logs/", inLogOf: runs[run])) objects, \
                found \(occurrences(of: "already holds chunk", inLogOf: runs[run])) already uploaded
                """
        }
        print(summary)
    }

    /// `conn=<c> seq=<n>` → (c, n).
    static func connectionAndNumber(_ message: String) -> (Int, Int)? {
        let fields = message.split(separator: " ").map { $0.split(separator: "=", maxSplits: 1) }
        guard fields.count == 2, fields.allSatisfy({ $0.count == 2 }), fields[0][0] == "conn", fields[1][0] == "seq",
            let connection = Int(fields[0][1]), let number = Int(fields[1][1])
        else { return nil }
        return (connection, number)
    }
}

/// Which run of sluice is (or was last) listening: advanced once a killed run is gone.
private final class Epoch: Sendable {
    private let current = Atomic(0)
    var value: Int { current.load(ordering: .sequentiallyConsistent) }
    func advance() { current.add(1, ordering: .sequentiallyConsistent) }
}

