import TenantStorage

/// ``GatewayAuthStore`` over a provider's SQLite database (tables `settings`, `gateways`).
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
        try await database.read { db in
            guard let row = try db.query("SELECT key_hash FROM gateways WHERE id = ?", [.text(gateway)]).first else {
                return .unknownGateway
            }
            guard let hash = row.string(0), !hash.isEmpty else { return .noKey }
            return .keyHash(hash)
        }
    }
}
