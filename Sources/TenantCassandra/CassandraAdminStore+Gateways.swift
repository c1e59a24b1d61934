import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: GatewayDirectory {
    private static func gatewayInfo(id: String, _ row: [CQLValue]) -> GatewayInfo? {
        // row: customer_id, site, key_hash, first_seen, last_seen
        guard row.count == 5, !(row[3].isNull && row[4].isNull) else { return nil }
        return GatewayInfo(
            id: id, customerID: row[0].int64, site: row[1].string, hasKey: !row[2].isNull, firstSeen: row[3].int64 ?? 0,
            lastSeen: row[4].int64 ?? 0)
    }

    public func gateways() async throws -> [GatewayInfo] {
        try await wrap("gateway list") {
            // DISTINCT over the partition key and static columns: one row per gateway.
            let statement = try await client.prepare(
                "SELECT DISTINCT id, customer_id, site, key_hash, first_seen, last_seen FROM \(ks).gateways")
            let flags = try await access.allFlags()
            return try await client.executeAll(statement, [], consistency: consistency).rows.compactMap { row in
                guard let id = row.first?.string else { return nil }
                return Self.gatewayInfo(id: id, Array(row.dropFirst()))?.with(flags[id])
            }.sorted { $0.id < $1.id }
        }
    }

    public func gateway(id: String) async throws -> GatewayInfo? {
        try await wrap("gateway read") {
            let statement = try await client.prepare(
                "SELECT customer_id, site, key_hash, first_seen, last_seen FROM \(ks).gateways WHERE id = ? LIMIT 1")
            guard case .rows(let rows) = try await client.execute(statement, [.text(id)], consistency: consistency),
                let row = rows.rows.first
            else { return nil }
            return Self.gatewayInfo(id: id, row)?.with(try await access.flags(id))
        }
    }

    public func assign(gateway: String, customer: Int64?, site: String?) async throws -> Bool {
        try await wrap("gateway assignment") {
            if let customer, try await self.customer(id: customer) == nil { return false }
            guard try await self.gateway(id: gateway) != nil else { return false }
            let statement = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ?, site = ? WHERE id = ?")
            _ = try await client.execute(
                statement, [customer.map(CQLValue.bigint) ?? .null, site.map(CQLValue.text) ?? .null, .text(gateway)], consistency: consistency)
            return true
        }
    }

    public func setKeyHash(gateway: String, hash: String?) async throws -> Bool {
        try await wrap("gateway key write") {
            guard try await self.gateway(id: gateway) != nil else { return false }
            let statement = try await client.prepare("UPDATE \(ks).gateways SET key_hash = ? WHERE id = ?")
            _ = try await client.execute(statement, [hash.map(CQLValue.text) ?? .null, .text(gateway)], consistency: consistency)
            return true
        }
    }

    public func latestReadings(gateway: String, since: EpochMillis) async throws -> [Reading] {
        // Reads every reading since `since` (the dashboard passes a recent bound) and keeps
        // each sensor's newest: Cassandra has no GROUP BY across the per-day partitions.
        var newest: [String: Reading] = [:]
        for reading in try await readingStore.readings(gateway: gateway, from: since, to: Self.farFuture) where reading.at >= (newest[reading.sensor]?.at ?? .min) {
            newest[reading.sensor] = reading
        }
        return newest.values.sorted { $0.sensor < $1.sensor }
    }

    public func latestReadings(gateways: [String], since: EpochMillis) async throws -> [String: [Reading]] {
        let results = try await concurrently(gateways, limit: 8) { gateway in
            (gateway, try await self.latestReadings(gateway: gateway, since: since))
        }
        return Dictionary(results, uniquingKeysWith: { first, _ in first })
    }
}

extension GatewayInfo {
    func with(_ flags: CassandraGatewayAccess.Flags?) -> GatewayInfo {
        var info = self
        info.disabled = flags?.disabled ?? false
        info.credential = flags?.credential
        return info
    }
}
