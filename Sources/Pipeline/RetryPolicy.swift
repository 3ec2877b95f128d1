/// How failed uploads are retried, as Fluentd's `<buffer>` retry parameters say.
///
/// `exponential_backoff` waits `retry_wait * 2^n`, at most `retry_max_interval`; `periodic` waits
/// `retry_wait` each time. Every wait is randomised by ±12.5% so that many chunks failing together do
/// not retry in lockstep. An upload is given up after `retry_max_times` retries or once `retry_timeout`
/// has passed since its first failure, whichever comes first, unless `retry_forever`.
struct RetryPolicy: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case exponentialBackoff, periodic }

    var kind: Kind = .exponentialBackoff
    var initialWait: Duration = .seconds(1)
    var maximumWait: Duration = .seconds(300)
    /// `retry_max_times`; nil for no limit by count.
    var maxRetries: Int? = nil
    /// `retry_timeout` (72 h by default); nil with `retry_forever`.
    var timeout: Duration? = .seconds(72 * 3600)

    func wait(afterFailures failures: Int) -> Duration {
        let jitter = Double.random(in: 0.875...1.125)
        guard kind == .exponentialBackoff else { return initialWait * jitter }
        let exponent = min(max(failures - 1, 0), 30)
        return min(initialWait * (1 << exponent), maximumWait) * jitter
    }

    /// Whether to stop retrying after `failures` failed attempts, the first `elapsed` ago.
    func givesUp(afterFailures failures: Int, failingFor elapsed: Duration) -> Bool {
        if let maxRetries, failures > maxRetries { return true }
        if let timeout, elapsed >= timeout { return true }
        return false
    }
}
