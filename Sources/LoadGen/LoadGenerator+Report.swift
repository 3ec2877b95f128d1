extension LoadGenerator {
    /// What a run sent. `sent` counts messages the sockets took; queued messages abandoned at the drain
    /// time-out are `unsent`, failed writes `errors`.
    public struct Report: Sendable {
        public struct Connection: Sendable {
            public var index: Int
            public var sent: Int
            public var sentBytes: Int
            public var errors: Int
            public var unsent: Int
            /// RELP: messages answered `200 OK`, and answered otherwise (0 for other transports).
            public var acknowledged = 0
            public var refused = 0
            /// Why the connection ended before the bound, if it did.
            public var failure: String?
        }

        public var transport: Transport
        public var format: Format
        /// From the start of sending (all connections open) to the close of the last one.
        public var elapsedSeconds: Double
        public var connections: [Connection]

        public var sent: Int { connections.reduce(0) { $0 + $1.sent } }
        public var sentBytes: Int { connections.reduce(0) { $0 + $1.sentBytes } }
        public var errors: Int { connections.reduce(0) { $0 + $1.errors } }
        public var unsent: Int { connections.reduce(0) { $0 + $1.unsent } }
        public var acknowledged: Int { connections.reduce(0) { $0 + $1.acknowledged } }
        public var refused: Int { connections.reduce(0) { $0 + $1.refused } }
        public var failures: [String] { connections.compactMap { connection in connection.failure.map { "connection \(connection.index): \($0)" } } }
        public var messagesPerSecond: Double { elapsedSeconds > 0 ? Double(sent) / elapsedSeconds : 0 }
        public var bytesPerSecond: Double { elapsedSeconds > 0 ? Double(sentBytes) / elapsedSeconds : 0 }

        /// The summary for a terminal, on one line.
        public var summary: String {
            var text = "sent \(sent) messages (\(Self.decimalString(Double(sentBytes) / 1e6, 1)) MB) in \(Self.decimalString(elapsedSeconds, 3)) s"
            text += " over \(connections.count) \(transport) connection\(connections.count == 1 ? "" : "s")"
            text += ": \(Self.decimalString(messagesPerSecond, 0)) msgs/s, \(Self.decimalString(bytesPerSecond / 1e6, 1)) MB/s, \(errors) errors"
            if transport == .relp { text += "; \(acknowledged) acknowledged, \(refused) refused" }
            if unsent > 0 { text += ", \(unsent) unsent at the drain time-out" }
            return text
        }

        /// One JSON object; `extra` adds members (numbers or already encoded JSON values) at the end.
        public func json(extra: [(String, String)] = []) -> String {
            var members: [(String, String)] = [
                ("sent", "\(sent)"),
                ("errors", "\(errors)"),
                ("unsent", "\(unsent)"),
                ("bytes", "\(sentBytes)"),
                ("elapsed_seconds", Self.decimalString(elapsedSeconds, 6)),
                ("messages_per_second", Self.decimalString(messagesPerSecond, 1)),
                ("bytes_per_second", Self.decimalString(bytesPerSecond, 1)),
                ("connections", "\(connections.count)"),
                ("transport", Self.quoted(transport.rawValue)),
                ("format", Self.quoted(format.rawValue)),
                ("failures", "[" + failures.map(Self.quoted).joined(separator: ",") + "]"),
            ]
            if transport == .relp {
                members += [("acknowledged", "\(acknowledged)"), ("refused", "\(refused)")]
            }
            members += extra
            return "{" + members.map { "\(Self.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }

        /// `value` with `places` decimals, without Foundation.
        public static func decimalString(_ value: Double, _ places: Int) -> String {
            guard value.isFinite else { return "0" }
            var scale = 1.0
            for _ in 0..<places { scale *= 10 }
            let scaled = Int64((abs(value) * scale).rounded())
            let sign = value < 0 && scaled != 0 ? "-" : ""
            guard places > 0 else { return sign + String(scaled) }
            let whole = scaled / Int64(scale)
            var fraction = String(scaled % Int64(scale))
            fraction = String(repeating: "0", count: places - fraction.count) + fraction
            return "\(sign)\(whole).\(fraction)"
        }

        static func quoted(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
    }

    /// A sample of a run in progress, for the live line.
    public struct Progress: Sendable {
        public var elapsedSeconds: Double
        public var sent: Int
        public var sentBytes: Int
        public var errors: Int
        /// RELP: answered `200 OK` so far.
        public var acknowledged: Int?
        /// Sent per second since the previous sample.
        public var messagesPerSecond: Double
        /// Messages rendered and queued in the generator, not yet taken by the sockets.
        public var waiting: Int

        public var line: String {
            "\(Report.decimalString(elapsedSeconds, 0)) s: \(Report.decimalString(messagesPerSecond, 0)) msgs/s, sent \(sent)"
                + (acknowledged.map { ", acknowledged \($0)" } ?? "") + ", errors \(errors)"
        }
    }
}
