import TenantStorage

extension SQLiteAdminStore: GatewayOperationsStore {
    public func register(_ registration: GatewayRegistration, maxGateways: Int?, at: EpochMillis) async throws -> GatewayRegistrationResult {
        try await database.write { db in
            try db.transaction { () throws -> GatewayRegistrationResult in
                if try !db.query("SELECT 1 FROM gateways WHERE id = ?", [.text(registration.id)]).isEmpty { return .exists }
                if let customer = registration.customerID, try db.query("SELECT 1 FROM customers WHERE id = ?", [.integer(customer)]).isEmpty {
                    return .unknownCustomer
                }
                if let maxGateways {
                    let count = try db.query("SELECT count(*) FROM gateways").first?.int(0) ?? 0
                    if count >= maxGateways { return .limitReached(count) }
                }
                // first_seen and last_seen 0: not seen yet (ingest sets both on first contact).
                try db.run(
                    "INSERT INTO gateways (id, customer_id, site, key_hash, credential, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, 0, 0)",
                    [.text(registration.id), .integer(registration.customerID), .text(registration.site), .text(registration.keyHash),
                     .text(registration.credential.rawValue)])
                try db.run("DELETE FROM gateway_refusals WHERE gateway = ?", [.text(registration.id)])
                return .registered
            }
        }
    }

    public func setDisabled(gateway: String, _ disabled: Bool) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE gateways SET disabled = ? WHERE id = ?", [.integer(disabled ? 1 : 0), .text(gateway)]) > 0
        }
    }

    public func deleteGateway(_ id: String, purgeReadings: Bool) async throws -> Bool {
        let existed = try await database.write { db in
            try db.transaction { () throws -> Bool in
                for table in ["alert_state", "rollup_state"] {
                    try db.run("DELETE FROM \(table) WHERE gateway = ?", [.text(id)])
                }
                try db.run("DELETE FROM gateway_refusals WHERE gateway = ?", [.text(id)])
                return try db.run("DELETE FROM gateways WHERE id = ?", [.text(id)]) > 0
            }
        }
        guard existed else { return false }
        if purgeReadings {
            // Small transactions, like retention: ingest's commits interleave with them.
            let retention = SQLiteRetention(database: database)
            while try await retention.deleteBatch(table: .readings, gateway: id, before: .max) > 0 {}
            while try await retention.deleteBatch(table: .rollups, gateway: id, before: .max) > 0 {}
        }
        return true
    }

    public func refusals(kind: GatewayRefusal.Kind, since: EpochMillis, limit: Int) async throws -> [GatewayRefusal] {
        try await database.read { db in
            try db.query(
                """
                SELECT gateway, reason, attempts, last_attempt FROM gateway_refusals
                WHERE kind = ? AND last_attempt >= ? ORDER BY last_attempt DESC, gateway LIMIT ?
                """,
                [.text(kind.rawValue), .integer(since), .integer(Int64(limit))]
            ).map { row in
                GatewayRefusal(kind: kind, gateway: row.string(0) ?? "", reason: row.string(1) ?? "", attempts: row.int(2) ?? 0, lastAttempt: row.int64(3) ?? 0)
            }
        }
    }

    public func clearRefusals(gateway: String) async throws {
        _ = try await database.write { db in try db.run("DELETE FROM gateway_refusals WHERE gateway = ?", [.text(gateway)]) }
    }

    public func storeStatistics() async throws -> StoreStatistics {
        try await database.read { db in
            let pages = try db.query("PRAGMA page_count").first?.int64(0) ?? 0
            let pageSize = try db.query("PRAGMA page_size").first?.int64(0) ?? 0
            return StoreStatistics(sizeBytes: pages * pageSize, oldestReading: try SQLiteRetention.oldestReading(db))
        }
    }
}
