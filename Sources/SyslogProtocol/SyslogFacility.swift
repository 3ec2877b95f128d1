/// The facility half of a syslog PRI (PRI / 8), 0 through 23.
///
/// A struct rather than an enum so that the raw value round-trips without a
/// switch on the hot path, and so names can be added without breaking callers.
public struct SyslogFacility: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    /// Fails for values above 23, which no PRI can produce.
    @inlinable
    public init?(rawValue: UInt8) {
        guard rawValue < 24 else { return nil }
        self.rawValue = rawValue
    }

    @usableFromInline
    init(uncheckedRawValue: UInt8) {
        self.rawValue = uncheckedRawValue
    }

    /// Fluentd's name for the facility (`in_syslog`'s `FACILITY_MAP`), used in the
    /// `<tag>.<facility>.<severity>` tag. 13-15 are `audit`, `alert`, `at` as in
    /// Fluentd (rsyslog says `clock` for 15).
    public var name: String {
        switch rawValue {
        case 0: "kern"
        case 1: "user"
        case 2: "mail"
        case 3: "daemon"
        case 4: "auth"
        case 5: "syslog"
        case 6: "lpr"
        case 7: "news"
        case 8: "uucp"
        case 9: "cron"
        case 10: "authpriv"
        case 11: "ftp"
        case 12: "ntp"
        case 13: "audit"
        case 14: "alert"
        case 15: "at"
        case 16: "local0"
        case 17: "local1"
        case 18: "local2"
        case 19: "local3"
        case 20: "local4"
        case 21: "local5"
        case 22: "local6"
        case 23: "local7"
        default: "unknown"
        }
    }

    public var description: String { name }

    public static let kern = SyslogFacility(uncheckedRawValue: 0)
    public static let user = SyslogFacility(uncheckedRawValue: 1)
    public static let mail = SyslogFacility(uncheckedRawValue: 2)
    public static let daemon = SyslogFacility(uncheckedRawValue: 3)
    public static let auth = SyslogFacility(uncheckedRawValue: 4)
    public static let syslog = SyslogFacility(uncheckedRawValue: 5)
    public static let authpriv = SyslogFacility(uncheckedRawValue: 10)
    public static let cron = SyslogFacility(uncheckedRawValue: 9)
    public static let local0 = SyslogFacility(uncheckedRawValue: 16)
    public static let local7 = SyslogFacility(uncheckedRawValue: 23)
}
