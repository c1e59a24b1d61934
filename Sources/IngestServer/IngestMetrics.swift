import Metrics

/// The server's counters (dimension-free: one process serves one provider).
struct IngestMetrics: Sendable {
    let readingsStored = Counter(label: "ingest.readings.stored")
    let readingsDuplicate = Counter(label: "ingest.readings.duplicates")
    let reportsAcked = Counter(label: "ingest.reports.acked")
    let nacks = Counter(label: "ingest.nacks")
    let errors = Counter(label: "ingest.errors")
    let commits = Counter(label: "ingest.commits")
    let connectionsOpen = Meter(label: "ingest.connections.open")
    let commitDuration = Timer(label: "ingest.commit.duration")
}
