import CoreMetrics

/// The server's counters (dimension-free: one process serves one provider).
struct IngestMetrics: Sendable {
    let readingsStored: Counter
    let readingsDuplicate: Counter
    let reportsAcked: Counter
    let nacks: Counter
    let errors: Counter
    let commits: Counter
    let connectionsOpen: Meter
    /// Weight (readings plus one per report) waiting for group commit: how far storage is behind.
    let queuedReadings: Meter
    let commitDuration: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        readingsStored = Counter(label: "ingest.readings.stored", factory: factory)
        readingsDuplicate = Counter(label: "ingest.readings.duplicates", factory: factory)
        reportsAcked = Counter(label: "ingest.reports.acked", factory: factory)
        nacks = Counter(label: "ingest.nacks", factory: factory)
        errors = Counter(label: "ingest.errors", factory: factory)
        commits = Counter(label: "ingest.commits", factory: factory)
        connectionsOpen = Meter(label: "ingest.connections.open", factory: factory)
        queuedReadings = Meter(label: "ingest.queue.readings", factory: factory)
        commitDuration = CoreMetrics.Timer(label: "ingest.commit.duration", factory: factory)
    }
}
