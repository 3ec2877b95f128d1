import Metrics

/// The names of Sluice's metrics, in one place so dashboards and code agree.
enum MetricName {
    static let receivedMessages = "sluice_received_messages_total"
    static let receivedBytes = "sluice_received_bytes_total"
    static let cutMessages = "sluice_cut_messages_total"
    static let droppedMessages = "sluice_dropped_messages_total"
    /// Datagrams the kernel dropped on a UDP source's socket (its receive buffer was full).
    static let udpKernelDrops = "sluice_udp_kernel_dropped_datagrams_total"
    /// Stream connections closed on arrival because `max_connections` were open.
    static let refusedConnections = "sluice_refused_connections_total"
    /// Stream connections closed after `idle_timeout` without data.
    static let idleClosedConnections = "sluice_idle_closed_connections_total"
    /// Stream connections being served (a gauge, kept by increments and decrements).
    static let openConnections = "sluice_open_connections"
    static let unmatchedMessages = "sluice_unmatched_messages_total"
    static let unroutedMessages = "sluice_unrouted_messages_total"
    /// Records discarded because the buffer was full, with `cause` (`overflow_action`).
    static let overflowDroppedRecords = "sluice_buffer_overflow_dropped_records_total"
    static let bufferedRecords = "sluice_buffered_records_total"
    static let sealedChunks = "sluice_sealed_chunks_total"
    static let uploadedObjects = "sluice_uploaded_objects_total"
    static let uploadedBytes = "sluice_uploaded_bytes_total"
    /// Parts of multipart uploads the bucket acknowledged.
    static let uploadedParts = "sluice_uploaded_parts_total"
    static let uploadFailures = "sluice_upload_failures_total"
    /// Gauges of each output's buffer, refreshed every second.
    static let bufferOpenChunks = "sluice_buffer_open_chunks"
    static let bufferSealedChunks = "sluice_buffer_sealed_chunks"
    static let bufferBytes = "sluice_buffer_bytes"
    static let bufferOldestAge = "sluice_buffer_oldest_chunk_age_seconds"
    static let uploadsInFlight = "sluice_uploads_in_flight"
    /// From taking a chunk to its object stored, per object (a histogram).
    static let uploadDuration = "sluice_upload_duration_seconds"
    /// Chunks whose upload was given up (`retry_max_times`, `retry_timeout`), set aside in `failed/`.
    static let failedChunks = "sluice_failed_chunks_total"
}
