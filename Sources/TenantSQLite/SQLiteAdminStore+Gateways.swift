import TenantStorage

extension SQLiteAdminStore: GatewayDirectory {
    private static let gatewayColumns = "id, customer_id, site, key_hash IS NOT NULL, first_seen, last_seen, disabled, credential"

    private static func gateway(_ row: SQLiteRow) -> GatewayInfo {
        GatewayInfo(
            id: row.string(0) ?? "", customerID: row.int64(1), site: row.string(2), hasKey: row.int(3) == 1,
            firstSeen: row.int64(4) ?? 0, lastSeen: row.int64(5) ?? 0, disabled: row.int(6) == 1,
            credential: row.string(7).flatMap(GatewayCredential.init(rawValue:)))
    }

    public func gateways() async throws -> [GatewayInfo] {
        try await database.read { db in
            try db.query("SELECT \(Self.gatewayColumns) FROM gateways ORDER BY id").map(Self.gateway)
        }
    }

    public func gateway(id: String) async throws -> GatewayInfo? {
        try await database.read { db in
            try db.query("SELECT \(Self.gatewayColumns) FROM gateways WHERE id = ?", [.text(id)]).first.map(Self.gateway)
        }
    }

    public func assign(gateway: String, customer: Int64?, site: String?) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                if let customer, try db.query("SELECT 1 FROM customers WHERE id = ?", [.integer(customer)]).isEmpty { return false }
                return try db.run(
                    "UPDATE gateways SET customer_id = ?, site = ? WHERE id = ?",
                    [.integer(customer), .text(site), .text(gateway)]) > 0
            }
        }
    }

    public func setKeyHash(gateway: String, hash: String?) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE gateways SET key_hash = ? WHERE id = ?", [.text(hash), .text(gateway)]) > 0
        }
    }

    public func latestReadings(gateway: String, since: EpochMillis) async throws -> [Reading] {
        try await database.read { db in try Self.latest(db, gateway: gateway, since: since) }
    }

    public func latestReadings(gateways: [String], since: EpochMillis) async throws -> [String: [Reading]] {
        try await database.readInBulk { db in
            var result: [String: [Reading]] = [:]
            for gateway in gateways { result[gateway] = try Self.latest(db, gateway: gateway, since: since) }
            return result
        }
    }

    private static func latest(_ db: SQLiteConnection, gateway: String, since: EpochMillis) throws -> [Reading] {
        try db.query(
            """
            SELECT r.sensor, r.at, r.power, r.energy, r.voltage, r.current, r.temperature
            FROM (SELECT sensor, MAX(at) AS at FROM readings WHERE gateway = ?1 AND at >= ?2 GROUP BY sensor) AS latest
            JOIN readings AS r ON r.gateway = ?1 AND r.at = latest.at AND r.sensor = latest.sensor
            ORDER BY r.sensor
            """,
            [.text(gateway), .integer(since)]
        ).map { row in
            Reading(
                sensor: row.string(0) ?? "", at: row.int64(1) ?? 0, power: row.double(2) ?? 0,
                energy: row.double(3), voltage: row.double(4), current: row.double(5), temperature: row.double(6))
        }
    }
}
