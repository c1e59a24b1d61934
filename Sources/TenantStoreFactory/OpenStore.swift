import EventLoopExecution
import FoundationEssentials
import Logging
import TenantCassandra
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
    /// Releases the store's connections (Cassandra's client); nil when nothing needs it.
    public var close: (@Sendable () async -> Void)?

    public init(
        readings: any ReadingStore, gatewayAuth: any GatewayAuthStore, description: String,
        maintenance: (@Sendable () async -> Void)? = nil, close: (@Sendable () async -> Void)? = nil
    ) {
        self.readings = readings
        self.gatewayAuth = gatewayAuth
        self.description = description
        self.maintenance = maintenance
        self.close = close
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

/// When the first retention pass runs after start, and how often the next ones do
/// (`TENANT_RETENTION_FIRST_PASS_SECONDS` changes the first, for benchmarks).
let retentionInterval = Duration.seconds(600)
let retentionFirstPass = Duration.seconds(30)

/// Milliseconds since the epoch, UTC.
func wallClockMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

/// Opens (creating and migrating the schema if needed) the store `url` names.
///
/// This is the single place (with ``openAdminStore(url:environment:logger:)``) that maps a
/// store URL to an implementation. `durability` applies to stores that have the choice
/// (SQLite). A `cassandra://` URL reads credentials and the replication of a keyspace created
/// on first start from `environment` (`TENANT_CASSANDRA_USERNAME`/`_PASSWORD`,
/// `TENANT_CASSANDRA_REPLICATION`).
public func openReadingStore(
    url: StoreURL, durability: Durability, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
) async throws -> OpenedStore {
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
        // Every 200 ms while gateways write; an idle provider sleeps until the next write (it
        // was 5 SQLite lock round trips a second, then a look every 5 s, for nothing).
        let checkpoints: @Sendable () async -> Void = {
            while await database.written.wait() {
                repeat {
                    try? await EventLoopClock().sleep(for: .milliseconds(200))
                    if Task.isCancelled { return }
                } while await checkpoint(database, logger: logger)
            }
        }
        // Retention: a pass shortly after start, then every 10 minutes; each pass reads the
        // settings, so a change applies at the next pass without a restart.
        let retention = SQLiteRetention(database: database)
        let firstPass = environment["TENANT_RETENTION_FIRST_PASS_SECONDS"].flatMap(Int.init).map { Duration.seconds($0) } ?? retentionFirstPass
        let purges: @Sendable () async -> Void = {
            var delay = firstPass
            while !Task.isCancelled {
                do { try await EventLoopClock().sleep(for: delay) } catch { return }
                delay = retentionInterval
                do {
                    let result = try await retention.purge(now: wallClockMillis(), limits: try await retention.limits())
                    if result.readings + result.rollups > 0 {
                        logger.info("retention purge", metadata: [
                            "purge.readings": "\(result.readings)", "purge.rollups": "\(result.rollups)", "purge.batches": "\(result.batches)",
                        ])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("retention purge failed", metadata: ["error": "\(error)"])
                }
            }
        }
        logger.info("store opened", metadata: ["store.url": "\(url)", "store.durability": "\(durability.rawValue)"])
        return OpenedStore(
            readings: SQLiteReadingStore(database: database), gatewayAuth: SQLiteGatewayAuthStore(database: database),
            description: "sqlite:\(path) (\(durability.rawValue))",
            maintenance: {
                async let checkpointing: Void = checkpoints()
                async let purging: Void = purges()
                _ = await (checkpointing, purging)
            })
    case .cassandra:
        let store = try await openCassandra(url: url, environment: environment, logger: logger)
        return OpenedStore(
            readings: store, gatewayAuth: CassandraGatewayAuth(base: store.gatewayAuthStore, access: store.gatewayAccess), description: "\(url)",
            close: { await store.close() })
    }
}

/// A passive checkpoint if anything was written since the last; whether one ran.
private func checkpoint(_ database: SQLiteDatabase, logger: Logger) async -> Bool {
    do {
        return try await database.checkpointPassivelyIfWritten()
    } catch {
        logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
        return false
    }
}

/// The stores of the admin app, opened from one `--store` URL.
public struct OpenedAdminStore: Sendable {
    /// Customers, gateways, staff, settings, outbox, rollups, alert state.
    public var admin: any AdminStore
    /// Raw readings (charts and exports).
    public var readings: any ReadingStore
    /// A one-line description for logs (never contains secrets).
    public var description: String
    /// Releases the store's connections.
    public var close: @Sendable () async -> Void

    public init(admin: any AdminStore, readings: any ReadingStore, description: String, close: @escaping @Sendable () async -> Void = {}) {
        self.admin = admin
        self.readings = readings
        self.description = description
        self.close = close
    }
}

/// Opens (creating and migrating the schema if needed) the admin app's stores for `url`:
/// `SQLiteAdminStore` for `sqlite:PATH`, `CassandraAdminStore` for `cassandra://`.
public func openAdminStore(
    url: StoreURL, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
) async throws -> OpenedAdminStore {
    switch url {
    case .sqlite(let path):
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: path)
        } catch {
            throw StoreOpenError("cannot open store \(url): \(error)")
        }
        return OpenedAdminStore(
            admin: SQLiteAdminStore(database: database), readings: SQLiteReadingStore(database: database), description: "\(url)")
    case .cassandra:
        let store = try await openCassandra(url: url, environment: environment, logger: logger)
        return OpenedAdminStore(
            admin: CassandraAdminStore(client: store.client, keyspace: store.keyspace, consistency: store.options.readConsistency),
            readings: store, description: "\(url)", close: { await store.close() })
    }
}

