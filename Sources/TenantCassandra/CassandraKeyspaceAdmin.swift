import CQLClient
import CQLProtocol
import EventLoopExecution
import Logging
import TenantModel
import TenantStorage

/// Creates, migrates and drops provider keyspaces (what `tenantctl create-keyspace` and
/// `remove --purge-data` do for `--store cassandra`). Every operation is idempotent.
public enum CassandraKeyspaceAdmin {
    /// Schema changes go to every replica: wait for all of them.
    static let ddlConsistency = CQLConsistency.all

    /// Creates `keyspace` with `replication` if it does not exist, then its tables.
    /// An existing keyspace keeps its replication (changing it needs ALTER and a repair).
    public static func create(keyspace: ProviderID, replication: Replication, on client: CQLClient, logger: Logger) async throws {
        let name = CassandraSchema.quoted(keyspace.rawValue)
        try await ddl("CREATE KEYSPACE IF NOT EXISTS \(name) WITH replication = \(replication.cql) AND durable_writes = true", on: client)
        try await migrate(keyspace: keyspace, on: client, logger: logger)
        logger.info("cassandra keyspace ready", metadata: ["tenant.id": "\(keyspace)", "cassandra.replication": "\(replication)"])
    }

    /// Creates the tables of an existing keyspace that are missing (servers' `--migrate-only`).
    public static func migrate(keyspace: ProviderID, on client: CQLClient, logger: Logger) async throws {
        guard try await exists(keyspace: keyspace, on: client) else {
            throw StorageError("cassandra keyspace '\(keyspace)' does not exist: create it with tenantctl create-keyspace \(keyspace) --store cassandra")
        }
        for statement in CassandraSchema.tableStatements(keyspace: keyspace.rawValue) {
            try await ddl(statement, on: client)
        }
        try await awaitSchemaAgreement(on: client, logger: logger)
        _ = try await client.query(
            "INSERT INTO \(CassandraSchema.quoted(keyspace.rawValue)).settings (key, value) VALUES (?, ?)",
            [.text("schema_version"), .text(String(CassandraSchema.version))], consistency: .localQuorum)
    }

    /// Drops `keyspace` and all of its data; dropping a missing keyspace succeeds.
    public static func drop(keyspace: ProviderID, on client: CQLClient, logger: Logger) async throws {
        try await ddl("DROP KEYSPACE IF EXISTS \(CassandraSchema.quoted(keyspace.rawValue))", on: client)
        try await awaitSchemaAgreement(on: client, logger: logger)
        logger.info("cassandra keyspace dropped", metadata: ["tenant.id": "\(keyspace)"])
    }

    /// Whether `keyspace` exists.
    public static func exists(keyspace: ProviderID, on client: CQLClient) async throws -> Bool {
        let result = try await client.query(
            "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", [.text(keyspace.rawValue)],
            consistency: .one)
        guard case .rows(let rows) = result else { return false }
        return !rows.rows.isEmpty
    }

    private static func ddl(_ statement: String, on client: CQLClient) async throws {
        // DDL ignores the consistency level, but a value is required on the wire.
        _ = try await client.query(statement, consistency: ddlConsistency)
    }

    /// Waits (up to `timeout`) until the nodes agree on one schema version, so that the next
    /// statements, possibly sent to another node, see the new tables. Best effort: it checks
    /// the view of whichever node answers (its own version and what it knows of its peers).
    public static func awaitSchemaAgreement(on client: CQLClient, timeout: Duration = .seconds(10), logger: Logger) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            var versions = Set<CQLValue>()
            if case .rows(let local) = try await client.query("SELECT schema_version FROM system.local", consistency: .one) {
                versions.formUnion(local.rows.compactMap(\.first))
            }
            if case .rows(let peers) = try await client.query("SELECT schema_version FROM system.peers", consistency: .one) {
                versions.formUnion(peers.rows.compactMap(\.first).filter { !$0.isNull })
            }
            if versions.count <= 1 { return }
            guard ContinuousClock.now < deadline else {
                logger.info("cassandra schema versions still differ; continuing", metadata: ["cassandra.versions": "\(versions.count)"])
                return
            }
            try await EventLoopClock().sleep(for: .milliseconds(200))
        }
    }
}
