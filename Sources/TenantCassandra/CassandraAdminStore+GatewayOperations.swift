import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: GatewayOperationsStore {
    var access: CassandraGatewayAccess { CassandraGatewayAccess(client: client, keyspace: keyspace, consistency: consistency) }

    public func register(_ registration: GatewayRegistration, maxGateways: Int?, at: EpochMillis) async throws -> GatewayRegistrationResult {
        try await wrap("gateway registration") { () async throws -> GatewayRegistrationResult in
            // Reads before writes, not a lightweight transaction (as for staff names): two
            // staff registering the same id at once both succeed, the last write wins.
            if try await gateway(id: registration.id) != nil { return .exists }
            if let customer = registration.customerID, try await self.customer(id: customer) == nil { return .unknownCustomer }
            if let maxGateways {
                let count = try await access.gatewayCount()
                if count >= maxGateways { return .limitReached(count) }
            }
            // first_seen 0 marks it registered (ingest's first commit sets the real time);
            // last_seen 0 at write time 0, so any report's last_seen wins.
            let register = try await client.prepare("UPDATE \(ks).gateways SET first_seen = ? WHERE id = ?")
            _ = try await client.execute(register, [.timestamp(0), .text(registration.id)], consistency: consistency)
            let touch = try await client.prepare("UPDATE \(ks).gateways USING TIMESTAMP ? SET last_seen = ? WHERE id = ?")
            _ = try await client.execute(touch, [.bigint(0), .timestamp(0), .text(registration.id)], consistency: consistency)
            if registration.customerID != nil || registration.site != nil {
                let assign = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ?, site = ? WHERE id = ?")
                _ = try await client.execute(
                    assign, [registration.customerID.map(CQLValue.bigint) ?? .null, registration.site.map(CQLValue.text) ?? .null, .text(registration.id)],
                    consistency: consistency)
            }
            if let hash = registration.keyHash {
                let key = try await client.prepare("UPDATE \(ks).gateways SET key_hash = ? WHERE id = ?")
                _ = try await client.execute(key, [.text(hash), .text(registration.id)], consistency: consistency)
            }
            try await access.setFlags(registration.id, .init(disabled: false, credential: registration.credential))
            try await access.clearRefusals(gateway: registration.id)
            return .registered
        }
    }

    public func setDisabled(gateway id: String, _ disabled: Bool) async throws -> Bool {
        try await wrap("gateway update") { () async throws -> Bool in
            guard let info = try await gateway(id: id) else { return false }
            let flags = CassandraGatewayAccess.Flags(disabled: disabled, credential: info.credential)
            try await access.setFlags(id, flags.disabled || flags.credential != nil ? flags : nil)
            return true
        }
    }

    public func deleteGateway(_ id: String, purgeReadings: Bool) async throws -> Bool {
        try await wrap("gateway deletion") { () async throws -> Bool in
            guard try await gateway(id: id) != nil else { return false }
            let partitions = try await readingStore.indexedPartitions(gateway: id)
            if purgeReadings {
                let deleteGateway = try await client.prepare("DELETE FROM \(ks).gateways WHERE id = ?")
                _ = try await client.execute(deleteGateway, [.text(id)], consistency: consistency)
            } else {
                // Kept readings stay reachable through the partition's index rows: only the
                // gateway's own (static) fields go, which is what makes it unknown. Its next
                // report registers it again, as in SQLite.
                let assign = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ?, site = ? WHERE id = ?")
                _ = try await client.execute(assign, [.null, .null, .text(id)], consistency: consistency)
                let key = try await client.prepare("UPDATE \(ks).gateways SET key_hash = ? WHERE id = ?")
                _ = try await client.execute(key, [.null, .text(id)], consistency: consistency)
                let first = try await client.prepare("UPDATE \(ks).gateways SET first_seen = ? WHERE id = ?")
                _ = try await client.execute(first, [.null, .text(id)], consistency: consistency)
                // last_seen is written at the report's receive time: clear it at the wall clock.
                let last = try await client.prepare("UPDATE \(ks).gateways USING TIMESTAMP ? SET last_seen = ? WHERE id = ?")
                let micros = Int64(Date().timeIntervalSince1970 * 1_000_000)
                _ = try await client.execute(last, [.bigint(micros), .null, .text(id)], consistency: consistency)
            }
            try await access.setFlags(id, nil)
            try await access.clearRefusals(gateway: id)
            try await remove("alert", Self.single, id)
            try await remove("rollup_state", Self.single, id)
            if purgeReadings {
                // One partition deletion per (sensor, day): a tombstone each, no row scan.
                let deleteReadings = try await client.prepare("DELETE FROM \(ks).readings WHERE gateway = ? AND sensor = ? AND day = ?")
                _ = try await concurrently(partitions, limit: 8) { sensor, day in
                    _ = try await client.execute(deleteReadings, [.text(id), .text(sensor), .date(day)], consistency: consistency)
                }
                let deleteRollups = try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ?")
                for kind in ["rollup", LateReadings.kind] {
                    _ = try await client.execute(deleteRollups, [.text(kind), .text(id)], consistency: consistency)
                }
            }
            return true
        }
    }

    public func refusals(kind: GatewayRefusal.Kind, since: EpochMillis, limit: Int) async throws -> [GatewayRefusal] {
        try await wrap("refusal read") {
            Array(try await access.refusals(kind: kind).filter { $0.lastAttempt >= since }
                .sorted { ($0.lastAttempt, $1.gateway) > ($1.lastAttempt, $0.gateway) }.prefix(limit))
        }
    }

    public func clearRefusals(gateway: String) async throws {
        try await wrap("refusal update") { try await access.clearRefusals(gateway: gateway) }
    }

    /// Cassandra: no size (it is the cluster's, per node; `nodetool tablestats` tells), and
    /// the oldest reading from each gateway's oldest indexed day.
    public func storeStatistics() async throws -> StoreStatistics {
        try await wrap("statistics read") { () async throws -> StoreStatistics in
            var oldest: EpochMillis?
            for gateway in try await gateways() {
                for day in Set(try await readingStore.indexedPartitions(gateway: gateway.id).map(\.day)).sorted() {
                    let start = Int64(day) * 86_400_000
                    if let first = try await readingStore.readings(gateway: gateway.id, from: start, to: start + 86_400_000).first?.at {
                        oldest = Swift.min(oldest ?? first, first)
                        break
                    }
                }
            }
            return StoreStatistics(sizeBytes: try await estimatedSize(), sizeIsEstimate: true, oldestReading: oldest)
        }
    }

    /// The keyspace's size on disk, one copy, from what Cassandra itself estimates: each node
    /// records every table's mean partition size and partition count over its primary token
    /// ranges in `system.size_estimates` (refreshed every 5 minutes), so the node asked holds
    /// about one node's share, times the nodes of the cluster. nil before the first estimate.
    func estimatedSize() async throws -> Int64? {
        let estimates = try await client.prepare("SELECT mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = ?")
        let rows = try await client.executeAll(estimates, [.text(keyspace.rawValue)], consistency: .one).rows
        guard !rows.isEmpty else { return nil }
        // In floating point: a node's figures cannot overflow the sum.
        let share = rows.reduce(0.0) { sum, row in
            guard row.count == 2, let mean = row[0].int64, let count = row[1].int64, mean > 0, count > 0 else { return sum }
            return sum + Double(mean) * Double(count)
        }
        guard case .rows(let peers) = try await client.query("SELECT peer FROM system.peers", consistency: .one) else { return nil }
        return Int64(Swift.min(share * Double(peers.rows.count + 1), 1e18))
    }
}
