#if canImport(Glibc)
import Glibc
#endif

/// The process's own CPU time and peak resident memory, logged at exit so a load test can read them.
struct ResourceUsage {
    var cpuSeconds: Double
    var peakResidentKilobytes: Int

    static func current() -> ResourceUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ResourceUsage(cpuSeconds: user + system, peakResidentKilobytes: Int(usage.ru_maxrss))
    }
}
