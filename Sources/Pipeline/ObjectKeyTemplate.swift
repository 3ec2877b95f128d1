import CivilTime
import Spool

/// Renders `s3_object_key_format` for a chunk, as Fluentd's out_s3 does, except that every placeholder
/// comes from the chunk's durable identity: a retry, or a replay after a crash, writes the same key
/// and so overwrites instead of adding a second object.
///
/// `%{path}`, `%{time_slice}` (the slice start in `time_slice_format`), `%{index}` (the chunk's number
/// within its slice), `%{file_extension}`, `%{chunk_id}`, `%{uuid_flush}` and `%{hex_random}` (both
/// derived from the chunk id), `%{hostname}`; then `${tag}`, `${tag[N]}` and strftime fields of the slice.
public struct ObjectKeyTemplate: Sendable, Hashable {
    public static let fluentdDefault = "%{path}%{time_slice}_%{index}.%{file_extension}"

    public var format: String
    public var path: String
    public var timeSliceFormat: String
    public var fileExtension: String
    public var hostname: String
    /// Zone the slice is written in, seconds east of UTC.
    public var utcOffset: Int64
    /// Length of `%{hex_random}` (Fluentd's `hex_random_length`).
    public var hexRandomLength: Int
    /// How `%{index}` is written (Fluentd's `index_format`): `%d`, `%x`, `%X`, zero-padded as `%03d`.
    public var indexFormat: String = "%d"

    public init(
        format: String = ObjectKeyTemplate.fluentdDefault,
        path: String,
        timeSliceFormat: String,
        fileExtension: String,
        hostname: String,
        utcOffset: Int64 = 0,
        hexRandomLength: Int = 4
    ) {
        self.format = format
        self.path = path
        self.timeSliceFormat = timeSliceFormat
        self.fileExtension = fileExtension
        self.hostname = hostname
        self.utcOffset = utcOffset
        self.hexRandomLength = hexRandomLength
    }

    /// Fluentd's `time_slice_format` for a `timekey` of this many seconds.
    public static func timeSliceFormat(forTimekey timekey: Int64) -> String {
        switch timekey {
        case ..<1: ""
        case ..<60: "%Y%m%d%H%M%S"
        case ..<3600: "%Y%m%d%H%M"
        case ..<86_400: "%Y%m%d%H"
        default: "%Y%m%d"
        }
    }

    public func key(for chunk: SealedChunk) -> String {
        let civil = CivilTime(unixSeconds: chunk.key.timeSlice, utcOffset: utcOffset)
        let hex = chunk.id.hex
        let values: [String: String] = [
            "path": path,
            "time_slice": civil.formatted(timeSliceFormat, utcOffset: utcOffset),
            "index": Self.formatIndex(chunk.index, indexFormat),
            "file_extension": fileExtension,
            "chunk_id": hex,
            "uuid_flush": Self.uuid(fromHex: hex),
            "hex_random": String(hex.suffix(max(0, min(hexRandomLength, 32)))),
            "hostname": hostname,
        ]
        var key = Self.substitute(format, opening: "%{", values: { values[$0] })
        key = Self.substitute(key, opening: "${", values: { Self.tagValue($0, tag: chunk.key.tag) })
        return civil.formatted(key, utcOffset: utcOffset)
    }

    /// `%[0width](d|x|X)` as sprintf writes it.
    static func formatIndex(_ index: Int, _ format: String) -> String {
        guard format.hasPrefix("%"), let type = format.last else { return String(index) }
        let width = Int(format.dropFirst().dropLast()) ?? 0
        let digits = type == "d" ? String(index) : String(index, radix: 16, uppercase: type == "X")
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func tagValue(_ name: String, tag: String) -> String? {
        if name == "tag" { return tag }
        guard name.hasPrefix("tag["), name.hasSuffix("]"), let index = Int(name.dropFirst(4).dropLast()) else {
            return nil
        }
        let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
        let position = index < 0 ? parts.count + index : index
        return parts.indices.contains(position) ? String(parts[position]) : nil
    }

    /// Replaces `<opening>name}` with its value; unknown names stay as written.
    private static func substitute(_ text: String, opening: String, values: (String) -> String?) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: opening) {
            result += rest[..<start.lowerBound]
            let afterOpening = rest[start.upperBound...]
            guard let close = afterOpening.firstIndex(of: "}") else {
                rest = rest[start.lowerBound...]
                break
            }
            let name = String(afterOpening[..<close])
            result += values(name) ?? String(rest[start.lowerBound...close])
            rest = afterOpening[afterOpening.index(after: close)...]
        }
        return result + rest
    }

    /// 8-4-4-4-12 grouping of the chunk id, the shape of Fluentd's `%{uuid_flush}`.
    private static func uuid(fromHex hex: String) -> String {
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32]
        return groups.map { String(characters[$0]) }.joined(separator: "-")
    }
}
