import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

/// Gateway registration flags and refusal records in a provider's keyspace, shared by the
/// ingest server (policy, access, recording) and the admin store (management, dashboard).
/// Both live in the `admin` table, so no schema change is needed:
///
/// | kind / part | key | value |
/// |---|---|---|
/// | `gateway_access` / `all` | gateway | `{"disabled": Bool, "credential": "key"|"certificate"}` |
/// | `refusal` / `refused` or `rate-limited` | gateway | `{"reason", "attempts", "last_attempt"}`, with a TTL of 7 days |
///
/// Only gateways staff registered or disabled have a `gateway_access` row, so ingest's policy
/// read is one small partition.
public struct CassandraGatewayAccess: Sendable {
    public let client: CQLClient
    public let keyspace: ProviderID
    public let consistency: CQLConsistency

    public init(client: CQLClient, keyspace: ProviderID, consistency: CQLConsistency = .localQuorum) {
        self.client = client
        self.keyspace = keyspace
        self.consistency = consistency
    }

    static let accessKind = "gateway_access"
    static let refusalKind = "refusal"
    /// Refusal rows expire after a week: with the trim to ``GatewayRefusal/maxRowsPerKind``
    /// at each write, the partition stays small whatever ids a flood invents.
    static let refusalTTL: Int32 = 7 * 86_400

    /// A gateway's registration flags.
    public struct Flags: Codable, Sendable, Equatable {
        public var disabled: Bool
        public var credential: GatewayCredential?

        public init(disabled: Bool, credential: GatewayCredential?) {
            self.disabled = disabled
            self.credential = credential
        }
    }

    struct RefusalRecord: Codable, Sendable {
        var reason: String
        var attempts: Int
        var last_attempt: EpochMillis
    }

    private var ks: String { CassandraSchema.quoted(keyspace.rawValue) }

    private func rows(_ kind: String, _ part: String) async throws -> [(key: String, value: String)] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(kind), .text(part)], consistency: consistency).rows.compactMap { row in
            guard row.count == 2, let key = row[0].string else { return nil }
            return (key, row[1].string ?? "")
        }
    }

    /// Every gateway's flags (only gateways that have any).
    func allFlags() async throws -> [String: Flags] {
        var flags: [String: Flags] = [:]
        for (gateway, value) in try await rows(Self.accessKind, CassandraAdminStore.single) {
            if let decoded = CassandraAdminStore.decode(Flags.self, value) { flags[gateway] = decoded }
        }
        return flags
    }

    /// One gateway's flags; nil when it has none.
    public func flags(_ gateway: String) async throws -> Flags? {
        let statement = try await client.prepare("SELECT value FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
        guard case .rows(let rows) = try await client.execute(
            statement, [.text(Self.accessKind), .text(CassandraAdminStore.single), .text(gateway)], consistency: consistency),
            let value = rows.rows.first?.first?.string
        else { return nil }
        return CassandraAdminStore.decode(Flags.self, value)
    }

    func setFlags(_ gateway: String, _ flags: Flags?) async throws {
        if let flags {
            let insert = try await client.prepare("INSERT INTO \(ks).admin (kind, part, key, value) VALUES (?, ?, ?, ?)")
            _ = try await client.execute(
                insert, [.text(Self.accessKind), .text(CassandraAdminStore.single), .text(gateway), .text(try CassandraAdminStore.encode(flags))],
                consistency: consistency)
        } else {
            let delete = try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
            _ = try await client.execute(delete, [.text(Self.accessKind), .text(CassandraAdminStore.single), .text(gateway)], consistency: consistency)
        }
    }

    /// The ingest policy: settings plus the flagged gateways.
    public func ingestPolicy() async throws -> IngestPolicy {
        let settings = try await CassandraSettingsStore(client: client, keyspace: keyspace, consistency: consistency).settings()
        var policy = IngestPolicy(keysRequired: settings["gateway_keys_required"] == "true", limits: ProviderLimits(stored: settings))
        for (gateway, flags) in try await allFlags() {
            if flags.disabled { policy.disabled.insert(gateway) }
            if flags.credential == .certificate { policy.certificateOnly.insert(gateway) }
        }
        return policy
    }

    /// Gateways the keyspace knows (a scan of the `gateways` partitions' static rows).
    public func gatewayCount() async throws -> Int {
        let statement = try await client.prepare("SELECT DISTINCT id, customer_id, site, key_hash, first_seen, last_seen FROM \(ks).gateways")
        return try await client.executeAll(statement, [], consistency: consistency).rows.filter { row in
            row.count == 6 && !(row[4].isNull && row[5].isNull)
        }.count
    }

    /// Adds to the refusal records and trims each kind's partition to its newest rows.
    public func recordRefusals(_ refusals: [GatewayRefusal]) async throws {
        let insert = try await client.prepare("INSERT INTO \(ks).admin (kind, part, key, value) VALUES (?, ?, ?, ?) USING TTL ?")
        let delete = try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
        for (kind, group) in Dictionary(grouping: refusals, by: \.kind) {
            var records: [String: RefusalRecord] = [:]
            for (gateway, value) in try await rows(Self.refusalKind, kind.rawValue) {
                if let record = CassandraAdminStore.decode(RefusalRecord.self, value) { records[gateway] = record }
            }
            for refusal in group {
                var record = records[refusal.gateway] ?? RefusalRecord(reason: refusal.reason, attempts: 0, last_attempt: refusal.lastAttempt)
                record.attempts += refusal.attempts
                record.reason = refusal.reason
                record.last_attempt = Swift.max(record.last_attempt, refusal.lastAttempt)
                records[refusal.gateway] = record
                _ = try await client.execute(
                    insert,
                    [.text(Self.refusalKind), .text(kind.rawValue), .text(refusal.gateway), .text(try CassandraAdminStore.encode(record)), .int(Self.refusalTTL)],
                    consistency: consistency)
            }
            let stale = records.sorted { ($0.value.last_attempt, $1.key) > ($1.value.last_attempt, $0.key) }.dropFirst(GatewayRefusal.maxRowsPerKind)
            for (gateway, _) in stale {
                _ = try await client.execute(delete, [.text(Self.refusalKind), .text(kind.rawValue), .text(gateway)], consistency: consistency)
            }
        }
    }

    func refusals(kind: GatewayRefusal.Kind) async throws -> [GatewayRefusal] {
        try await rows(Self.refusalKind, kind.rawValue).compactMap { gateway, value in
            CassandraAdminStore.decode(RefusalRecord.self, value).map {
                GatewayRefusal(kind: kind, gateway: gateway, reason: $0.reason, attempts: $0.attempts, lastAttempt: $0.last_attempt)
            }
        }
    }

    func clearRefusals(gateway: String) async throws {
        let delete = try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
        for kind in GatewayRefusal.Kind.allCases {
            _ = try await client.execute(delete, [.text(Self.refusalKind), .text(kind.rawValue), .text(gateway)], consistency: consistency)
        }
    }
}

extension CassandraReadingStore {
    /// Registration flags and refusal records of the same keyspace, over the same client.
    public var gatewayAccess: CassandraGatewayAccess {
        CassandraGatewayAccess(client: client, keyspace: keyspace, consistency: options.readConsistency)
    }
}
