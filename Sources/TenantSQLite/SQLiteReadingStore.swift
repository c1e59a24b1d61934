import TenantStorage

/// ``ReadingStore`` over a provider's SQLite database.
public struct SQLiteReadingStore: ReadingStore {
    /// The database this store reads and writes.
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func commit(_ reports: [GatewayReport]) async throws -> [ReportOutcome] {
        try await database.write { db in
            try db.transaction {
                try reports.map { report in try Self.store(report, in: db) }
            }
        }
    }

    /// Stores one report inside the caller's transaction. A report's readings are validated
    /// before they get here, so the only failures left are I/O ones, which abort the commit.
    private static func store(_ report: GatewayReport, in db: SQLiteConnection) throws -> ReportOutcome {
        let insert = try db.statement(
            """
            INSERT OR IGNORE INTO readings (gateway, at, sensor, power, energy, voltage, current, temperature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var stored = 0
        var oldestStored: EpochMillis?
        for reading in report.readings {
            insert.reset()
            try insert.bind(.text(report.gateway), at: 1)
            try insert.bind(.integer(reading.at), at: 2)
            try insert.bind(.text(reading.sensor), at: 3)
            try insert.bind(.real(reading.power), at: 4)
            try insert.bind(.real(reading.energy), at: 5)
            try insert.bind(.real(reading.voltage), at: 6)
            try insert.bind(.real(reading.current), at: 7)
            try insert.bind(.real(reading.temperature), at: 8)
            while try insert.step() {}
            if db.changes > 0 {
                stored += 1
                oldestStored = min(oldestStored ?? reading.at, reading.at)
            }
        }
        // The same upsert as ever, plus one column: `changed_from` keeps the oldest reading
        // stored since the admin app's last rollup pass, which recomputes rolled-up hours from
        // there (a backlog arriving after its hours were closed). Duplicates change nothing.
        // A gateway staff registered before its first contact has first_seen 0 until now.
        try db.run(
            """
            INSERT INTO gateways (id, first_seen, last_seen, changed_from) VALUES (?1, ?2, ?2, ?3)
            ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                first_seen = CASE first_seen WHEN 0 THEN excluded.first_seen ELSE first_seen END,
                changed_from = min(coalesce(changed_from, ?3), coalesce(?3, changed_from))
            """,
            [.text(report.gateway), .integer(report.receivedAt), .integer(oldestStored)])
        return ReportOutcome(stored: stored, duplicates: report.readings.count - stored)
    }

    public func readings(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [Reading] {
        try await database.read { db in
            try db.query(
                """
                SELECT sensor, at, power, energy, voltage, current, temperature FROM readings
                WHERE gateway = ? AND at >= ? AND at < ? ORDER BY at, sensor
                """,
                [.text(gateway), .integer(from), .integer(to)]
            ).map { row in
                Reading(
                    sensor: row.string(0) ?? "", at: row.int64(1) ?? 0, power: row.double(2) ?? 0,
                    energy: row.double(3), voltage: row.double(4), current: row.double(5), temperature: row.double(6))
            }
        }
    }

    public func ping() async throws {
        _ = try await database.read { db in try db.query("SELECT 1") }
    }
}
