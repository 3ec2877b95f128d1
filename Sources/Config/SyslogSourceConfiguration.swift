/// `<source> @type syslog`: one syslog listener, with Fluentd in_syslog's parameters.
public struct SyslogSourceConfiguration: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable, CaseIterable { case udp, tcp, tls }
    public enum MessageFormat: String, Sendable, Hashable, CaseIterable { case rfc3164, rfc5424, auto }
    public enum FrameType: String, Sendable, Hashable, CaseIterable { case traditional, octet_count }

    /// `<transport tls>` settings.
    public struct TLS: Sendable, Hashable {
        public var certificatePath: String
        public var privateKeyPath: String
        public var privateKeyPassphrase: String?
        public var caPath: String?
        public var clientCertificateAuthentication: Bool = false
    }

    /// `port`; default 5140. 0 asks for an ephemeral port.
    public var port: Int = 5140
    /// `bind`; default `0.0.0.0`.
    public var bind: String = "0.0.0.0"
    /// `tag` (required): records are tagged `<tag>.<facility>.<severity>`, as by Fluentd.
    public var tag: String
    /// `<transport udp|tcp|tls>`, or the older `protocol_type udp|tcp`; default udp.
    public var transport: Transport = .udp
    public var tls: TLS?
    /// `message_format`, at the source or in `<parse>`; default auto.
    public var messageFormat: MessageFormat = .auto
    /// `message_length_limit`; default 8192 bytes (Fluentd's is 2048, below rsyslog's 8096), at most 1 MiB.
    public var messageLengthLimit: Int = 8192
    /// `receive_buffer_size` (UDP): the socket's receive buffer; default 8 MiB.
    public var receiveBufferSize: Int = 8 << 20
    /// `max_connections` (tcp, tls): connections served at once; one more is accepted and closed at
    /// once, and counted. Default 4096: one per host for a fleet of a few thousand, within the
    /// open-files limit a service is commonly given.
    public var maxConnections: Int = 4096
    /// `idle_timeout` (tcp, tls): a connection that sends nothing for this long is closed; 0 never
    /// closes one. Default 10m: a quiet host keeps its connection through most lulls, a vanished
    /// one gives its slot back.
    public var idleTimeout: Duration = .seconds(600)
    /// `frame_type`; kept for compatibility: Sluice detects octet counting per frame.
    public var frameType: FrameType = .traditional
    /// `timezone` of timestamps without one, in seconds east of UTC; default 0.
    public var timezone: Int = 0
    /// `emit_unmatched_lines`; default false.
    public var emitUnmatchedLines: Bool = false
    public var sourceAddressKey: String?
    public var sourceHostnameKey: String?
    public var severityKey: String?
    public var facilityKey: String?
    public var priorityKey: String?
    /// `@id`.
    public var id: String?
    public var location: ConfigLocation

    public init(tag: String, location: ConfigLocation) {
        self.tag = tag
        self.location = location
    }

    static let maximumMessageLength = 1 << 20

    static let parameters = [
        "@type", "@id", "@log_level", "port", "bind", "tag", "protocol_type", "message_format",
        "message_length_limit", "frame_type", "timezone", "emit_unmatched_lines", "source_address_key",
        "source_hostname_key", "severity_key", "facility_key", "priority_key", "receive_buffer_size",
        "max_connections", "idle_timeout",
    ]

    /// Parameters that only a stream (tcp, tls) uses.
    static let streamParameters = ["max_connections", "idle_timeout"]

    /// Reads a `<source>` whose `@type` is syslog; nil when it has problems (already logged).
    init?(validating element: ConfigElement, log: ProblemLog) {
        let before = log.problems.count
        let reader = SectionReader(element, known: Self.parameters, sections: ["transport", "parse"], log: log)
        tag = reader.required("tag") ?? ""
        location = element.location
        if tag.contains(where: \.isWhitespace) {
            reader.badValue(reader.parameter("tag")!, expected: "a tag without spaces")
        }
        if let value = reader.integer("port", in: 0...65535) { port = value }
        if let value = reader.string("bind") {
            if value.isEmpty { reader.badValue(reader.parameter("bind")!, expected: "an address") } else { bind = value }
        }
        _ = reader.choice("@log_level", SystemConfiguration.LogLevel.self)
        id = reader.string("@id")
        let protocolType = reader.oneOf("protocol_type", ["udp", "tcp"]).flatMap(Transport.init(rawValue:))
        if let protocolType { transport = protocolType }
        if let value = reader.choice("message_format", MessageFormat.self) { messageFormat = value }
        if let value = reader.size("message_length_limit", in: 1...Self.maximumMessageLength) {
            messageLengthLimit = value
        }
        if let value = reader.size("receive_buffer_size", in: 4096...(1 << 30)) { receiveBufferSize = value }
        if let value = reader.integer("max_connections", in: 1...1_000_000) { maxConnections = value }
        if let value = reader.duration("idle_timeout") { idleTimeout = value }
        if let value = reader.choice("frame_type", FrameType.self) { frameType = value }
        if let value = reader.utcOffset("timezone") { timezone = value }
        if let value = reader.bool("emit_unmatched_lines") { emitUnmatchedLines = value }
        sourceAddressKey = reader.string("source_address_key")
        sourceHostnameKey = reader.string("source_hostname_key")
        severityKey = reader.string("severity_key")
        facilityKey = reader.string("facility_key")
        priorityKey = reader.string("priority_key")

        if let section = reader.section("transport") {
            readTransport(section, protocolType: protocolType, log: log)
        }
        if let section = reader.section("parse") {
            let parse = SectionReader(section, known: ["@type", "message_format"], log: log)
            if parse.type(known: ["syslog"], default: "syslog") != nil,
                let value = parse.choice("message_format", MessageFormat.self)
            {
                if reader.parameter("message_format") != nil {
                    log.error(
                        .duplicateParameter, at: parse.parameter("message_format")!.location, word: "message_format",
                        "'message_format' is set both in <source> and in <parse>; keep one"
                    )
                }
                messageFormat = value
            }
        }
        if transport == .udp {
            for name in Self.streamParameters {
                guard let parameter = reader.parameter(name) else { continue }
                log.warn(
                    .noEffectYet, at: parameter.location, word: name,
                    "'\(name)' applies to tcp and tls connections; this source is udp, which has none"
                )
            }
        }
        if log.problems.count > before { return nil }
    }

    private mutating func readTransport(_ section: ConfigElement, protocolType: Transport?, log: ProblemLog) {
        let tlsParameters = ["cert_path", "private_key_path", "private_key_passphrase", "ca_path", "client_cert_auth"]
        let reader = SectionReader(section, known: tlsParameters, log: log)
        let argument = section.argument.isEmpty ? "udp" : section.argument
        guard let value = Transport(rawValue: argument) else {
            log.error(
                .badValue, at: section.location, word: argument,
                "bad transport '\(argument)' in <transport>: expected udp, tcp or tls"
            )
            return
        }
        if let protocolType, protocolType != value {
            log.error(
                .badValue, at: section.location, word: argument,
                "<transport \(argument)> contradicts 'protocol_type \(protocolType.rawValue)'; keep one"
            )
        }
        transport = value
        if value == .tls {
            let certificatePath = reader.required("cert_path")
            let privateKeyPath = reader.required("private_key_path")
            var tls = TLS(certificatePath: certificatePath ?? "", privateKeyPath: privateKeyPath ?? "")
            tls.privateKeyPassphrase = reader.string("private_key_passphrase")
            tls.caPath = reader.string("ca_path")
            if let auth = reader.bool("client_cert_auth") { tls.clientCertificateAuthentication = auth }
            self.tls = tls
        } else if let first = section.parameters.first(where: { tlsParameters.contains($0.name) }) {
            log.error(
                .unknownParameter, at: first.location, word: first.name,
                "'\(first.name)' applies only to <transport tls>"
            )
        }
    }
}
