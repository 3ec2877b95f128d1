import Ingest
import Metrics

extension ConnectionEvents {
    /// A stream source's connection counts as metrics, labelled with its input name as the parser's
    /// counters are, so /api/status and `sluice top` show them beside what the source received.
    static func metrics(input: String) -> ConnectionEvents {
        let dimensions = [("input", input)]
        let refused = Counter(label: MetricName.refusedConnections, dimensions: dimensions)
        let closedIdle = Counter(label: MetricName.idleClosedConnections, dimensions: dimensions)
        let open = Meter(label: MetricName.openConnections, dimensions: dimensions)
        return ConnectionEvents(
            refused: { refused.increment() },
            closedIdle: { closedIdle.increment() },
            opened: { open.increment() },
            closed: { open.decrement() }
        )
    }
}
