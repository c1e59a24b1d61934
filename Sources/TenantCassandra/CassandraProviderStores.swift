import CQLClient
import CQLProtocol
import TenantModel
import TenantStorage

/// The provider's settings in its keyspace (`settings` table): string keys and values shared
/// by the admin app (writes) and the ingest server (reads `gateway_keys_required`).
///
/// Its methods have the shapes of the admin branch's `SettingsStore` protocol, so that
/// conformance is one empty extension once both are merged.
public struct CassandraSettingsStore: Sendable {
    /// The shared client.
    public let client: CQLClient
    /// The provider's keyspace.
    public let keyspace: ProviderID
    /// Consistency of reads and writes.
    public let consistency: CQLConsistency

    /// The settings of `keyspace` over `client`.
    public init(client: CQLClient, keyspace: ProviderID, consistency: CQLConsistency = .localQuorum) {
        self.client = client
        self.keyspace = keyspace
        self.consistency = consistency
    }

    private var ks: String { CassandraSchema.quoted(keyspace.rawValue) }

    /// Every setting.
    public func settings() async throws -> [String: String] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).settings")
        let rows = try await client.executeAll(statement, [], consistency: consistency)
        return rows.rows.reduce(into: [:]) { result, row in
            if let key = row.first?.string, let value = row.last?.string { result[key] = value }
        }
    }

    /// One setting, nil when unset.
    public func setting(_ key: String) async throws -> String? {
        let statement = try await client.prepare("SELECT value FROM \(ks).settings WHERE key = ?")
        guard case .rows(let rows) = try await client.execute(statement, [.text(key)], consistency: consistency) else { return nil }
        return rows.rows.first?.first?.string
    }

    /// Writes `values` (one partition per key: a logged batch keeps them together).
    public func setSettings(_ values: [String: String]) async throws {
        guard !values.isEmpty else { return }
        let insert = try await client.prepare("INSERT INTO \(ks).settings (key, value) VALUES (?, ?)")
        let statements = values.sorted { $0.key < $1.key }.map { (insert, [CQLValue.text($0.key), .text($0.value)]) }
        try await client.batch(statements.count == 1 ? .unlogged : .logged, statements, consistency: consistency)
    }
}

/// A gateway's key registration (mirrors the ingest branch's `GatewayKeyRecord`).
public enum CassandraGatewayKey: Sendable, Hashable {
    /// The provider has never seen this gateway.
    case unknownGateway
    /// Known, but no key was ever issued to it.
    case noKey
    /// Known, with this password hash.
    case keyHash(String)
}

/// What the ingest server needs to check gateway keys, from the provider's keyspace. Its
/// methods have the shapes of the ingest branch's `GatewayAuthStore` (map
/// ``CassandraGatewayKey`` to `GatewayKeyRecord` case by case).
public struct CassandraGatewayAuthStore: Sendable {
    /// The shared client.
    public let client: CQLClient
    /// The provider's keyspace.
    public let keyspace: ProviderID
    /// Consistency of reads.
    public let consistency: CQLConsistency

    /// The gateway keys of `keyspace` over `client`.
    public init(client: CQLClient, keyspace: ProviderID, consistency: CQLConsistency = .localQuorum) {
        self.client = client
        self.keyspace = keyspace
        self.consistency = consistency
    }

    /// Whether reports must carry a gateway key (settings key `gateway_keys_required` = "true").
    public func gatewayKeysRequired() async throws -> Bool {
        try await CassandraSettingsStore(client: client, keyspace: keyspace, consistency: consistency)
            .setting("gateway_keys_required") == "true"
    }

    /// The gateway's key registration.
    public func gatewayKey(_ gateway: String) async throws -> CassandraGatewayKey {
        let statement = try await client.prepare(
            "SELECT first_seen, key_hash FROM \(CassandraSchema.quoted(keyspace.rawValue)).gateways WHERE id = ? LIMIT 1")
        guard case .rows(let rows) = try await client.execute(statement, [.text(gateway)], consistency: consistency),
              let row = rows.rows.first, row.count == 2, !row[0].isNull
        else { return .unknownGateway }
        if let hash = row[1].string { return .keyHash(hash) }
        return .noKey
    }
}

extension CassandraReadingStore {
    /// The settings of the same keyspace, over the same client.
    public var settingsStore: CassandraSettingsStore {
        CassandraSettingsStore(client: client, keyspace: keyspace, consistency: options.readConsistency)
    }

    /// The gateway-key view of the same keyspace, over the same client.
    public var gatewayAuthStore: CassandraGatewayAuthStore {
        CassandraGatewayAuthStore(client: client, keyspace: keyspace, consistency: options.readConsistency)
    }
}
