import CivilTime
import ArgumentParser
import Codec
import Foundation
import Pipeline
import SyslogProtocol

#if canImport(Glibc)
import Glibc
#endif

/// `sluice parse`: show what Sluice would store for each syslog line on stdin.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse syslog messages from stdin (one per line) and print, per message, the record Sluice would store.",
        discussion: """
            Each output line is a JSON object: {"tag":..,"time":"RFC 3339","record":{...}}, or \
            {"error":..,"input":..} for a message that cannot be parsed.
            """
    )

    @Option(help: "Message format: rfc3164, rfc5424 or auto (RFC 5424 when the header is '<PRI>1 ').")
    var format: String = "auto"

    @Option(help: "The source tag; records are tagged <tag>.<facility>.<severity>.")
    var tag: String = "system"

    @Option(help: "Offset of RFC 3164 time stamps from UTC, in seconds; the machine's zone by default, as `sluice run` reads them.")
    var utcOffset: Int32?

    func run() throws {
        guard let format = SyslogFormat(rawValue: format) else {
            throw ValidationError("unknown format '\(format)': use rfc3164, rfc5424 or auto")
        }
        let offset = utcOffset ?? Int32(TimeZone.current.secondsFromGMT())
        let parser = SyslogParser(configuration: .init(format: format, utcOffsetSeconds: offset))
        var output: [UInt8] = []
        while let line = readLine(strippingNewline: true) {
            var bytes = Array(line.utf8)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard !bytes.isEmpty else { continue }
            let now = Int64(time(nil))
            ParseReport.append(parsing: bytes, with: parser, tag: tag, now: now, to: &output)
            if output.count > 64 * 1024 { flush(&output) }
        }
        flush(&output)
    }

    private func flush(_ output: inout [UInt8]) {
        output.withUnsafeBytes { writeAll($0, to: STDOUT_FILENO) }
        output.removeAll(keepingCapacity: true)
    }
}

/// One line of `sluice parse` output.
enum ParseReport {
    static func append(parsing bytes: [UInt8], with parser: SyslogParser, tag: String, now: Int64, to output: inout [UInt8]) {
        bytes.withUnsafeBytes { frame in
            do {
                let message = try parser.parse(frame, now: now)
                let fullTag = "\(tag).\(message.facility.name).\(message.severity.name)"
                output.append(contentsOf: #"{"tag":"#.utf8)
                fullTag.utf8.withContiguousStorageIfAvailable { JSONRecordEncoder.appendJSONString(UnsafeRawBufferPointer($0), to: &output) }
                output.append(contentsOf: #","time":""#.utf8)
                output.append(contentsOf: rfc3339(message.timestamp ?? SyslogTimestamp(seconds: now)).utf8)
                output.append(contentsOf: #"","record":"#.utf8)
                JSONRecordEncoder.appendRecord(message, frame: frame, to: &output)
                // The encoder ends a record with LF; close the wrapper before it.
                output.removeLast()
                output.append(contentsOf: "}\n".utf8)
            } catch {
                output.append(contentsOf: #"{"error":"#.utf8)
                "\(error)".utf8.withContiguousStorageIfAvailable { JSONRecordEncoder.appendJSONString(UnsafeRawBufferPointer($0), to: &output) }
                output.append(contentsOf: #","input":"#.utf8)
                JSONRecordEncoder.appendJSONString(frame, to: &output)
                output.append(contentsOf: "}\n".utf8)
            }
        }
    }

    /// RFC 3339 in UTC, with as many fraction digits as the stamp had (up to nanoseconds).
    static func rfc3339(_ timestamp: SyslogTimestamp) -> String {
        let civil = CivilTime(unixSeconds: timestamp.seconds)
        var text = civil.formatted("%Y-%m-%dT%H:%M:%S")
        if timestamp.nanoseconds > 0 {
            var fraction = String(timestamp.nanoseconds)
            fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}
