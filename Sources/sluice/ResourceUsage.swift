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

extension ResourceUsage {
    /// Upload parts are buffers of `upload_part_size` (16 MiB), allocated and freed by the dozen per
    /// chunk. glibc's malloc raises its mmap threshold each time such a buffer is freed, after which
    /// they come from heap arenas that keep their pages; a fixed threshold keeps every allocation of
    /// 1 MiB or more in its own mapping, returned to the system when freed, so resident memory
    /// follows the parts in flight.
    static func returnLargeBuffersToTheSystem() {
        #if canImport(Glibc)
        // <malloc.h> is not part of the Glibc module: mallopt is looked up, M_MMAP_THRESHOLD is -3.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: MallOpt.self)(-3, 1 << 20)
        #endif
    }
}
