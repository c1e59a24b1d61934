import FoundationEssentials
import TenantStorage

extension SQLiteAdminStore: PowerRollupStore {
    /// The hours of `[from, to)` from raw readings, by ``RollupRules/hours(_:from:to:laterExists:)``
    /// (the one definition both stores use), streamed row by row through its aggregator so a
    /// month's rollup step holds no readings in memory.
    private static func computeHours(_ db: SQLiteConnection, gateway: String, from: EpochMillis, to: EpochMillis) throws -> [HourAggregate] {
        guard from < to else { return [] }
        let window = RollupRules.readingWindow(from: from, to: to)
        let laterExists = try !db.query(
            "SELECT 1 FROM readings WHERE gateway = ? AND at >= ? LIMIT 1", [.text(gateway), .integer(window.upperBound)]).isEmpty
        var aggregator = HourlyAggregator(from: from, to: to, laterExists: laterExists)
        try db.forEachRow(
            "SELECT sensor, at, power, energy FROM readings WHERE gateway = ? AND at >= ? AND at < ? ORDER BY at, sensor",
            [.text(gateway), .integer(window.lowerBound), .integer(window.upperBound)]
        ) { row in
            aggregator.add(Reading(sensor: row.string(0) ?? "", at: row.int64(1) ?? 0, power: row.double(2) ?? 0, energy: row.double(3)))
        }
        return aggregator.finish()
    }

    public func hourly(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        try await database.read { db in try Self.hourly(db, gateway: gateway, from: from, to: to) }
    }

    public func energy(gateways: [String], from: EpochMillis, to: EpochMillis) async throws -> [String: Double] {
        try await database.readInBulk { db in
            var result: [String: Double] = [:]
            for gateway in gateways {
                result[gateway] = try Self.hourly(db, gateway: gateway, from: from, to: to).reduce(0) { $0 + $1.energy }
            }
            return result
        }
    }

    private static func hourly(_ db: SQLiteConnection, gateway: String, from: EpochMillis, to: EpochMillis) throws -> [HourBucket] {
        let from = RollupRules.floorHour(from), to = RollupRules.floorHour(to)
        let through = try db.query("SELECT through FROM rollup_state WHERE gateway = ?", [.text(gateway)]).first?.int64(0) ?? from
        var buckets: [HourBucket] = []
        if from < through {
            buckets = try db.query(
                "SELECT hour, samples, power_sum, power_max, power_wh, counter_wh, sensor_means FROM power_hourly WHERE gateway = ? AND hour >= ? AND hour < ? ORDER BY hour",
                [.text(gateway), .integer(from), .integer(min(to, through))]
            ).map { row in
                HourAggregate(
                    hour: row.int64(0) ?? 0, samples: row.int(1) ?? 0, sum: row.double(2) ?? 0, max: row.double(3) ?? 0,
                    powerWh: row.double(4) ?? 0, counterWh: row.double(5), sensorMeans: row.string(6).flatMap(Self.decodeSensorMeans)
                ).bucket
            }
        }
        buckets += try computeHours(db, gateway: gateway, from: max(from, through), to: to).map(\.bucket)
        return buckets
    }

    @discardableResult
    public func refreshRollup(gateway: String) async throws -> Int {
        try await refreshRollup(gateway: gateway, afterTakingMarker: {})
    }

    /// Where a gateway's rollup stands, read after the marker was taken.
    private struct RollupPlan: Sendable {
        /// First hour not rolled up; nil before the first pass.
        var through: EpochMillis?
        /// First rolled-up hour that late readings reopened, if any.
        var redo: EpochMillis?
        /// Hours before this are closed (newest reading minus the grace, rounded down).
        var cutoff: EpochMillis
        /// Where the first pass starts: the hour of the oldest reading.
        var oldestHour: EpochMillis
    }

