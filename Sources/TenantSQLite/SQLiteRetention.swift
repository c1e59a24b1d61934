import EventLoopExecution
import TenantStorage

/// Deletes readings and hourly rollups older than the provider's retention settings, in
/// small batches: each batch is one short write transaction on the writer connection, so
/// ingest's group commits (queued on the same connection) run between batches instead of
/// waiting for one long delete, and the WAL stays small.
public struct SQLiteRetention: Sendable {
    /// The tables retention applies to.
    public enum Table: Sendable {
        case readings, rollups

        var name: String { self == .readings ? "readings" : "power_hourly" }
        var time: String { self == .readings ? "at" : "hour" }
        /// The rest of the primary key after (gateway, time).
        var rest: String { self == .readings ? ", sensor" : "" }
    }

    public let database: SQLiteDatabase
    /// Rows per delete transaction.
    public var batchSize: Int
    /// Least rest between batches: gives the cores back to ingest while a big backlog is purged.
    public var pause: Duration
    /// Rest at least this many times as long as the last batch took, so the purge takes at
    /// most about 1/(1+idleFactor) of the writer (and a core) however slow the disk or busy
    /// the machine.
    public var idleFactor: Int

    public init(database: SQLiteDatabase, batchSize: Int = 500, pause: Duration = .milliseconds(5), idleFactor: Int = 4) {
        self.database = database
        self.batchSize = batchSize
        self.pause = pause
        self.idleFactor = idleFactor
    }

    /// What one pass deleted.
    public struct PassResult: Sendable, Equatable {
        public var readings = 0
        public var rollups = 0
        public var batches = 0

        public init() {}
    }

    /// Deletes everything older than the retention `settings` give, relative to `now`, and returns how much.
    public func purge(now: EpochMillis, limits: ProviderLimits) async throws -> PassResult {
        var result = PassResult()
        if let keep = limits.retentionMillis {
            let (rows, batches) = try await purge(.readings, before: now - keep)
            result.readings = rows
            result.batches = batches
        }
        if let keep = limits.rollupRetentionMillis {
            let (rows, batches) = try await purge(.rollups, before: now - keep)
            result.rollups = rows
            result.batches += batches
        }
        return result
    }

    /// The limits as stored now (read each pass: a settings change applies at the next one).
    public func limits() async throws -> ProviderLimits {
        try await database.read { db in
            var values: [String: String] = [:]
            for row in try db.query("SELECT key, value FROM settings") {
                if let key = row.string(0), let value = row.string(1) { values[key] = value }
            }
            return ProviderLimits(stored: values)
        }
    }

    private func purge(_ table: Table, before cutoff: EpochMillis) async throws -> (rows: Int, batches: Int) {
        var rows = 0, batches = 0
        var after = ""
        // Gateway by gateway along the primary key (a loose index scan: one seek per gateway),
        // so no statement scans the table.
        while let gateway = try await nextGateway(table, after: after) {
            while true {
                let started = ContinuousClock.now
                let deleted = try await deleteBatch(table: table, gateway: gateway, before: cutoff)
                guard deleted > 0 else { break }
                rows += deleted
                batches += 1
                let rest = max(pause, (ContinuousClock.now - started) * idleFactor)
                if rest > .zero { try await EventLoopClock().sleep(for: rest) }
            }
            after = gateway
        }
        return (rows, batches)
    }

    private func nextGateway(_ table: Table, after: String) async throws -> String? {
        try await database.read { db in
            try db.query("SELECT gateway FROM \(table.name) WHERE gateway > ? ORDER BY gateway LIMIT 1", [.text(after)]).first?.string(0)
        }
    }

    /// Deletes up to ``batchSize`` rows of `gateway` older than `before` in one transaction; returns how many.
    public func deleteBatch(table: Table, gateway: String, before: EpochMillis) async throws -> Int {
        let limit = Int64(batchSize)
        return try await database.write { db in
            try db.run(
                """
                DELETE FROM \(table.name) WHERE gateway = ?1 AND (\(table.time)\(table.rest)) IN (
                    SELECT \(table.time)\(table.rest) FROM \(table.name) WHERE gateway = ?1 AND \(table.time) < ?2 ORDER BY \(table.time) LIMIT ?3)
                """,
                [.text(gateway), .integer(before), .integer(limit)])
        }
    }

    /// The oldest reading of any gateway: one seek per gateway, never a table scan.
    static func oldestReading(_ db: SQLiteConnection) throws -> EpochMillis? {
        var oldest: EpochMillis?
        var after = ""
        while let gateway = try db.query("SELECT gateway FROM readings WHERE gateway > ? ORDER BY gateway LIMIT 1", [.text(after)]).first?.string(0) {
            if let at = try db.query("SELECT min(at) FROM readings WHERE gateway = ?", [.text(gateway)]).first?.int64(0) {
                oldest = min(oldest ?? at, at)
            }
            after = gateway
        }
        return oldest
    }
}
