import Logging
import TenantModel
import TenantSQLite
import TenantStorage

/// The stores a server works with, opened from one `--store` URL.
public struct OpenedStore: Sendable {
    /// Readings: the write path of tenant-ingest.
    public var readings: any ReadingStore
    /// Gateway keys and the key policy.
    public var gatewayAuth: any GatewayAuthStore
    /// A one-line description for logs (never contains secrets).
    public var description: String
    /// Background upkeep the store wants while the server runs (SQLite: WAL checkpoints
    /// off the commit path); runs until cancelled. Nil when there is none.
    public var maintenance: (@Sendable () async -> Void)?

    public init(
        readings: any ReadingStore, gatewayAuth: any GatewayAuthStore, description: String,
        maintenance: (@Sendable () async -> Void)? = nil
    ) {
        self.readings = readings
        self.gatewayAuth = gatewayAuth
        self.description = description
        self.maintenance = maintenance
    }
}

/// Why a store could not be opened, in one line.
public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Page cache of the SQLite writer connection, KiB: 8 MiB keeps the server well under
/// 50 MB resident with 1,000 gateways connected while sparing most re-reads.
let writerCacheKiB = 8_192

/// Opens (creating and migrating the schema if needed) the store `url` names.
///
/// This is the single place that maps a store URL to an implementation: the Cassandra
/// store plugs in here. `durability` applies to stores that have the choice (SQLite).
public func openReadingStore(url: StoreURL, durability: Durability, logger: Logger) async throws -> OpenedStore {
    switch url {
    case .sqlite(let path):
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: path, durability: durability)
        } catch {
            throw StoreOpenError("cannot open SQLite store \(path): \(error)")
        }
        // A bigger page cache for the writer (SQLite default 2 MB): ingest appends at one edge of
        // the b-tree per gateway, and re-reading those pages from the OS costs more than
        // the memory. Applied here, not in SQLiteDatabase, because only ingest wants it.
        // Checkpoints move WAL pages into the database file. Run inside a commit (SQLite's
        // auto-checkpoint) they stall that commit and every ack waiting on it; passive
        // checkpoints from a reader connection do most of that copying beside the commits,
        // so the writer's own auto-checkpoint (kept: only it can let the WAL restart from
        // the beginning) finds little left to do. Durability is unchanged.
        try await database.write { db in try db.execute("PRAGMA cache_size=-\(writerCacheKiB)") }
        let checkpoints: @Sendable () async -> Void = {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                do {
                    _ = try await database.read { db in try db.query("PRAGMA wal_checkpoint(PASSIVE)") }
                } catch {
                    logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
        }
        logger.info("store opened", metadata: ["store.url": "\(url)", "store.durability": "\(durability.rawValue)"])
        return OpenedStore(
            readings: SQLiteReadingStore(database: database), gatewayAuth: SQLiteGatewayAuthStore(database: database),
            description: "sqlite:\(path) (\(durability.rawValue))", maintenance: checkpoints)
    case .cassandra:
        throw StoreOpenError("the Cassandra store is not available in this build: use a sqlite:PATH store URL")
    }
}