    /// ``refreshRollup(gateway:)``; `afterTakingMarker` runs between taking the late-reading
    /// marker and the reads that recompute (tests commit there to race a pass).
    func refreshRollup(gateway: String, afterTakingMarker: @Sendable () async throws -> Void) async throws -> Int {
        let grace = rollupGrace
        let id = SQLiteValue.text(gateway)
        // 1. Take ingest's marker (`changed_from`, the oldest reading stored since the last
        //    pass) under the write lock: a commit is either before the take, and every read
        //    below sees its readings, or after it, and marks the next pass. Hours it reopens
        //    are recorded as `redo_from` in the same transaction, so a failure or crash before
        //    they are recomputed loses nothing. Readings reaching back less than a step
        //    before `through` reopen nothing: later hours are rolled up fresh anyway.
        let marked = try await database.read { db in
            try db.query("SELECT changed_from FROM gateways WHERE id = ?", [id]).first?.int64(0)
        }
        if marked != nil {
            try await database.write { db in
                try db.transaction {
                    guard let changed = try db.query("SELECT changed_from FROM gateways WHERE id = ?", [id]).first?.int64(0) else { return }
                    try db.run("UPDATE gateways SET changed_from = NULL WHERE id = ?", [id])
                    try db.run(
                        "UPDATE rollup_state SET redo_from = min(coalesce(redo_from, ?2), ?2) WHERE gateway = ?1 AND ?2 < through",
                        [id, .integer(RollupRules.floorHour(changed - RollupRules.stepCap))])
                }
            }
        }
        try await afterTakingMarker()
        // 2. Plan on a reader: where the rollup stands and how far the data reaches.
        let plan = try await database.read { db -> RollupPlan? in
            guard let newest = try db.query("SELECT MAX(at) FROM readings WHERE gateway = ?", [id]).first?.int64(0) else { return nil }
            let cutoff = RollupRules.floorHour(newest - grace)
            if let state = try db.query("SELECT through, redo_from FROM rollup_state WHERE gateway = ?", [id]).first, let through = state.int64(0) {
                return RollupPlan(through: through, redo: state.int64(1), cutoff: cutoff, oldestHour: through)
            }
            let oldest = try db.query("SELECT MIN(at) FROM readings WHERE gateway = ?", [id]).first?.int64(0) ?? cutoff
            return RollupPlan(through: nil, redo: nil, cutoff: cutoff, oldestHour: RollupRules.floorHour(oldest))
        }
        guard let plan else { return 0 }
        var written = 0
        // 3. Recompute the reopened hours, oldest first; each chunk moves `redo_from` on with
        //    its rows (compare-and-set: a concurrent pass that moved it back wins).
        if let redo = plan.redo, let through = plan.through {
            var chunkStart = redo
            while chunkStart < through {
                let (from, to) = (chunkStart, min(through, chunkStart + Self.rollupChunk))
                let hours = try await database.read { db in try Self.computeHours(db, gateway: gateway, from: from, to: to) }
                try await database.write { db in
                    try db.transaction {
                        try db.run("DELETE FROM power_hourly WHERE gateway = ? AND hour >= ? AND hour < ?", [id, .integer(from), .integer(to)])
                        try Self.insert(hours, gateway: gateway, in: db)
                        try db.run(
                            "UPDATE rollup_state SET redo_from = ?3 WHERE gateway = ?1 AND redo_from = ?2",
                            [id, .integer(from), to < through ? .integer(to) : .null])
                    }
                }
                written += hours.count
                chunkStart = to
            }
        }
        // 4. Roll up the hours closed since the last pass. A month per step: the aggregation
        //    runs on a reader, the write lock is held only for the inserts, so ingest never
        //    waits long behind the admin app.
        var chunkStart = plan.through ?? plan.oldestHour
        while chunkStart < plan.cutoff {
            let (from, to) = (chunkStart, min(plan.cutoff, chunkStart + Self.rollupChunk))
            let hours = try await database.read { db in try Self.computeHours(db, gateway: gateway, from: from, to: to) }
            try await database.write { db in
                try db.transaction {
                    try Self.insert(hours, gateway: gateway, in: db)
                    try db.run(
                        "INSERT INTO rollup_state (gateway, through) VALUES (?1, ?2) ON CONFLICT (gateway) DO UPDATE SET through = max(through, ?2)",
                        [id, .integer(to)])
                }
            }
            written += hours.count
            chunkStart = to
        }
        return written
    }

    /// Hours per aggregation step of a rollup pass (31 days).
    private static let rollupChunk: EpochMillis = 31 * 24 * RollupRules.hourMillis

    private static func insert(_ hours: [HourAggregate], gateway: String, in db: SQLiteConnection) throws {
        for h in hours {
            try db.run(
                "INSERT OR REPLACE INTO power_hourly (gateway, hour, samples, power_sum, power_max, power_wh, counter_wh, sensor_means) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(gateway), .integer(h.hour), .integer(Int64(h.samples)), .real(h.sum), .real(h.max), .real(h.powerWh), .real(h.counterWh),
                 .text(try h.sensorMeans.map(encodeSensorMeans))])
        }
    }

    private static func encodeSensorMeans(_ means: [String: Double]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(means), as: UTF8.self)
    }

    /// nil for a value this version cannot read: the hour still has its total.
    private static func decodeSensorMeans(_ text: String) -> [String: Double]? {
        try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8))
    }

    public func powerSeries(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [(at: EpochMillis, power: Double)] {
        let rows = try await database.read { db in
            try db.query(
                "SELECT at, SUM(power) FROM readings WHERE gateway = ? AND at >= ? AND at < ? GROUP BY at ORDER BY at",
                [.text(gateway), .integer(from), .integer(to)])
        }
        return rows.map { (at: $0.int64(0) ?? 0, power: $0.double(1) ?? 0) }
    }
}
