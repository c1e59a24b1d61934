import FoundationEssentials
import Synchronization
import TenantStorage

/// The provider's raw-reading retention as the Cassandra ingest path applies it: readings
/// are written `USING TTL` so that the cluster expires them (compaction drops whole expired
/// SSTables with TimeWindowCompactionStrategy; no delete pass, no tombstones). The setting is
/// read at most once a minute, and only while readings are written.
final class ReadingRetention: Sendable {
    private struct State {
        var days: Int?
        var fetchedAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let refreshEvery: Duration

    init(refreshEvery: Duration = .seconds(60)) {
        self.refreshEvery = refreshEvery
    }

    /// Days to keep raw readings (nil: forever), read through `fetch` when the cached value is old.
    func days(fetch: () async throws -> String?) async throws -> Int? {
        let cached = state.withLock { state -> Int?? in
            guard let at = state.fetchedAt, ContinuousClock.now - at < refreshEvery else { return nil }
            return .some(state.days)
        }
        if let cached { return cached }
        let days = ProviderLimits(stored: [ProviderLimits.Key.retentionDays: try await fetch() ?? ""]).retentionDays
        state.withLock { $0 = State(days: days, fetchedAt: .now) }
        return days
    }

    /// The TTL (seconds) for a reading taken at `at`: what is left of its retention counted
    /// from when it was measured, at least 1 s (Cassandra's limit is 20 years).
    static func ttl(days: Int, at: EpochMillis, now: EpochMillis) -> Int32 {
        let left = (Int64(days) * 86_400_000 - (now - at)) / 1000
        return Int32(Swift.min(Swift.max(left, 1), 630_720_000))
    }
}
