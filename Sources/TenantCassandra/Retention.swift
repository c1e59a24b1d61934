import FoundationEssentials
import Synchronization
import TenantStorage

/// The provider's retention as the Cassandra paths apply it: raw readings (ingest) and hourly
/// rollups (tenant-admin) are written `USING TTL` so that the cluster expires them
/// (compaction drops whole expired SSTables with TimeWindowCompactionStrategy; no delete
/// pass, no tombstones). The settings are read at most once a minute, and only while
/// something is written.
final class Retention: Sendable {
    private struct State {
        var limits = ProviderLimits()
        var fetchedAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let refreshEvery: Duration

    init(refreshEvery: Duration = .seconds(60)) {
        self.refreshEvery = refreshEvery
    }

    /// The retention settings, read through `fetch` (one setting's stored value by key) when
    /// the cached ones are old.
    func limits(fetch: (String) async throws -> String?) async throws -> ProviderLimits {
        let cached = state.withLock { state -> ProviderLimits? in
            guard let at = state.fetchedAt, ContinuousClock.now - at < refreshEvery else { return nil }
            return state.limits
        }
        if let cached { return cached }
        var stored: [String: String] = [:]
        for key in [ProviderLimits.Key.retentionDays, ProviderLimits.Key.rollupRetentionDays] { stored[key] = try await fetch(key) }
        let limits = ProviderLimits(stored: stored)
        state.withLock { $0 = State(limits: limits, fetchedAt: .now) }
        return limits
    }

    /// The TTL (seconds) for a row about `at` kept `keep` ms: what is left of it counted from
    /// `at`, at least 1 s (Cassandra's limit is 20 years).
    static func ttl(keep: EpochMillis, at: EpochMillis, now: EpochMillis) -> Int32 {
        let left = (keep - (now - at)) / 1000
        return Int32(Swift.min(Swift.max(left, 1), 630_720_000))
    }
}
