import TenantStorage

/// ``GatewayAuthStore`` over a provider's SQLite database (tables `settings`, `gateways`,
/// `gateway_refusals`).
public struct SQLiteGatewayAuthStore: GatewayAuthStore {
    /// The database read from.
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func gatewayKeysRequired() async throws -> Bool {
        try await database.read { db in
            try db.query("SELECT value FROM settings WHERE key = 'gateway_keys_required'").first?.string(0) == "true"
        }
    }

    public func gatewayKey(_ gateway: String) async throws -> GatewayKeyRecord {
        try await gatewayAccess(gateway).key
    }

    public func ingestPolicy() async throws -> IngestPolicy {
        try await database.read { db in
            var settings: [String: String] = [:]
            for row in try db.query("SELECT key, value FROM settings") {
                if let key = row.string(0), let value = row.string(1) { settings[key] = value }
            }
            var policy = IngestPolicy(keysRequired: settings["gateway_keys_required"] == "true", limits: ProviderLimits(stored: settings))
            // The partial index holds only these rows: a few, whatever the number of gateways.
            for row in try db.query("SELECT id, disabled, credential FROM gateways WHERE disabled = 1 OR credential = 'certificate'") {
                guard let id = row.string(0) else { continue }
                if row.int(1) == 1 { policy.disabled.insert(id) }
                if row.string(2) == GatewayCredential.certificate.rawValue { policy.certificateOnly.insert(id) }
            }
            return policy
        }
    }

    public func gatewayAccess(_ gateway: String) async throws -> GatewayAccess {
        try await database.read { db in
            guard let row = try db.query("SELECT key_hash, disabled, credential FROM gateways WHERE id = ?", [.text(gateway)]).first else {
                return GatewayAccess(key: .unknownGateway)
            }
            let key: GatewayKeyRecord = row.string(0).flatMap { $0.isEmpty ? nil : GatewayKeyRecord.keyHash($0) } ?? .noKey
            return GatewayAccess(key: key, disabled: row.int(1) == 1, credential: row.string(2).flatMap(GatewayCredential.init(rawValue:)))
        }
    }

    public func gatewayCount() async throws -> Int {
        try await database.read { db in try db.query("SELECT count(*) FROM gateways").first?.int(0) ?? 0 }
    }

    public func recordRefusals(_ refusals: [GatewayRefusal]) async throws {
        guard !refusals.isEmpty else { return }
        try await database.write { db in
            try db.transaction {
                for refusal in refusals {
                    try db.run(
                        """
                        INSERT INTO gateway_refusals (kind, gateway, reason, attempts, last_attempt) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (kind, gateway) DO UPDATE SET reason = excluded.reason,
                            attempts = attempts + excluded.attempts, last_attempt = max(last_attempt, excluded.last_attempt)
                        """,
                        [.text(refusal.kind.rawValue), .text(refusal.gateway), .text(refusal.reason), .integer(Int64(refusal.attempts)),
                         .integer(refusal.lastAttempt)])
                }
                // Bounded whatever ids a flood invents: only the newest rows of each kind stay.
                for kind in Set(refusals.map(\.kind)) {
                    try db.run(
                        """
                        DELETE FROM gateway_refusals WHERE kind = ?1 AND gateway IN (
                            SELECT gateway FROM gateway_refusals WHERE kind = ?1 ORDER BY last_attempt DESC, gateway LIMIT -1 OFFSET ?2)
                        """,
                        [.text(kind.rawValue), .integer(Int64(GatewayRefusal.maxRowsPerKind))])
                }
            }
        }
    }
}
