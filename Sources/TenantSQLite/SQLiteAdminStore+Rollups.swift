import TenantStorage

extension SQLiteAdminStore: PowerRollupStore {
    /// Per-hour aggregates of `[?2, ?3)` straight from readings: instants are summed over
    /// sensors, power is integrated as left rectangles (a step to the next instant, capped at
    /// 10 minutes so that gaps do not count as production; the newest instant of all counts
    /// 60 s). Instants up to 10 minutes past `?3` are read and, past them, only whether any
    /// later reading exists, so an hour's integral does not depend on where the range ends:
    /// rollups written in chunks, passes or recomputations equal one computation.
    private static let hourlyFromReadings = """
        WITH inst AS (
            SELECT at, SUM(power) AS total FROM readings WHERE gateway = ?1 AND at >= ?2 AND at < ?3 + \(RollupRules.stepCap) GROUP BY at
        ), steps AS (
            SELECT at, total, MIN(COALESCE(LEAD(at) OVER (ORDER BY at) - at,
                CASE WHEN EXISTS (SELECT 1 FROM readings WHERE gateway = ?1 AND at >= ?3 + \(RollupRules.stepCap))
                THEN \(RollupRules.stepCap) ELSE \(RollupRules.lastStep) END), \(RollupRules.stepCap)) AS dt
            FROM inst
        )
        SELECT (at / 3600000) * 3600000 AS hour, COUNT(*), SUM(total), MAX(total), SUM(total * dt) / 3600000.0
        FROM steps WHERE at < ?3 GROUP BY hour ORDER BY hour
        """

    /// Per-hour energy from the sensors' cumulative counters: each delta is credited to the
    /// hour of its later reading; a counter that went backwards (reset) credits nothing. The
    /// hour before `?2` gives each counter its previous value.
    private static let counterFromReadings = """
        WITH c AS (
            SELECT at, energy - LAG(energy) OVER (PARTITION BY sensor ORDER BY at) AS d
            FROM readings WHERE gateway = ?1 AND at >= ?2 - 3600000 AND at < ?3 AND energy IS NOT NULL
        )
        SELECT (at / 3600000) * 3600000 AS hour, SUM(MAX(d, 0)) FROM c WHERE at >= ?2 AND d IS NOT NULL GROUP BY hour
        """

    private struct RawHour: Sendable {
        var hour: EpochMillis, samples: Int, sum: Double, max: Double, powerWh: Double, counterWh: Double?
        var bucket: HourBucket {
            HourBucket(hour: hour, samples: samples, meanPower: samples > 0 ? sum / Double(samples) : 0, peakPower: max, energy: counterWh ?? powerWh)
        }
    }

    private static func computeHours(_ db: SQLiteConnection, gateway: String, from: EpochMillis, to: EpochMillis) throws -> [RawHour] {
        guard from < to else { return [] }
        let bindings: [SQLiteValue] = [.text(gateway), .integer(from), .integer(to)]
        var counters: [EpochMillis: Double] = [:]
        for row in try db.query(counterFromReadings, bindings) {
            if let hour = row.int64(0), let wh = row.double(1) { counters[hour] = wh }
        }
        return try db.query(hourlyFromReadings, bindings).map { row in
            let hour = row.int64(0) ?? 0
            return RawHour(
                hour: hour, samples: row.int(1) ?? 0, sum: row.double(2) ?? 0, max: row.double(3) ?? 0,
                powerWh: row.double(4) ?? 0, counterWh: counters[hour])
        }
    }

    public func hourly(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        try await database.read { db in try Self.hourly(db, gateway: gateway, from: from, to: to) }
    }

    public func energy(gateways: [String], from: EpochMillis, to: EpochMillis) async throws -> [String: Double] {
        try await database.read { db in
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
                "SELECT hour, samples, power_sum, power_max, power_wh, counter_wh FROM power_hourly WHERE gateway = ? AND hour >= ? AND hour < ? ORDER BY hour",
                [.text(gateway), .integer(from), .integer(min(to, through))]
            ).map { row in
                RawHour(
                    hour: row.int64(0) ?? 0, samples: row.int(1) ?? 0, sum: row.double(2) ?? 0, max: row.double(3) ?? 0,
                    powerWh: row.double(4) ?? 0, counterWh: row.double(5)
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

    private static func insert(_ hours: [RawHour], gateway: String, in db: SQLiteConnection) throws {
        for h in hours {
            try db.run(
                "INSERT OR REPLACE INTO power_hourly (gateway, hour, samples, power_sum, power_max, power_wh, counter_wh) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.text(gateway), .integer(h.hour), .integer(Int64(h.samples)), .real(h.sum), .real(h.max), .real(h.powerWh), .real(h.counterWh)])
        }
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
