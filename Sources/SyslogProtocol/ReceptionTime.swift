import CivilTime

/// When a frame was received, with the local year and month it falls in: what an RFC 3164 stamp,
/// which carries no year, is read against. A worker makes one per batch (``SyslogParser/receptionTime(_:)``),
/// so that the calendar is worked out once per batch rather than once per message.
public struct ReceptionTime: Sendable {
    /// Unix seconds of reception.
    public let seconds: Int64
    /// The year and month (1-12) at `seconds` in the zone the time was made for.
    public let localYear: Int64
    public let localMonth: Int64

    public init(seconds: Int64, utcOffsetSeconds: Int64) {
        self.seconds = seconds
        let local = seconds + utcOffsetSeconds
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let today = CivilDate.civilFromDays(days)
        self.localYear = today.year
        self.localMonth = today.month
    }

    /// The year of a year-less stamp in `month`, as Vector's `resolve_year` does: the current year,
    /// except that a December stamp received in January is last year's and a January stamp received
    /// in December next year's (clock skew around New Year).
    @inlinable
    public func year(ofStampIn month: Int64) -> Int64 {
        if month == 12 && localMonth == 1 { return localYear - 1 }
        if month == 1 && localMonth == 12 { return localYear + 1 }
        return localYear
    }
}
