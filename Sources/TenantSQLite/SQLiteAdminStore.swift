import TenantStorage

/// ``AdminStore`` over a provider's SQLite database. Writes go through the database's
/// single writer connection; reads use the WAL readers and never wait for ingest.
public struct SQLiteAdminStore: AdminStore {
    /// The database this store reads and writes.
    public let database: SQLiteDatabase
    /// Hours are rolled up once the gateway's newest reading is this far past their end,
    /// so readings that arrive a little late or out of order still count.
    public let rollupGrace: EpochMillis

    public init(database: SQLiteDatabase, rollupGrace: EpochMillis = RollupRules.defaultGrace) {
        self.database = database
        self.rollupGrace = rollupGrace
    }


    // MARK: Customers

    private static let customerColumns = "id, name, email, address, recipients, created_at"

    private static func customer(_ row: SQLiteRow) -> Customer {
        Customer(
            id: row.int64(0) ?? 0, name: row.string(1) ?? "", email: row.string(2), address: row.string(3),
            recipients: (row.string(4) ?? "").split(separator: ",").map(String.init), createdAt: row.int64(5) ?? 0)
    }

    public func customers() async throws -> [Customer] {
        try await database.read { db in
            try db.query("SELECT \(Self.customerColumns) FROM customers ORDER BY name COLLATE NOCASE, id").map(Self.customer)
        }
    }

    public func customer(id: Int64) async throws -> Customer? {
        try await database.read { db in
            try db.query("SELECT \(Self.customerColumns) FROM customers WHERE id = ?", [.integer(id)]).first.map(Self.customer)
        }
    }

