#if canImport(Glibc)
import Glibc
#endif
import Codec
import NIOCore
import Synchronization
import SyslogProtocol

/// The fields Fluentd's in_syslog adds to each record when asked, after the parsed ones and in its
/// order: `severity_key` (alias `priority_key`) and `facility_key` with their names, `source_address_key`
/// with the sender's IP address and `source_hostname_key` with its name (reverse DNS, as
/// `resolve_hostname`); then Sluice's `client_subject_key`. Encoded once per slot or per sender, so the
/// hot path appends bytes and builds no strings.
struct RecordKeys: Sendable {
    var severity: String?
    var facility: String?
    var sourceAddress: String?
    var sourceHostname: String?
    var clientSubject: String?

    var isEmpty: Bool {
        severity == nil && facility == nil && sourceAddress == nil && sourceHostname == nil && clientSubject == nil
    }

    /// Whether a receiver must keep each datagram's sender (UDP has no one peer per batch).
    var needSender: Bool { sourceAddress != nil || sourceHostname != nil }

    /// `"severity":"info","facility":"auth"` for each facility/severity slot (`f * 8 + s`); nil without
    /// those keys.
    func slotFields() -> [[UInt8]]? {
        guard severity != nil || facility != nil else { return nil }
        var fields: [[UInt8]] = []
        for facility in 0..<SourceRouting.facilityCount {
            for severity in 0..<SourceRouting.severityCount {
                var pairs: [(String, String)] = []
                if let key = self.severity { pairs.append((key, SyslogSeverity(rawValue: UInt8(severity))!.name)) }
                if let key = self.facility { pairs.append((key, SyslogFacility(rawValue: UInt8(facility))!.name)) }
                fields.append(Self.join(pairs))
            }
        }
        return fields
    }

    /// The sender's fields: address, hostname, certificate subject, as the keys ask; nil for none.
    func senderFields(peer: SocketAddress?, identity: String?, hostnames: HostnameCache) -> [UInt8]? {
        var pairs: [(String, String)] = []
        let address = peer?.ipAddress ?? ""
        if let key = sourceAddress { pairs.append((key, address)) }
        if let key = sourceHostname { pairs.append((key, peer.map(hostnames.name) ?? "")) }
        if let key = clientSubject, let identity { pairs.append((key, identity)) }
        return pairs.isEmpty ? nil : Self.join(pairs)
    }

    private static func join(_ pairs: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONRecordEncoder.field(key: pair.0, value: pair.1)
        }
        return out
    }
}

/// Reverse DNS for `source_hostname_key`, once per address: the answer (or, without one, the address
/// itself, as Fluentd falls back) is kept, at most `capacity` of them. The lookup blocks its parser
/// worker, as Fluentd's blocks its event loop; a sender's batches after the first cost a dictionary hit.
final class HostnameCache: Sendable {
    private let names = Mutex<[String: String]>([:])
    private let capacity: Int

    init(capacity: Int = 65_536) {
        self.capacity = capacity
    }

    func name(_ peer: SocketAddress) -> String {
        let address = peer.ipAddress ?? ""
        if let known = names.withLock({ $0[address] }) { return known }
        let resolved = Self.reverseLookup(peer) ?? address
        names.withLock { names in
            if names.count >= capacity { names.removeAll(keepingCapacity: true) }
            names[address] = resolved
        }
        return resolved
    }

    private static func reverseLookup(_ peer: SocketAddress) -> String? {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = peer.withSockAddr { address, length in
            getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
        }
        guard status == 0 else { return nil }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
