/// Fluentd's `exponential_backoff`: wait `retry_wait * 2^n`, at most `retry_max_interval`, each wait
/// randomised by ±12.5% so that many chunks failing together do not retry in lockstep.
struct RetryPolicy: Sendable, Hashable {
    var initialWait: Duration = .seconds(1)
    var maximumWait: Duration = .seconds(300)

    func wait(afterFailures failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 30)
        let base = min(initialWait * (1 << exponent), maximumWait)
        let jitter = Double.random(in: 0.875...1.125)
        return base * jitter
    }
}
