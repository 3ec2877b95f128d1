/// A 64-bit digest of one message's bytes, stable across runs and machines: how a receiver recognises a
/// message a sender sends again (RELP after a lost acknowledgement). Not cryptographic: a sender can
/// only ever confuse its own messages.
public enum MessageDigest {
    private static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Eight bytes at a time, little-endian, multiply-rotate mixed, then finalised as SplitMix64 does.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = UInt64(bytes.count) &* multiplier
        var index = 0
        while bytes.count - index >= 8 {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            hash = ((hash ^ word) &* multiplier).rotated(by: 31)
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = ((hash ^ tail) &* multiplier).rotated(by: 31)
        hash ^= hash >> 30
        hash = hash &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 27
        hash = hash &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}

extension UInt64 {
    fileprivate func rotated(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
