import CoreMetrics
import NIOConcurrencyHelpers
import TenantModel

/// The server's metrics, named as Prometheus exports them (dashboards and alert rules
/// depend on these names). No per-gateway dimensions: one process serves one provider, and
/// a label per gateway would grow the series without bound.
///
/// The hot path pays little: readings and acks are counted once per group commit, not per
/// report; nacks and errors once per refused report or failed stream.
struct IngestMetrics: Sendable {
    typealias Name = MetricName.Ingest

    let readingsStored: Counter
    let readingsDuplicate: Counter
    let reportsAcked: Counter
    let nacks: Counter
    let errors: Counter
    /// Reports answered `nack code="rate-limited"` (also counted as nacks).
    let rateLimited: Counter
    let commits: Counter
    let connectionsOpen: Meter
    /// Weight (readings plus one per report) waiting for group commit: how far storage is behind.
    let queuedReadings: Meter
    let commitDuration: CoreMetrics.Timer
    /// Wall-clock time (Unix seconds) of the last commit that stored a new reading.
    let lastReadingTimestamp: Gauge
    /// Readings stored in the last 60 s, set when scraped (``refreshWindowedGauges(nowSeconds:)``).
    let readingsStoredLastMinute: Gauge
    let recent = NIOLockedValueBox(RecentCounts(window: 60))

    init(factory: any MetricsFactory) {
        readingsStored = Counter(label: Name.readingsStored, factory: factory)
        readingsDuplicate = Counter(label: Name.readingsDuplicate, factory: factory)
        reportsAcked = Counter(label: Name.reports, dimensions: [("result", "ack")], factory: factory)
        nacks = Counter(label: Name.reports, dimensions: [("result", "nack")], factory: factory)
        errors = Counter(label: Name.reports, dimensions: [("result", "error")], factory: factory)
        rateLimited = Counter(label: Name.reportsRateLimited, factory: factory)
        commits = Counter(label: Name.commits, factory: factory)
        connectionsOpen = Meter(label: Name.connections, factory: factory)
        queuedReadings = Meter(label: Name.queuedReadings, factory: factory)
        commitDuration = CoreMetrics.Timer(label: Name.commitDuration, factory: factory)
        lastReadingTimestamp = Gauge(label: Name.lastReadingTimestamp, factory: factory)
        readingsStoredLastMinute = Gauge(label: Name.readingsStoredLastMinute, factory: factory)
    }

    /// After a commit: counts, the last-reading time and the sliding window (one lock per commit).
    func committed(stored: Int, duplicates: Int, acked: Int, nowMillis: Int64) {
        readingsStored.increment(by: stored)
        readingsDuplicate.increment(by: duplicates)
        reportsAcked.increment(by: acked)
        guard stored > 0 else { return }
        lastReadingTimestamp.record(Double(nowMillis) / 1000)
        recent.withLockedValue { $0.add(stored, atSecond: nowMillis / 1000) }
    }

    func refreshWindowedGauges(nowSeconds: Int64) {
        readingsStoredLastMinute.record(recent.withLockedValue { $0.total(atSecond: nowSeconds) })
    }
}

/// Counts per second over a sliding window of whole seconds (a ring of buckets).
struct RecentCounts: Sendable {
    private var buckets: [(second: Int64, count: Int)]

    init(window: Int) {
        buckets = Array(repeating: (-1, 0), count: window)
    }

    mutating func add(_ count: Int, atSecond second: Int64) {
        let slot = Int(second % Int64(buckets.count))
        if buckets[slot].second != second { buckets[slot] = (second, 0) }
        buckets[slot].count += count
    }

    /// The sum over the window ending at `second` (inclusive).
    func total(atSecond second: Int64) -> Int {
        let oldest = second - Int64(buckets.count) + 1
        return buckets.reduce(0) { $0 + ($1.second >= oldest && $1.second <= second ? $1.count : 0) }
    }
}
