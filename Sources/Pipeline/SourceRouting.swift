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
    /// For the same slot, out_file's time and tag before each direct line; nil for JSON lines.
    let prefixes: [OutFilePrefix?]
    /// `<tag>.unmatched` and its output, when the source emits unparsable lines.
    let unmatched: (tag: String, route: Int?, plans: [RoutePlan]?, prefix: OutFilePrefix?)?
    /// Fields records get beyond the parsed ones (`severity_key`, `source_address_key`, ...).
    let keys: RecordKeys
    /// `keys`' severity and facility fields per slot; nil when the source adds none.
    let slotFields: [[UInt8]]?
    let hostnames: HostnameCache
    /// `<parse> @type none`: a record is the line after `<PRI>`, whole, under `message`, stamped with
    /// the time it arrived (Fluentd's none parser).
    var keepsLinesWhole = false

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
        var prefixes: [OutFilePrefix?] = []
        for facility in 0..<Self.facilityCount {
            for severity in 0..<Self.severityCount {
                let facilityName = SyslogFacility(rawValue: UInt8(facility))!.name
                let severityName = SyslogSeverity(rawValue: UInt8(severity))!.name
                let fullTag = "\(tag).\(facilityName).\(severityName)"
                tags.append(fullTag)
                let slotPlan = plan(fullTag)
                routes.append(slotPlan.direct)
                plans.append(slotPlan.transformed)
                prefixes.append(slotPlan.prefix)
            }
        }
        self.tags = tags
        self.routes = routes
        self.plans = plans
        self.prefixes = prefixes
        if emitUnmatchedLines {
            let unmatchedTag = "\(tag).unmatched"
            let slotPlan = plan(unmatchedTag)
            unmatched = (unmatchedTag, slotPlan.direct, slotPlan.transformed, slotPlan.prefix)
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
    /// The same, each line after out_file's time and tag.
    case directOutFile(Int, OutFilePrefix)
    /// Through filters, to several outputs, or in another format: records are built as fields first.
    case transformed([RoutePlan])

    var direct: Int? {
        switch self {
        case .direct(let output), .directOutFile(let output, _): output
        default: nil
        }
    }

    var prefix: OutFilePrefix? {
        if case .directOutFile(_, let prefix) = self { return prefix }
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

extension SourceRouting {
    /// `{"message":"<the rest>"...}` and LF, with the slot's and the sender's fields.
    func appendWholeLineRecord(_ bytes: UnsafeRawBufferPointer, from start: Int, slot: Int, senderFields: [UInt8]?, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"message":"#.utf8)
        var end = bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        JSONRecordEncoder.appendJSONString(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), to: &out)
        if let fields = slotFields?[slot], !fields.isEmpty {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: fields)
        }
        if let senderFields, !senderFields.isEmpty {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: senderFields)
        }
        out.append(contentsOf: "}\n".utf8)
    }
}