    public func createCustomer(_ draft: CustomerDraft, at: EpochMillis) async throws -> Customer {
        try await database.write { db in
            try db.run(
                "INSERT INTO customers (name, email, address, recipients, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(draft.name), .text(draft.email), .text(draft.address), .text(draft.recipients.joined(separator: ",")), .integer(at)])
            return Customer(
                id: db.lastInsertRowID, name: draft.name, email: draft.email, address: draft.address,
                recipients: draft.recipients, createdAt: at)
        }
    }

    public func updateCustomer(id: Int64, _ draft: CustomerDraft) async throws -> Bool {
        try await database.write { db in
            try db.run(
                "UPDATE customers SET name = ?, email = ?, address = ?, recipients = ? WHERE id = ?",
                [.text(draft.name), .text(draft.email), .text(draft.address), .text(draft.recipients.joined(separator: ",")), .integer(id)]) > 0
        }
    }

    public func deleteCustomer(id: Int64) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                // Explicit, not only ON DELETE SET NULL: gateways is WITHOUT ROWID and the
                // intent should not depend on the foreign_keys pragma.
                try db.run("UPDATE gateways SET customer_id = NULL WHERE customer_id = ?", [.integer(id)])
                return try db.run("DELETE FROM customers WHERE id = ?", [.integer(id)]) > 0
            }
        }
    }

    // MARK: Gateways

    private static let gatewayColumns = "id, customer_id, site, key_hash IS NOT NULL, first_seen, last_seen"

    private static func gateway(_ row: SQLiteRow) -> GatewayInfo {
        GatewayInfo(
            id: row.string(0) ?? "", customerID: row.int64(1), site: row.string(2), hasKey: row.int(3) == 1,
            firstSeen: row.int64(4) ?? 0, lastSeen: row.int64(5) ?? 0)
    }

    public func gateways() async throws -> [GatewayInfo] {
        try await database.read { db in
            try db.query("SELECT \(Self.gatewayColumns) FROM gateways ORDER BY id").map(Self.gateway)
        }
    }

    public func gateway(id: String) async throws -> GatewayInfo? {
        try await database.read { db in
            try db.query("SELECT \(Self.gatewayColumns) FROM gateways WHERE id = ?", [.text(id)]).first.map(Self.gateway)
        }
    }

    public func assign(gateway: String, customer: Int64?, site: String?) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                if let customer, try db.query("SELECT 1 FROM customers WHERE id = ?", [.integer(customer)]).isEmpty { return false }
                return try db.run(
                    "UPDATE gateways SET customer_id = ?, site = ? WHERE id = ?",
                    [.integer(customer), .text(site), .text(gateway)]) > 0
            }
        }
    }

    public func setKeyHash(gateway: String, hash: String?) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE gateways SET key_hash = ? WHERE id = ?", [.text(hash), .text(gateway)]) > 0
        }
    }

    public func latestReadings(gateway: String, since: EpochMillis) async throws -> [Reading] {
        try await database.read { db in try Self.latest(db, gateway: gateway, since: since) }
    }

    public func latestReadings(gateways: [String], since: EpochMillis) async throws -> [String: [Reading]] {
        try await database.read { db in
            var result: [String: [Reading]] = [:]
            for gateway in gateways { result[gateway] = try Self.latest(db, gateway: gateway, since: since) }
            return result
        }
    }

    private static func latest(_ db: SQLiteConnection, gateway: String, since: EpochMillis) throws -> [Reading] {
        try db.query(
            """
            SELECT r.sensor, r.at, r.power, r.energy, r.voltage, r.current, r.temperature
            FROM (SELECT sensor, MAX(at) AS at FROM readings WHERE gateway = ?1 AND at >= ?2 GROUP BY sensor) AS latest
            JOIN readings AS r ON r.gateway = ?1 AND r.at = latest.at AND r.sensor = latest.sensor
            ORDER BY r.sensor
            """,
            [.text(gateway), .integer(since)]
        ).map { row in
            Reading(
                sensor: row.string(0) ?? "", at: row.int64(1) ?? 0, power: row.double(2) ?? 0,
                energy: row.double(3), voltage: row.double(4), current: row.double(5), temperature: row.double(6))
        }
    }

    // MARK: Staff

    private static let staffColumns = "name, password_hash, created_at, api_token_hash IS NOT NULL"

    private static func staff(_ row: SQLiteRow) -> StaffAccount {
        StaffAccount(name: row.string(0) ?? "", passwordHash: row.string(1) ?? "", createdAt: row.int64(2) ?? 0, hasAPIToken: row.int(3) == 1)
    }

    public func staffAccounts() async throws -> [StaffAccount] {
        try await database.read { db in try db.query("SELECT \(Self.staffColumns) FROM staff ORDER BY name").map(Self.staff) }
    }

    public func staffAccount(name: String) async throws -> StaffAccount? {
        try await database.read { db in
            try db.query("SELECT \(Self.staffColumns) FROM staff WHERE name = ?", [.text(name)]).first.map(Self.staff)
        }
    }

    public func createStaff(name: String, passwordHash: String, at: EpochMillis) async throws -> Bool {
        try await database.write { db in
            try db.run(
                "INSERT OR IGNORE INTO staff (name, password_hash, created_at) VALUES (?, ?, ?)",
                [.text(name), .text(passwordHash), .integer(at)]) > 0
        }
    }

    public func deleteStaff(name: String) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                try db.run("DELETE FROM sessions WHERE staff = ?", [.text(name)])
                return try db.run("DELETE FROM staff WHERE name = ?", [.text(name)]) > 0
            }
        }
    }

    public func setPassword(name: String, passwordHash: String) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE staff SET password_hash = ? WHERE name = ?", [.text(passwordHash), .text(name)]) > 0
        }
    }

    public func setAPITokenHash(name: String, hash: String?) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE staff SET api_token_hash = ? WHERE name = ?", [.text(hash), .text(name)]) > 0
        }
    }

    public func staffAccount(apiTokenHash hash: String) async throws -> StaffAccount? {
        try await database.read { db in
            try db.query("SELECT \(Self.staffColumns) FROM staff WHERE api_token_hash = ?", [.text(hash)]).first.map(Self.staff)
        }
    }

    public func createSession(_ session: StaffSession) async throws {
        try await database.write { db in
            try db.transaction {
                // Expired sessions are swept whenever someone signs in.
                try db.run("DELETE FROM sessions WHERE expires_at <= ?", [.integer(session.createdAt)])
                try db.run(
                    "INSERT INTO sessions (id_hash, staff, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    [.text(session.idHash), .text(session.staff), .integer(session.createdAt), .integer(session.expiresAt)])
            }
        }
    }

    public func session(idHash: String, now: EpochMillis) async throws -> StaffSession? {
        try await database.read { db in
            try db.query(
                "SELECT id_hash, staff, created_at, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?",
                [.text(idHash), .integer(now)]
            ).first.map { row in
                StaffSession(idHash: row.string(0) ?? "", staff: row.string(1) ?? "", createdAt: row.int64(2) ?? 0, expiresAt: row.int64(3) ?? 0)
            }
        }
    }

    public func deleteSession(idHash: String) async throws {
        _ = try await database.write { db in try db.run("DELETE FROM sessions WHERE id_hash = ?", [.text(idHash)]) }
    }

    public func deleteSessions(staff: String) async throws {
        _ = try await database.write { db in try db.run("DELETE FROM sessions WHERE staff = ?", [.text(staff)]) }
    }

    // MARK: Settings

    public func settings() async throws -> [String: String] {
        try await database.read { db in
            var values: [String: String] = [:]
            for row in try db.query("SELECT key, value FROM settings") {
                if let key = row.string(0), let value = row.string(1) { values[key] = value }
            }
            return values
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await database.read { db in try db.query("SELECT value FROM settings WHERE key = ?", [.text(key)]).first?.string(0) }
    }

    public func setSettings(_ values: [String: String]) async throws {
        try await database.write { db in
            try db.transaction {
                for (key, value) in values {
                    try db.run(
                        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [.text(key), .text(value)])
                }
            }
        }
    }

    // MARK: Outbox

    private static let outboxColumns =
        "id, dedupe_key, recipients, subject, text_body, html_body, created_at, attempts, next_attempt_at, sent_at, last_error"

    private static func mail(_ row: SQLiteRow) -> OutboxMail {
        OutboxMail(
            id: row.int64(0) ?? 0, dedupeKey: row.string(1) ?? "",
            recipients: (row.string(2) ?? "").split(separator: ",").map(String.init), subject: row.string(3) ?? "",
            textBody: row.string(4) ?? "", htmlBody: row.string(5) ?? "", createdAt: row.int64(6) ?? 0,
            attempts: row.int(7) ?? 0, nextAttemptAt: row.int64(8), sentAt: row.int64(9), lastError: row.string(10))
    }

    public func enqueue(_ mail: OutboxMail) async throws -> Bool {
        try await database.write { db in
            try db.run(
                """
                INSERT OR IGNORE INTO outbox (dedupe_key, recipients, subject, text_body, html_body, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(mail.dedupeKey), .text(mail.recipients.joined(separator: ",")), .text(mail.subject), .text(mail.textBody),
                 .text(mail.htmlBody), .integer(mail.createdAt), .integer(mail.nextAttemptAt)]) > 0
        }
    }

    public func dueMails(now: EpochMillis, limit: Int) async throws -> [OutboxMail] {
        try await database.read { db in
            try db.query(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                [.integer(now), .integer(Int64(limit))]
            ).map(Self.mail)
        }
    }

    public func markSent(id: Int64, at: EpochMillis) async throws {
        _ = try await database.write { db in
            try db.run("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?", [.integer(at), .integer(id)])
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: EpochMillis) async throws {
        _ = try await database.write { db in
            try db.run(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [.text(error), .integer(nextAttemptAt), .integer(id)])
        }
    }

    public func failingMails(minAttempts: Int) async throws -> [OutboxMail] {
        try await database.read { db in
            try db.query(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE sent_at IS NULL AND attempts >= ? ORDER BY id",
                [.integer(Int64(minAttempts))]
            ).map(Self.mail)
        }
    }

    public func outboxCounts() async throws -> (pending: Int, sent: Int) {
        try await database.read { db in
            let row = try db.query("SELECT COUNT(*) - COUNT(sent_at), COUNT(sent_at) FROM outbox").first
            return (row?.int(0) ?? 0, row?.int(1) ?? 0)
        }
    }

    // MARK: Rollups

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

    // MARK: Alert state

    public func alertStates() async throws -> [String: GatewayAlertState] {
        try await database.read { db in
            var states: [String: GatewayAlertState] = [:]
            for row in try db.query("SELECT gateway, offline, low_day FROM alert_state") {
                let gateway = row.string(0) ?? ""
                states[gateway] = GatewayAlertState(gateway: gateway, offline: row.int(1) == 1, lowProductionDay: row.string(2))
            }
            return states
        }
    }

    public func setAlertState(_ state: GatewayAlertState) async throws {
        _ = try await database.write { db in
            try db.run(
                "INSERT OR REPLACE INTO alert_state (gateway, offline, low_day) VALUES (?, ?, ?)",
                [.text(state.gateway), .integer(state.offline ? 1 : 0), .text(state.lowProductionDay)])
        }
    }
}
