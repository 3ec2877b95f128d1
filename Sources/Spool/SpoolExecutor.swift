#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The thread the partition buffers run on. Their `pwrite`, `fdatasync` and `rename` block this
/// thread, not Swift's cooperative pool, where the parser workers run: a slow disk slows the buffer
/// stage (and, through the bounded queues, the input), never the parsing of what is already read.
///
/// A plain serial executor: jobs run in the order they were enqueued, one at a time, on one thread
/// that lives as long as the process.
final class SpoolExecutor: SerialExecutor, @unchecked Sendable {
    static let shared = SpoolExecutor()

    // Guarded by `mutex`.
    private var jobs: [UnownedJob] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let executor = Unmanaged<SpoolExecutor>.fromOpaque(context!).takeUnretainedValue()
            executor.run()
            return nil
        }, context)
        precondition(created == 0, "cannot start the spool's I/O thread: error \(created)")
        pthread_detach(thread)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        var running: [UnownedJob] = []
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty { pthread_cond_wait(condition, mutex) }
            swap(&running, &jobs)
            pthread_mutex_unlock(mutex)
            for job in running { job.runSynchronously(on: asUnownedSerialExecutor()) }
            running.removeAll(keepingCapacity: true)
        }
    }
}
