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
    /// Sets glibc's malloc for a pipeline's two kinds of buffer.
    ///
    /// Upload parts are buffers of `upload_part_size` (16 MiB), allocated and freed by the dozen per
    /// chunk. glibc's malloc raises its mmap threshold each time such a buffer is freed, after which
    /// they come from heap arenas that keep their pages; a fixed threshold keeps every allocation of
    /// 1 MiB or more in its own mapping, returned to the system when freed, so resident memory
    /// follows the parts in flight.
    ///
    /// Everything smaller (reads, batches of records, a few hundred KiB each) is allocated and freed
    /// by the thousand per second. A fixed mmap threshold also fixes the trim threshold at 128 KiB, and
    /// the arenas then hand such memory back and fault it in again, page by page, moments later
    /// (page faults were 8% of the CPU under load). Arenas keep up to 32 MiB free instead.
    static func configureMalloc() {
        #if canImport(Glibc)
        // <malloc.h> is not part of the Glibc module: mallopt is looked up; M_MMAP_THRESHOLD is -3,
        // M_TRIM_THRESHOLD -1.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        _ = mallopt(-3, 1 << 20)
        _ = mallopt(-1, 32 << 20)
        #endif
    }
}
