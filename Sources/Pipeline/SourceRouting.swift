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
    /// Output index for the same slot when its records go as JSON lines to one output with no
    /// filter on the way; nil otherwise (see `plans`).
    let routes: [Int?]
    /// For the same slot, the routes of records that pass filters, are copied, injected into or
    /// written in another format; nil when `routes` serves the slot or nothing takes it.
    let plans: [[RoutePlan]?]
    /// `<tag>.unmatched` and its output, when the source emits unparsable lines.
    let unmatched: (tag: String, route: Int?, plans: [RoutePlan]?)?
    /// Fields records get beyond the parsed ones (`severity_key`, `source_address_key`, ...).
    let keys: RecordKeys
    /// `keys`' severity and facility fields per slot; nil when the source adds none.
    let slotFields: [[UInt8]]?
    let hostnames: HostnameCache

    static let facilityCount = 24
    static let severityCount = 8

    init(
        name: String, tag: String, parser: SyslogParser, emitUnmatchedLines: Bool, keys: RecordKeys = RecordKeys(),
        hostnames: HostnameCache = HostnameCache(), plan: (String) -> SlotPlan
    ) {
        self.name = name
        self.keys = keys
        self.slotFields = keys.slotFields()
        self.hostnames = hostnames
        self.parser = parser
        var tags: [String] = []
        var routes: [Int?] = []
        var plans: [[RoutePlan]?] = []
        for facility in 0..<Self.facilityCount {
            for severity in 0..<Self.severityCount {
                let facilityName = SyslogFacility(rawValue: UInt8(facility))!.name
                let severityName = SyslogSeverity(rawValue: UInt8(severity))!.name
                let fullTag = "\(tag).\(facilityName).\(severityName)"
                tags.append(fullTag)
                let slotPlan = plan(fullTag)
                routes.append(slotPlan.direct)
                plans.append(slotPlan.transformed)
            }
        }
        self.tags = tags
        self.routes = routes
        self.plans = plans
        if emitUnmatchedLines {
            let unmatchedTag = "\(tag).unmatched"
            let slotPlan = plan(unmatchedTag)
            unmatched = (unmatchedTag, slotPlan.direct, slotPlan.transformed)
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

/// How the records of one tag travel.
enum SlotPlan: Sendable {
    /// No `<match>` takes them.
    case none
    /// JSON lines to this one output: the parser workers encode straight from the parsed message.
    case direct(Int)
    /// Through filters, to several outputs, or in another format: records are built as fields first.
    case transformed([RoutePlan])

    var direct: Int? {
        if case .direct(let output) = self { return output }
        return nil
    }

    var transformed: [RoutePlan]? {
        if case .transformed(let plans) = self { return plans }
        return nil
    }
}

/// One route of a tag: the filters on the way, and how the output writes the record.
struct RoutePlan: Sendable {
    let output: Int
    let filters: [RecordFilter]
    let formatter: RecordFormatter
}
