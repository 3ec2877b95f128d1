/// `<source> @type syslog`: one syslog listener, with Fluentd in_syslog's parameters. `@type relp` takes
/// the same parameters for a RELP listener (rsyslog's `omrelp`), over TCP or TLS.
public struct SyslogSourceConfiguration: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case syslog, relp }
    public enum Transport: String, Sendable, Hashable, CaseIterable { case udp, tcp, tls }
    public enum MessageFormat: String, Sendable, Hashable, CaseIterable { case rfc3164, rfc5424, auto }
    public enum FrameType: String, Sendable, Hashable, CaseIterable { case traditional, octet_count }

    /// `<transport tls>` settings.
    public struct TLS: Sendable, Hashable {
        /// `min_version`: the oldest TLS a client may speak. Fluentd's names; `TLSv1_2` is read as `TLS1_2`.
        public enum Version: String, Sendable, Hashable, CaseIterable {
            case tls1_1 = "TLS1_1"
            case tls1_2 = "TLS1_2"
            case tls1_3 = "TLS1_3"

            var order: Int { Self.allCases.firstIndex(of: self)! }
        }

        /// `cert_path` (required): PEM, the server certificate then its intermediates.
        public var certificatePath: String
        /// `private_key_path` (required): PEM.
        public var privateKeyPath: String
        /// `private_key_passphrase`, for an encrypted key.
        public var privateKeyPassphrase: String?
        /// `ca_path`: PEM, the authorities client certificates are checked against.
        public var caPath: String?
        /// `client_cert_auth`; default false. True refuses clients without a certificate signed by `ca_path`.
        public var clientCertificateAuthentication: Bool = false
        /// `min_version`; default TLS1_2. `version` sets both ends, as in Fluentd.
        public var minimumVersion: Version = .tls1_2
        /// `max_version`; nil offers the newest.
        public var maximumVersion: Version?
        /// `ciphers`: an OpenSSL cipher list for TLS 1.2 and older.
        public var ciphers: String?
    }

    /// `@type`: syslog frames, or RELP sessions.
    public var kind: Kind = .syslog
    /// `port`; default 5140 (syslog) or 2514 (RELP). 0 asks for an ephemeral port.
    public var port: Int = 5140
    /// `bind`; default `0.0.0.0`.
    public var bind: String = "0.0.0.0"
    /// `tag` (required): records are tagged `<tag>.<facility>.<severity>`, as by Fluentd.
    public var tag: String
    /// `<transport udp|tcp|tls>`, or the older `protocol_type udp|tcp`; default udp (tcp for RELP).
    public var transport: Transport = .udp
    public var tls: TLS?
    /// `message_format`, at the source or in `<parse>`; default auto.
    public var messageFormat: MessageFormat = .auto
    /// `message_length_limit` for tcp, tls and RELP frames; default 64 KiB, as syslog-ng's (Fluentd's is
    /// 2048, rsyslog's 8096; sudo lines, audit records and forwarded Windows events run to tens of KiB),
    /// at most 1 MiB. A UDP datagram is always taken whole.
    public var messageLengthLimit: Int = 64 << 10
    /// `<parse> @type none`: the message is everything after `<PRI>`, unparsed, under `message`.
    public var parseNone: Bool = false

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
    /// `timezone` of timestamps without one, in seconds east of UTC; nil (the default) for the
    /// machine's zone, as Fluentd reads them.
    public var timezone: Int?
    /// `emit_unmatched_lines`; default false.
    public var emitUnmatchedLines: Bool = false
    public var sourceAddressKey: String?
    public var sourceHostnameKey: String?
    public var severityKey: String?
    public var facilityKey: String?
    public var priorityKey: String?
    /// `client_subject_key`: records get the subject of the sender's verified TLS client certificate
    /// under this key (e.g. `"tls_peer":"CN=host1,O=Example"`), so a host cannot pose as another.
    /// Needs `<transport tls>` with `client_cert_auth true`.
    public var clientSubjectKey: String?
    /// `@id`.
    public var id: String?
    /// `@label`: records are routed in that `<label>` instead of the top level.
    public var label: String?
    public var location: ConfigLocation

    public init(tag: String, kind: Kind = .syslog, location: ConfigLocation) {
        self.tag = tag
        self.kind = kind
        self.location = location
        if kind == .relp {
            port = Self.relpPort
            transport = .tcp
        }
    }

    /// The RELP port rsyslog's documentation uses.
    static let relpPort = 2514

    static let maximumMessageLength = 1 << 20

    static let parameters = [
        "@type", "@id", "@log_level", "@label", "port", "bind", "tag", "protocol_type", "message_format",
        "message_length_limit", "frame_type", "timezone", "emit_unmatched_lines", "source_address_key",
        "source_hostname_key", "severity_key", "facility_key", "priority_key", "receive_buffer_size",
        "client_subject_key", "max_connections", "idle_timeout", "resolve_hostname", "send_keepalive_packet",
        "blocking_timeout", "delimiter",
    ]

    static let tlsParameters = [
        "cert_path", "private_key_path", "private_key_passphrase", "ca_path", "client_cert_auth", "min_version",
        "max_version", "version", "ciphers", "insecure",
    ]

    /// Parameters that only a stream (tcp, tls) uses.
    static let streamParameters = ["max_connections", "idle_timeout"]

    /// Reads a `<source>` whose `@type` is syslog; nil when it has problems (already logged).
    init?(validating element: ConfigElement, kind: Kind = .syslog, log: ProblemLog) {
        let before = log.problems.count
        self.init(tag: "", kind: kind, location: element.location)
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
        label = reader.string("@label")
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
        // Fluentd: source_hostname_key needs names, so resolve_hostname defaults to true with it and
        // cannot be false.
        if let parameter = reader.parameter("resolve_hostname"), reader.bool("resolve_hostname") == false, sourceHostnameKey != nil {
            log.error(
                .conflictingSettings, at: parameter.location, word: parameter.name,
                "'resolve_hostname false' contradicts 'source_hostname_key': the hostname is found by resolving the address"
            )
        }
        if let parameter = reader.parameter("client_subject_key") {
            if parameter.value.isEmpty { reader.badValue(parameter, expected: "a record key") } else { clientSubjectKey = parameter.value }
        }

        if let section = reader.section("transport") {
            readTransport(section, protocolType: protocolType, log: log)
        }
        if let value = reader.string("delimiter"), value != "\n" {
            reader.badValue(reader.parameter("delimiter")!, expected: "\"\\n\" (syslog frames end at a newline or are octet-counted)")
        }
        for name in ["send_keepalive_packet", "blocking_timeout"] where reader.parameter(name) != nil {
            let parameter = reader.parameter(name)!
            log.warn(
                .noEffect, at: parameter.location, word: name,
                "'\(name)' has no effect in Sluice: idle connections are closed after idle_timeout, and reads never block"
            )
        }
        if let section = reader.section("parse") {
            let parse = SectionReader(
                section, known: ["@type", "message_format", "with_priority", "rfc5424_time_format", "time_format"], log: log)
            let type = parse.type(known: ["syslog", "none"], default: "syslog")
            if type == "none" { parseNone = true }
            // in_syslog reads <PRI> itself when its parser does not, so either way gives the same records.
            _ = parse.bool("with_priority")
            for name in ["rfc5424_time_format", "time_format"] where parse.parameter(name) != nil {
                log.warn(
                    .noEffect, at: parse.parameter(name)!.location, word: name,
                    "'\(name)' has no effect: Sluice reads every RFC 3164 and RFC 5424 stamp form senders use"
                )
            }
            if type == "syslog", let value = parse.choice("message_format", MessageFormat.self) {
                if reader.parameter("message_format") != nil {
                    log.error(
                        .duplicateParameter, at: parse.parameter("message_format")!.location, word: "message_format",
                        "'message_format' is set both in <source> and in <parse>; keep one"
                    )
                }
                messageFormat = value
            }
        }
        if let parameter = reader.parameter("client_subject_key"), tls?.clientCertificateAuthentication != true {
            // Without verified client certificates there is no subject to vouch for the sender.
            log.error(
                .conflictingSettings, at: parameter.location, word: parameter.name,
                "'client_subject_key' needs <transport tls> with 'client_cert_auth true': only a verified client certificate names the sender"
            )
        }
        if kind == .relp, transport == .udp {
            let location = element.elements.first { $0.name == "transport" }?.location
                ?? reader.parameter("protocol_type")?.location ?? element.location
            log.error(.badValue, at: location, word: "udp", "RELP runs over tcp or tls, not udp")
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
        let tlsParameters = Self.tlsParameters
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
            if tls.clientCertificateAuthentication, tls.caPath == nil, let parameter = reader.parameter("client_cert_auth") {
                log.error(
                    .missingParameter, at: parameter.location, word: parameter.name,
                    "'client_cert_auth true' needs 'ca_path' in <transport tls>: the CA file client certificates are checked against"
                )
            }
            let versions = TLS.Version.allCases.map(\.rawValue)
            let readVersion = { (name: String) in
                reader.read(name, expected: "one of " + versions.joined(separator: ", ")) {
                    TLS.Version(rawValue: $0.hasPrefix("TLSv") ? "TLS" + $0.dropFirst(4) : $0)
                }
            }
            if let version = readVersion("version") {
                tls.minimumVersion = version
                tls.maximumVersion = version
            }
            if let version = readVersion("min_version") { tls.minimumVersion = version }
            if let version = readVersion("max_version") { tls.maximumVersion = version }
            if let maximum = tls.maximumVersion, maximum.order < tls.minimumVersion.order {
                log.error(
                    .conflictingSettings, at: section.location, word: "max_version",
                    "<transport tls> offers no version: max_version \(maximum.rawValue) is older than min_version \(tls.minimumVersion.rawValue)"
                )
            }
            if let ciphers = reader.parameter("ciphers") {
                if ciphers.value.isEmpty { reader.badValue(ciphers, expected: "an OpenSSL cipher list") } else { tls.ciphers = ciphers.value }
            }
            if let insecure = reader.parameter("insecure"), reader.bool("insecure") == true {
                // Fluentd's `insecure` turns off certificate checks; a collector of security logs keeps them.
                log.error(
                    .badValue, at: insecure.location, word: "insecure",
                    "'insecure true' would accept TLS clients without checking them; Sluice refuses it: remove it, or drop client_cert_auth"
                )
            }
            self.tls = tls
        } else if let first = section.parameters.first(where: { tlsParameters.contains($0.name) }) {
            log.error(
                .unknownParameter, at: first.location, word: first.name,
                "'\(first.name)' applies only to <transport tls>"
            )
        }
    }
}
