#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock (CLOCK_REALTIME), read without Foundation: receive times, chunk creation, log lines.
public enum WallClock {
    /// Nanoseconds since the Unix epoch.
    @inlinable
    public static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// Seconds since the Unix epoch.
    @inlinable
    public static func seconds() -> Int64 {
        nanoseconds() / 1_000_000_000
    }
}
