import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `sluice top`: a running Sluice's counters, refreshed every second, with rates.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Show a running sluice's inputs, buffers and uploads, live (from its /api/status).",
        discussion: "Rates are per second between two readings. Stops on Ctrl-C, after --count screens, or when sluice stops answering."
    )

    @Option(help: "The metrics address of the sluice to watch (its <system> metrics_address or --metrics-address).")
    var address = "127.0.0.1:24231"

    @Option(help: "Seconds between screens.")
    var interval: Double = 1

    @Option(help: "Stop after this many screens (0: until Ctrl-C).")
    var count = 0

    @Flag(help: "Print one reading without clearing the screen, and exit (rates need two readings: none are shown).")
    var once = false

    func run() async throws {
        guard interval > 0 else { throw ValidationError("--interval must be more than 0") }
        let url = "http://\(address)/api/status"
        var previous: (Status, ContinuousClock.Instant)?
        var screens = 0
        let interactive = isatty(STDOUT_FILENO) == 1 && !once
        while true {
            let status: Status
            do {
                status = try await Self.fetch(url)
            } catch {
                printError("sluice top: cannot read \(url): \(error)")
                throw ExitCode(1)
            }
            let now = ContinuousClock.now
            var text = interactive ? "\u{1B}[H\u{1B}[2J" : ""
            text += Self.render(status, previous: previous.map { ($0.0, $0.1.duration(to: now)) }, address: address)
            if !interactive { text += "\n" }
            text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: STDOUT_FILENO) }
            screens += 1
            if once || (count > 0 && screens >= count) { return }
            previous = (status, now)
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }

    /// `/api/status`, decoded.
    struct Status {
        var uptime: Double
        var inputs: [String: [String: Double]]
        var outputs: [String: [String: Double]]
        var other: [String: Double]
    }

    static func fetch(_ url: String) async throws -> Status {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        guard response.status == .ok else { throw ValidationError("HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: 4 << 20)
        guard let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw ValidationError("not a JSON object")
        }
        func numbers(_ value: Any?) -> [String: Double] {
            ((value as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        func groups(_ name: String) -> [String: [String: Double]] {
            ((json[name] as? [String: Any]) ?? [:]).mapValues(numbers)
        }
        return Status(
            uptime: (json["uptime_seconds"] as? NSNumber)?.doubleValue ?? 0,
            inputs: groups("inputs"), outputs: groups("outputs"),
            other: numbers(json["other"])
        )
    }

    static func render(_ status: Status, previous: (Status, Duration)?, address: String) -> String {
        func rate(_ value: Double?, _ old: Double?) -> String {
            guard let value, let old, let seconds = previous.map({ Double($0.1.components.seconds) + Double($0.1.components.attoseconds) / 1e18 }),
                seconds > 0
            else { return "-" }
            return count(max(0, value - old) / seconds)
        }
        var lines = ["sluice at \(address), up \(duration(status.uptime))", ""]
        lines.append(columns(["INPUT", "RECEIVED", "MSG/S", "BYTES/S", "CUT", "UNMATCHED"], widths: [24, 12, 10, 10, 8, 10]))
        for (name, values) in status.inputs.sorted(by: { $0.key < $1.key }) {
            let old = previous?.0.inputs[name]
            lines.append(columns([
                name, count(values["received_messages"]), rate(values["received_messages"], old?["received_messages"]),
                bytes(rateValue(values["received_bytes"], old?["received_bytes"], previous?.1)),
                count(values["cut_messages"]), count(values["unmatched_messages"]),
            ], widths: [24, 12, 10, 10, 8, 10]))
        }
        lines.append("")
        let outputColumns = ["OUTPUT", "ACCEPTED", "REC/S", "BUFFERED", "OPEN", "SEALED", "OLDEST", "UPLOADING", "OBJECTS", "UPLOADED", "FAILED", "DROPPED"]
        let widths = [10, 12, 10, 10, 6, 7, 8, 10, 9, 10, 7, 8]
        lines.append(columns(outputColumns, widths: widths))
        for (name, values) in status.outputs.sorted(by: { $0.key < $1.key }) {
            let old = previous?.0.outputs[name]
            let dropped = values.filter { $0.key.hasPrefix("buffer_overflow_dropped_records") }.values.reduce(0, +)
            lines.append(columns([
                name, count(values["buffered_records"]), rate(values["buffered_records"], old?["buffered_records"]),
                bytes(values["buffer_bytes"]), count(values["buffer_open_chunks"]), count(values["buffer_sealed_chunks"]),
                duration(values["buffer_oldest_chunk_age_seconds"] ?? 0), count(values["uploads_in_flight"]),
                count(values["uploaded_objects"]), bytes(values["uploaded_bytes"]),
                count((values["upload_failures"] ?? 0) + (values["failed_chunks"] ?? 0)), count(dropped),
            ], widths: widths))
        }
        if let unrouted = status.other["unrouted_messages"], unrouted > 0 {
            lines += ["", "unrouted messages (no <match>): \(count(unrouted))"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func rateValue(_ value: Double?, _ old: Double?, _ elapsed: Duration?) -> Double? {
        guard let value, let old, let elapsed else { return nil }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? max(0, value - old) / seconds : nil
    }

    static func columns(_ values: [String], widths: [Int]) -> String {
        zip(values, widths).enumerated().map { index, pair in
            let (value, width) = pair
            let padding = String(repeating: " ", count: max(1, width - value.count))
            return index == 0 ? value + padding : padding + value
        }.joined()
    }

    static func count(_ value: Double?) -> String {
        guard let value else { return "-" }
        switch value {
        case 10_000_000...: return String(format: "%.1fM", value / 1_000_000)
        case 100_000...: return String(format: "%.0fk", value / 1000)
        default: return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
        }
    }

    static func bytes(_ value: Double?) -> String {
        guard let value else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(scaled)) B" : String(format: "%.1f %@", scaled, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\(total % 3600 / 60)m"
    }
}
