import CivilTime
import Crypto

/// The pieces of text SigV4 is built from: RFC 3986 percent-encoding with AWS's unreserved
/// set, lower-case hex digests, and the `20150830T123600Z` timestamp.
public enum SigV4Encoding {
    /// Percent-encodes every byte except `A-Z a-z 0-9 - . _ ~` (and `/` when `keepSlash`),
    /// with upper-case hex, as SigV4 and S3 object keys require.
    static func uriEncode(_ text: some StringProtocol, keepSlash: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                result.append("/")
            default:
                result.append("%")
                result.append(hexDigitsUpper[Int(byte >> 4)])
                result.append(hexDigitsUpper[Int(byte & 0x0f)])
            }
        }
        return result
    }

    /// Decodes `%XX` escapes; malformed escapes are kept as they are. `+` stays `+`.
    static func percentDecode(_ text: some StringProtocol) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let high = hexValue(iterator[iterator.startIndex]),
               let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Lower-case hexadecimal, two digits a byte.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var result = ""
        for byte in digest {
            result.append(hexDigitsLower[Int(byte >> 4)])
            result.append(hexDigitsLower[Int(byte & 0x0f)])
        }
        return result
    }

    static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(hasher.finalize())
    }

    /// `sha256("")`, the payload hash of a request without a body.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private static let hexDigitsUpper: [Character] = Array("0123456789ABCDEF")
    private static let hexDigitsLower: [Character] = Array("0123456789abcdef")

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// UTC timestamp in the two forms SigV4 uses, computed without `DateFormatter`.
struct SigV4Timestamp: Equatable {
    /// `20150830T123600Z`
    var dateTime: String
    /// `20150830`
    var date: String

    init(secondsSince1970 seconds: Int64) {
        dateTime = CivilTime(unixSeconds: seconds).formatted("%Y%m%dT%H%M%SZ")
        date = String(dateTime.prefix(8))
    }
}
