import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

/// ``AdminStore`` over a provider's Cassandra keyspace, with the semantics of the SQLite
/// implementation (`SQLiteAdminStore`).
///
/// Gateways live in the `gateways` table (static columns `customer_id`, `site`, `key_hash`),
/// settings in `settings`; every other record is a JSON value in the `admin` table, keyed by
/// `(kind, part)` partition and `key` clustering column:
///
/// | kind / part | key | value |
/// |---|---|---|
/// | `customer` / `all` | id (19 digits) | customer |
/// | `staff` / `all` | name | account with password and API token hash |
/// | `token` / `all` | API token hash | staff name |
/// | `session` / `all` | session id hash | session, written with a TTL until it expires |
/// | `outbox` / `pending` | id | unsent mail |
/// | `outbox` / `sent:<bucket>` | id | sent mail (one partition per 32 days) |
/// | `outbox_buckets` / `all` | bucket | "" (the `sent:` partitions that exist) |
/// | `outbox_dedupe` / `all` | dedupe key | mail id |
/// | `rollup` / gateway | hour (19 digits) | closed hour's aggregates |
/// | `rollup_state` / `all` | gateway | hour through which rollups exist |
/// | `rollup_late` / gateway | first hour to recompute (19 digits) | "" (written by ingest, see ``LateReadings``) |
/// | `alert` / `all` | gateway | alert state |
/// | `alarm`, `alarm_active`, `alarm_history` | | alarms (see `CassandraAdminStore+Alarms.swift`) |
///
/// Aggregates that SQLite computes in SQL (latest readings, power series) are computed here
/// from per-gateway time-range reads of `readings`; hourly buckets come from
/// `RollupRules.hours`, in both stores, over such a read. The cost is the rows read
/// (see docs/cassandra.md). Uniqueness checks (staff names, outbox dedupe keys) are a read
/// before the write, not a lightweight transaction: two admins racing to create the same name
/// within milliseconds both succeed and the last write wins.
///
/// This file holds the `admin` table's helpers; each protocol of ``AdminStore`` is conformed
/// to in its own file, `CassandraAdminStore+<Concern>.swift` (Customers, Gateways, Staff,
/// Settings, Outbox, Rollups, AlertState, GatewayOperations, Alarms).
public struct CassandraAdminStore: Sendable {
    /// The shared client.
    public let client: CQLClient
    /// The provider's keyspace.
    public let keyspace: ProviderID
    /// Consistency of reads and writes (overlapping quorums).
    public let consistency: CQLConsistency
    /// Hours are rolled up once the gateway's newest reading is this far past their end.
    public let rollupGrace: EpochMillis

    let readingStore: CassandraReadingStore

    /// The admin store of `keyspace` over `client` (the keyspace must exist: see ``CassandraStore``).
    public init(
        client: CQLClient, keyspace: ProviderID, consistency: CQLConsistency = .localQuorum, rollupGrace: EpochMillis = RollupRules.defaultGrace
    ) {
        self.client = client
        self.keyspace = keyspace
        self.consistency = consistency
        self.rollupGrace = rollupGrace
        var options = CassandraStoreOptions()
        options.readConsistency = consistency
        options.writeConsistency = consistency
        self.readingStore = CassandraReadingStore(client: client, keyspace: keyspace, options: options)
    }

    /// The `part` of kinds that have one partition (a non-empty value: empty partition key
    /// components are best avoided in Cassandra).
    static let single = "all"
    /// The open upper bound of "since" reads: 10000-01-01T00:00:00Z, a timestamp every CQL
    /// tool can print (unlike `Int64.max`), and after any plausible gateway clock.
    static let farFuture: EpochMillis = 253_402_300_800_000
    var ks: String { CassandraSchema.quoted(keyspace.rawValue) }
    var settingsStore: CassandraSettingsStore { CassandraSettingsStore(client: client, keyspace: keyspace, consistency: consistency) }

    // MARK: The admin table

    func wrap<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("cassandra \(what) failed: \(error)")
        }
    }

    func rows(_ kind: String, _ part: String) async throws -> [(key: String, value: String)] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(kind), .text(part)], consistency: consistency).rows.compactMap { row in
            guard row.count == 2, let key = row[0].string else { return nil }
            return (key, row[1].string ?? "")
        }
    }

    func keys(_ kind: String, _ part: String) async throws -> [String] {
        let statement = try await client.prepare("SELECT key FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(kind), .text(part)], consistency: consistency).rows.compactMap { $0.first?.string }
    }

    func rows(_ kind: String, _ part: String, from: String, to: String) async throws -> [(key: String, value: String)] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).admin WHERE kind = ? AND part = ? AND key >= ? AND key < ?")
        return try await client.executeAll(statement, [.text(kind), .text(part), .text(from), .text(to)], consistency: consistency).rows
            .compactMap { row in
                guard row.count == 2, let key = row[0].string else { return nil }
                return (key, row[1].string ?? "")
            }
    }

    func value(_ kind: String, _ part: String, _ key: String) async throws -> String? {
        let statement = try await client.prepare("SELECT value FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
        guard case .rows(let rows) = try await client.execute(statement, [.text(kind), .text(part), .text(key)], consistency: consistency)
        else { return nil }
        return rows.rows.first?.first?.string
    }

    func insertStatement(ttl: Bool = false) async throws -> CQLPreparedStatement {
        try await client.prepare("INSERT INTO \(ks).admin (kind, part, key, value) VALUES (?, ?, ?, ?)\(ttl ? " USING TTL ?" : "")")
    }

    func deleteStatement() async throws -> CQLPreparedStatement {
        try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
    }

    func put(_ kind: String, _ part: String, _ key: String, _ value: String) async throws {
        _ = try await client.execute(try await insertStatement(), [.text(kind), .text(part), .text(key), .text(value)], consistency: consistency)
    }

    func remove(_ kind: String, _ part: String, _ key: String) async throws {
        _ = try await client.execute(try await deleteStatement(), [.text(kind), .text(part), .text(key)], consistency: consistency)
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A non-negative number as a fixed-width key, so that text order is numeric order.
    static func numericKey(_ value: Int64) -> String {
        let digits = String(max(value, 0))
        return String(repeating: "0", count: max(0, 19 - digits.count)) + digits
    }

    /// A new id: microseconds of the wall clock times 1000 plus a random part. Ids grow with
    /// time (so "oldest first" by id holds across restarts) and need no coordination.
    static func newID() -> Int64 {
        let micros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return micros * 1000 + Int64.random(in: 0..<1000)
    }
}
