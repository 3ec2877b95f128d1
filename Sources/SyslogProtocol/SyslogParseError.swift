/// Why a frame could not be parsed, and where.
///
/// A struct with a nested `Code` (as swift-service-lifecycle's
/// `ServiceRunnerError`) so that new codes do not break exhaustive switches in
/// callers. The pipeline keeps the raw frame as an unmatched line on any error.
public struct SyslogParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case missingPriority
            case invalidPriority
            case invalidVersion
            case invalidTimestamp
            case invalidHeader
            case invalidHostname
            case invalidAppName
            case invalidProcID
            case invalidMsgID
            case invalidStructuredData
        }

        fileprivate var base: Base

        /// The frame does not start with `<`.
        public static let missingPriority = Code(base: .missingPriority)
        /// `<PRI>` is not 1-3 digits closed by `>` with a value of at most 191.
        public static let invalidPriority = Code(base: .invalidPriority)
        /// RFC 5424 VERSION is not 1-999 followed by a space.
        public static let invalidVersion = Code(base: .invalidVersion)
        /// The stamp is neither `Mmm dd [yyyy] hh:mm:ss[.frac]`, RFC 3339 nor (RFC 5424) `-`,
        /// or names a date or time that does not exist.
        public static let invalidTimestamp = Code(base: .invalidTimestamp)
        /// The header ends early or a separator is missing.
        public static let invalidHeader = Code(base: .invalidHeader)
        /// RFC 5424 HOSTNAME is not 1-255 printable US-ASCII characters.
        public static let invalidHostname = Code(base: .invalidHostname)
        /// RFC 5424 APP-NAME is not 1-48 printable US-ASCII characters.
        public static let invalidAppName = Code(base: .invalidAppName)
        /// RFC 5424 PROCID is not 1-128 printable US-ASCII characters.
        public static let invalidProcID = Code(base: .invalidProcID)
        /// RFC 5424 MSGID is not 1-32 printable US-ASCII characters.
        public static let invalidMsgID = Code(base: .invalidMsgID)
        /// RFC 5424 STRUCTURED-DATA is neither `-` nor well-formed `[id name="value"…]` elements
        /// followed by a space or the end of the frame.
        public static let invalidStructuredData = Code(base: .invalidStructuredData)

        public var description: String {
            switch base {
            case .missingPriority: "missingPriority"
            case .invalidPriority: "invalidPriority"
            case .invalidVersion: "invalidVersion"
            case .invalidTimestamp: "invalidTimestamp"
            case .invalidHeader: "invalidHeader"
            case .invalidHostname: "invalidHostname"
            case .invalidAppName: "invalidAppName"
            case .invalidProcID: "invalidProcID"
            case .invalidMsgID: "invalidMsgID"
            case .invalidStructuredData: "invalidStructuredData"
            }
        }

        fileprivate var hint: String {
            switch base {
            case .missingPriority: "a syslog frame starts with <PRI>; is the sender forwarding plain text?"
            case .invalidPriority: "expected <0> to <191>"
            case .invalidVersion: "expected an RFC 5424 VERSION (1-999) and a space after <PRI>"
            case .invalidTimestamp: "expected 'Mmm dd hh:mm:ss', an RFC 3339 time or '-'"
            case .invalidHeader: "the header ended early or lacks a space separator"
            case .invalidHostname: "RFC 5424 HOSTNAME must be 1-255 printable ASCII characters"
            case .invalidAppName: "RFC 5424 APP-NAME must be 1-48 printable ASCII characters"
            case .invalidProcID: "RFC 5424 PROCID must be 1-128 printable ASCII characters"
            case .invalidMsgID: "RFC 5424 MSGID must be 1-32 printable ASCII characters"
            case .invalidStructuredData: "RFC 5424 STRUCTURED-DATA must be '-' or [id name=\"value\"] elements, then a space"
            }
        }
    }

    public var code: Code
    /// Byte offset into the frame where parsing stopped.
    public var offset: Int

    public init(code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        "SyslogParseError.\(code) at byte \(offset): \(code.hint)"
    }
}
