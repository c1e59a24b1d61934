import TenantStorage

/// ``AdminStore`` over a provider's SQLite database. Writes go through the database's
/// single writer connection; reads use the WAL readers and never wait for ingest.
///
/// Each protocol of ``AdminStore`` is conformed to in its own file,
/// `SQLiteAdminStore+<Concern>.swift` (Customers, Gateways, Staff, Settings, Outbox,
/// Rollups, AlertState).
public struct SQLiteAdminStore: Sendable {
    /// The database this store reads and writes.
    public let database: SQLiteDatabase
    /// Hours are rolled up once the gateway's newest reading is this far past their end,
    /// so readings that arrive a little late or out of order still count.
    public let rollupGrace: EpochMillis

    public init(database: SQLiteDatabase, rollupGrace: EpochMillis = RollupRules.defaultGrace) {
        self.database = database
        self.rollupGrace = rollupGrace
    }
}
