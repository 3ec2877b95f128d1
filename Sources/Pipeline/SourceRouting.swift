import Codec
import NIOCore
import SyslogProtocol

/// Everything a parser worker needs to turn one source's frames into routed records, computed once:
/// the tag and the output of each facility/severity pair, so the hot path builds no strings.
struct SourceRouting: Sendable {
    let name: String
    let parser: SyslogParser
    /// Tag for facility f and severity s at `f * 8 + s`: `<tag>.<facility>.<severity>`.
    let tags: [String]
    /// Output index for the same slot; nil when no `<match>` takes that tag.
    let routes: [Int?]
    /// `<tag>.unmatched` and its output, when the source emits unparsable lines.
    let unmatched: (tag: String, route: Int?)?
    /// Fields records get beyond the parsed ones (`severity_key`, `source_address_key`, ...).
    let keys: RecordKeys
    /// `keys`' severity and facility fields per slot; nil when the source adds none.
    let slotFields: [[UInt8]]?
    let hostnames: HostnameCache

    static let facilityCount = 24
    static let severityCount = 8

    init(
        name: String, tag: String, parser: SyslogParser, emitUnmatchedLines: Bool, keys: RecordKeys = RecordKeys(),
        hostnames: HostnameCache = HostnameCache(), route: (String) -> Int?
    ) {
        self.name = name
        self.keys = keys
        self.slotFields = keys.slotFields()
        self.hostnames = hostnames
        self.parser = parser
        var tags: [String] = []
        var routes: [Int?] = []
        for facility in 0..<Self.facilityCount {
            for severity in 0..<Self.severityCount {
                let facilityName = SyslogFacility(rawValue: UInt8(facility))!.name
                let severityName = SyslogSeverity(rawValue: UInt8(severity))!.name
                let fullTag = "\(tag).\(facilityName).\(severityName)"
                tags.append(fullTag)
                routes.append(route(fullTag))
            }
        }
        self.tags = tags
        self.routes = routes
        if emitUnmatchedLines {
            let unmatchedTag = "\(tag).unmatched"
            unmatched = (unmatchedTag, route(unmatchedTag))
        } else {
            unmatched = nil
        }
    }

    /// The encoded sender fields (address, hostname, certificate subject) of records from `peer`; nil
    /// when the source adds none.
    func senderFields(peer: SocketAddress?, identity: String?) -> [UInt8]? {
        keys.senderFields(peer: peer, identity: identity, hostnames: hostnames)
    }

    static func slot(_ message: SyslogMessage) -> Int {
        Int(message.facility.rawValue) * severityCount + Int(message.severity.rawValue)
    }
}
