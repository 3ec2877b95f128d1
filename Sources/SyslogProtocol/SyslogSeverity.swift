/// The severity half of a syslog PRI (PRI % 8), 0 (emerg) through 7 (debug).
public struct SyslogSeverity: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    /// Fails for values above 7.
    @inlinable
    public init?(rawValue: UInt8) {
        guard rawValue < 8 else { return nil }
        self.rawValue = rawValue
    }

    @usableFromInline
    init(uncheckedRawValue: UInt8) {
        self.rawValue = uncheckedRawValue
    }

    /// Fluentd's name for the severity (`in_syslog`'s `SEVERITY_MAP`): note `warn`,
    /// where rsyslog and RFC 5424 say `warning`.
    public var name: String {
        switch rawValue {
        case 0: "emerg"
        case 1: "alert"
        case 2: "crit"
        case 3: "err"
        case 4: "warn"
        case 5: "notice"
        case 6: "info"
        case 7: "debug"
        default: "unknown"
        }
    }

    public var description: String { name }

    public static let emerg = SyslogSeverity(uncheckedRawValue: 0)
    public static let alert = SyslogSeverity(uncheckedRawValue: 1)
    public static let crit = SyslogSeverity(uncheckedRawValue: 2)
    public static let err = SyslogSeverity(uncheckedRawValue: 3)
    public static let warn = SyslogSeverity(uncheckedRawValue: 4)
    public static let notice = SyslogSeverity(uncheckedRawValue: 5)
    public static let info = SyslogSeverity(uncheckedRawValue: 6)
    public static let debug = SyslogSeverity(uncheckedRawValue: 7)
}
