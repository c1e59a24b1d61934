import FoundationEssentials
import Synchronization
import TenantStorage

/// Readings that arrive after the admin app may have rolled up their hour (a gateway
/// uploading its backlog after hours or days offline), and the markers that make the next
/// rollup pass recompute those hours.
///
/// Cassandra has no atomic "lower this value" without a lightweight transaction, and a
/// marker row per commit would be a second write on ingest's hot path. So the ingest side
/// remembers, per gateway, the newest reading time it has seen (seeded once per store
/// instance from the stored data, so a restart forgets nothing), and only a commit holding
/// readings old enough to be in a closed hour writes a marker: one row in the `admin`
/// table, kind `rollup_late`, partition = gateway, key = the first hour to recompute.
/// In-order data never writes one.
///
/// The marker is written after the readings, so a rollup pass that reads it sees them. A
/// commit that fails between the two is resent by the gateway; the resent readings are
/// duplicates then, so duplicates that are late mark too (recomputing an hour from the same
/// readings changes nothing). Each marker carries an explicit write timestamp that grows
/// with every marker this store writes; the pass deletes the partition `USING TIMESTAMP`
/// the newest marker it read, which removes exactly the markers it acted on: one written
/// after it read survives (compare-and-clear without LWT). That order holds for one ingest
/// process per provider, the deployment; several would need clocks closer than a commit.
enum LateReadings {
    /// The `admin` kind of the markers.
    static let kind = "rollup_late"

    /// The first hour whose aggregates a reading at `at` can change: its own, or the one
    /// before when the previous instant's integration step (at most 10 minutes) ends at it.
    static func firstAffectedHour(_ at: EpochMillis) -> EpochMillis {
        RollupRules.floorHour(at - RollupRules.stepCap)
    }

    /// Whether a reading at `at` may be in an hour a rollup pass has closed, given the
    /// gateway's newest reading: passes close the hours ending `grace` before it.
    static func isLate(_ at: EpochMillis, newest: EpochMillis, grace: EpochMillis) -> Bool {
        firstAffectedHour(at) < RollupRules.floorHour(newest - grace)
    }
}

/// What one ``CassandraReadingStore`` remembers for late-reading markers: each gateway's
/// newest reading time, and the last marker timestamp it wrote.
final class LateReadingTracker: Sendable {
    private struct State {
        var newest: [String: EpochMillis] = [:]
        var lastStamp: Int64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The newest reading time known for `gateway`, nil until it is seeded.
    func newest(_ gateway: String) -> EpochMillis? {
        state.withLock { $0.newest[gateway] }
    }

    /// Takes the span of a commit's readings per gateway (and the stored newest for gateways
    /// seen for the first time) and returns, per gateway with late readings, the first hour
    /// to recompute. Remembers the new newest times first: a failed commit then only makes
    /// later ones mark more, never less.
    func lateHours(
        spans: [String: (min: EpochMillis, max: EpochMillis)], seeds: [String: EpochMillis], grace: EpochMillis
    ) -> [String: EpochMillis] {
        state.withLock { state in
            var late: [String: EpochMillis] = [:]
            for (gateway, span) in spans {
                let newest = max(state.newest[gateway] ?? seeds[gateway] ?? span.max, span.max)
                state.newest[gateway] = newest
                if LateReadings.isLate(span.min, newest: newest, grace: grace) { late[gateway] = LateReadings.firstAffectedHour(span.min) }
            }
            return late
        }
    }

    /// A write timestamp (µs) above every one this tracker handed out before.
    func nextStamp() -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return state.withLock { state in
            state.lastStamp = max(now, state.lastStamp + 1)
            return state.lastStamp
        }
    }
}