/// Connects to the cluster of a `cassandra://` URL, creating the keyspace and tables when missing.
private func openCassandra(url: StoreURL, environment: [String: String], logger: Logger) async throws -> CassandraReadingStore {
    let settings: CassandraStore.Settings
    do {
        settings = try CassandraStore.settings(from: environment)
    } catch {
        throw StoreOpenError("\(error)")
    }
    let store: CassandraReadingStore
    do {
        store = try await CassandraStore.openReadingStore(url, settings: settings, logger: logger)
    } catch {
        // StorageError is one line naming the URL (which carries no credentials).
        throw StoreOpenError("\(error)")
    }
    logger.info("store opened", metadata: [
        "store.url": "\(url)", "cassandra.authenticated": "\(settings.credentials != nil)",
    ])
    return store
}

/// ``GatewayAuthStore`` over the keyspace's gateway keys (maps ``CassandraGatewayKey``).
struct CassandraGatewayAuth: GatewayAuthStore {
    let base: CassandraGatewayAuthStore
    let access: CassandraGatewayAccess

    func ingestPolicy() async throws -> IngestPolicy {
        do { return try await access.ingestPolicy() } catch { throw StorageError("cassandra policy read failed: \(error)") }
    }

    func gatewayAccess(_ gateway: String) async throws -> GatewayAccess {
        let key = try await gatewayKey(gateway)
        let flags: CassandraGatewayAccess.Flags?
        do { flags = try await access.flags(gateway) } catch { throw StorageError("cassandra gateway read failed: \(error)") }
        return GatewayAccess(key: key, disabled: flags?.disabled ?? false, credential: flags?.credential)
    }

    func gatewayCount() async throws -> Int {
        do { return try await access.gatewayCount() } catch { throw StorageError("cassandra gateway count failed: \(error)") }
    }

    func recordRefusals(_ refusals: [GatewayRefusal]) async throws {
        do { try await access.recordRefusals(refusals) } catch { throw StorageError("cassandra refusal write failed: \(error)") }
    }

    func gatewayKeysRequired() async throws -> Bool {
        do { return try await base.gatewayKeysRequired() } catch { throw StorageError("cassandra settings read failed: \(error)") }
    }

    func gatewayKey(_ gateway: String) async throws -> GatewayKeyRecord {
        let key: CassandraGatewayKey
        do { key = try await base.gatewayKey(gateway) } catch { throw StorageError("cassandra gateway read failed: \(error)") }
        switch key {
        case .unknownGateway: return .unknownGateway
        case .noKey: return .noKey
        case .keyHash(let hash): return .keyHash(hash)
        }
    }
}
