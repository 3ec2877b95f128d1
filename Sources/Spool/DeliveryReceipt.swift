// Receipt frame, in segment files beside the records frames (see Segment.swift for the frame itself).
// All integers little-endian.
//
//     Payload
//     offset  size  field
//     0       1     kind (2: receipt)
//     1       1     flags (0; reserved)
//     2       2     sender length S
//     4       4     digest count N
//     8       8     when the batch was received, Unix nanoseconds
//     16      S     sender, UTF-8
//     16+S    8*N   message digests, in the order the messages came
//
// A receipt is written right after the records of its batch, in the same append, so after a crash
// the log says which messages of a sender it holds, whether or not the sender was told (RELP).

/// The messages of one sender that one batch of records came from, by digest: what lets a receiver
/// recognise messages a sender sends again because it never saw them acknowledged.
public struct DeliveryReceipt: Sendable, Equatable {
    /// Who sent them: a receiver's name for one peer, e.g. `relp/0.0.0.0:2514 10.1.2.3`.
    public var sender: String
    /// When the batch was received, Unix nanoseconds: orders receipts found in several chunks.
    public var receivedAt: Int64
    /// One digest per message, in the order they came (`MessageDigest`).
    public var digests: [UInt64]

    public init(sender: String, receivedAt: Int64, digests: [UInt64]) {
        self.sender = sender
        self.receivedAt = receivedAt
        self.digests = digests
    }

    static let kind: UInt8 = 2
    static let fixedLength = 16

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.kind, 0]
        bytes.reserveCapacity(Self.fixedLength + sender.utf8.count + digests.count * 8)
        appendLittleEndian(UInt16(sender.utf8.count), to: &bytes)
        appendLittleEndian(UInt32(digests.count), to: &bytes)
        appendLittleEndian(receivedAt, to: &bytes)
        bytes.append(contentsOf: sender.utf8)
        for digest in digests { appendLittleEndian(digest, to: &bytes) }
        return bytes
    }

    static func isReceipt(_ payload: [UInt8]) -> Bool {
        payload.first == kind
    }

    static func decode(_ payload: [UInt8]) throws -> DeliveryReceipt {
        guard payload.count >= fixedLength, payload[0] == kind else {
            throw SpoolError(code: .corrupt, detail: "frame is not a receipt")
        }
        let senderLength = Int(readLittleEndian(payload, at: 2, as: UInt16.self))
        let count = Int(readLittleEndian(payload, at: 4, as: UInt32.self))
        let digestsStart = fixedLength + senderLength
        guard payload.count == digestsStart + count * 8,
            let sender = String(validating: payload[fixedLength..<digestsStart], as: UTF8.self)
        else {
            throw SpoolError(code: .corrupt, detail: "receipt lengths do not match its frame")
        }
        return DeliveryReceipt(
            sender: sender,
            receivedAt: readLittleEndian(payload, at: 8, as: Int64.self),
            digests: (0..<count).map { readLittleEndian(payload, at: digestsStart + $0 * 8, as: UInt64.self) }
        )
    }
}

/// The receipts recovery found, kept per sender and cut to the most recent `limit` digests each: a
/// sender resends at most its window of unacknowledged messages, so older ones never matter.
public struct RecoveredReceipts: Sendable, Equatable {
    /// As many as the RELP receiver compares a resend with (`ResendFilter.defaultWindow`): more would be
    /// read at start only to be dropped.
    public static let defaultLimit = 1024

    public let limit: Int
    private var receipts: [String: [DeliveryReceipt]] = [:]
    private var digestCounts: [String: Int] = [:]

    public init(limit: Int = RecoveredReceipts.defaultLimit) {
        self.limit = limit
    }

    mutating func add(_ receipt: DeliveryReceipt) {
        receipts[receipt.sender, default: []].append(receipt)
        digestCounts[receipt.sender, default: 0] += receipt.digests.count
        if digestCounts[receipt.sender]! > 2 * limit {
            trim(receipt.sender)
        }
    }

    /// Every sender's most recent digests, oldest first.
    public var digestsBySender: [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for sender in receipts.keys {
            let ordered = receipts[sender]!.sorted { $0.receivedAt < $1.receivedAt }
            result[sender] = Array(ordered.flatMap(\.digests).suffix(limit))
        }
        return result
    }

    public var isEmpty: Bool { receipts.isEmpty }

    private mutating func trim(_ sender: String) {
        var kept = receipts[sender]!.sorted { $0.receivedAt < $1.receivedAt }
        var count = digestCounts[sender]!
        while let first = kept.first, count - first.digests.count >= limit {
            count -= first.digests.count
            kept.removeFirst()
        }
        receipts[sender] = kept
        digestCounts[sender] = count
    }
}
