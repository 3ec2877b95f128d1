#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The header of a generated message, up to and including `seq=`, for one second of wall-clock time:
///
///     RFC 3164: <134>Nov 27 10:00:00 loadgen app[123]: seq=
///     RFC 5424: <134>1 2026-11-27T10:00:00.000000Z loadgen app 123 - - seq=
///
/// RFC 3164 stamps are local time, as rsyslog forwards them; RFC 5424 stamps are UTC. The header is
/// formatted once per second, so the fraction of an RFC 5424 stamp is always zero.
enum SyslogHeader {
    static func render(
        format: LoadGenerator.Format, wallSeconds: Int64, priority: Int, hostname: String, appName: String, processID: Int
    ) -> [UInt8] {
        var time = time_t(wallSeconds)
        var fields = tm()
        switch format {
        case .rfc3164:
            localtime_r(&time, &fields)
            let month = monthNames[Int(fields.tm_mon)]
            let day = fields.tm_mday < 10 ? " \(fields.tm_mday)" : "\(fields.tm_mday)"
            let clock = "\(pad2(fields.tm_hour)):\(pad2(fields.tm_min)):\(pad2(fields.tm_sec))"
            return Array("<\(priority)>\(month) \(day) \(clock) \(hostname) \(appName)[\(processID)]: seq=".utf8)
        case .rfc5424:
            gmtime_r(&time, &fields)
            let date = "\(fields.tm_year + 1900)-\(pad2(fields.tm_mon + 1))-\(pad2(fields.tm_mday))"
            let clock = "\(pad2(fields.tm_hour)):\(pad2(fields.tm_min)):\(pad2(fields.tm_sec))"
            return Array("<\(priority)>1 \(date)T\(clock).000000Z \(hostname) \(appName) \(processID) - - seq=".utf8)
        }
    }

    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func pad2(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Seconds since the epoch, from the wall clock.
    static func wallSecondsNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}
