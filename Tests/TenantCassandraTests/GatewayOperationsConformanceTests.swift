import CQLClient
import Foundation
import Logging
import TenantCassandra
import TenantModel
import TenantStorage
import Testing

/// Gateway registration, disabling, deletion and refusal records: the SQLite store's
/// behaviour is the contract, the Cassandra store (on ``FakeStoreNode``) must match it.
@Suite struct GatewayOperationsConformanceTests {
    @Test(arguments: AdminBackend.local) func registerDisableDelete(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            let customer = try await store.createCustomer(CustomerDraft(name: "A"), at: 1)
            _ = try await opened.readings.commit([GatewayReport(gateway: "gw-seen", readings: [Reading(sensor: "s", at: 1_000_000, power: 1)], receivedAt: 2_000_000)])
            #expect(try await store.register(GatewayRegistration(id: "gw-r", customerID: customer.id, site: "Roof", credential: .key, keyHash: "$y$x"), maxGateways: 3, at: 5) == .registered)
            #expect(try await store.register(GatewayRegistration(id: "gw-r", credential: .key), maxGateways: nil, at: 5) == .exists)
            #expect(try await store.register(GatewayRegistration(id: "gw-seen", credential: .key), maxGateways: nil, at: 5) == .exists)
            #expect(try await store.register(GatewayRegistration(id: "gw-q", customerID: 12345, credential: .key), maxGateways: nil, at: 5) == .unknownCustomer)
            #expect(try await store.register(GatewayRegistration(id: "gw-c", credential: .certificate), maxGateways: 2, at: 5) == .limitReached(2))
            let registered = try #require(try await store.gateway(id: "gw-r"))
            #expect(registered.customerID == customer.id && registered.site == "Roof" && registered.hasKey && registered.credential == .key)
            #expect(!registered.hasReported && !registered.disabled)
            #expect(try await store.gateways().map(\.id) == ["gw-r", "gw-seen"])

            // First contact: seen, assignment kept.
            _ = try await opened.readings.commit([GatewayReport(gateway: "gw-r", readings: [Reading(sensor: "s", at: 3_000_000, power: 1)], receivedAt: 4_000_000)])
            let seen = try #require(try await store.gateway(id: "gw-r"))
            #expect(seen.firstSeen == 4_000_000 && seen.lastSeen == 4_000_000 && seen.customerID == customer.id && seen.credential == .key)

            #expect(try await store.setDisabled(gateway: "gw-r", true))
            #expect(try await store.gateway(id: "gw-r")?.disabled == true)
            #expect(try await store.setDisabled(gateway: "nope", true) == false)
            #expect(try await store.setDisabled(gateway: "gw-r", false))
            #expect(try await store.gateway(id: "gw-r")?.disabled == false)
            #expect(try await store.storeStatistics().oldestReading == 1_000_000)

            #expect(try await store.deleteGateway("gw-seen", purgeReadings: true))
            #expect(try await store.deleteGateway("gw-r", purgeReadings: false))
            #expect(try await store.deleteGateway("gw-r", purgeReadings: false) == false)
            #expect(try await store.gateways().isEmpty)
            #expect(try await opened.readings.readings(gateway: "gw-seen", from: 0, to: 10_000_000).isEmpty)
            #expect(try await opened.readings.readings(gateway: "gw-r", from: 0, to: 10_000_000).count == 1)
        }
    }

    @Test(arguments: AdminBackend.local) func refusalsAreListedNewestFirst(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            try await opened.recordRefusals([GatewayRefusal(kind: .refused, gateway: "a", reason: "wrong gateway key", attempts: 2, lastAttempt: 100)])
            try await opened.recordRefusals([
                GatewayRefusal(kind: .refused, gateway: "a", reason: "gateway disabled", attempts: 1, lastAttempt: 300),
                GatewayRefusal(kind: .refused, gateway: "b", reason: "unknown gateway", attempts: 1, lastAttempt: 200),
                GatewayRefusal(kind: .rateLimited, gateway: "a", reason: "over", attempts: 7, lastAttempt: 250),
            ])
            let refused = try await opened.admin.refusals(kind: .refused, since: 0, limit: 10)
            #expect(refused == [
                GatewayRefusal(kind: .refused, gateway: "a", reason: "gateway disabled", attempts: 3, lastAttempt: 300),
                GatewayRefusal(kind: .refused, gateway: "b", reason: "unknown gateway", attempts: 1, lastAttempt: 200),
            ])
            #expect(try await opened.admin.refusals(kind: .refused, since: 250, limit: 10).map(\.gateway) == ["a"])
            #expect(try await opened.admin.refusals(kind: .rateLimited, since: 0, limit: 10).map(\.attempts) == [7])
            try await opened.admin.clearRefusals(gateway: "a")
            #expect(try await opened.admin.refusals(kind: .refused, since: 0, limit: 10).map(\.gateway) == ["b"])
            #expect(try await opened.admin.refusals(kind: .rateLimited, since: 0, limit: 10).isEmpty)
            // Bounded: a flood keeps only the newest rows.
            try await opened.recordRefusals((0..<(GatewayRefusal.maxRowsPerKind + 20)).map { i in
                GatewayRefusal(kind: .refused, gateway: "rnd-\(i)", reason: "unknown gateway", attempts: 1, lastAttempt: 1000 + Int64(i))
            })
            let kept = try await opened.admin.refusals(kind: .refused, since: 0, limit: 1000)
            #expect(kept.count == GatewayRefusal.maxRowsPerKind && !kept.contains { $0.gateway == "b" })
        }
    }
}

/// What only the Cassandra path does: TTLs for retention, the policy from the `admin` table.
@Suite struct CassandraRetentionAndPolicyTests {
    static let logger = Logger(label: "test.cassandra.retention")

    @Test func readingsGetTheTTLLeftOfTheirRetention() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
        let store = try await CassandraStore.openReadingStore(url, logger: Self.logger)
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        _ = try await store.commit([GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: now, power: 1)], receivedAt: now)])
        #expect(node.tables.withLock { $0.readingTTLs.isEmpty })
        // A store opened after the setting (the running one re-reads it within a minute).
        try await store.settingsStore.setSettings(ProviderLimits(retentionDays: 30).stored)
        let fresh = try await CassandraStore.openReadingStore(url, logger: Self.logger)
        let twoDaysAgo = now - 2 * 86_400_000
        _ = try await fresh.commit([GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: now + 1000, power: 1), Reading(sensor: "t", at: twoDaysAgo, power: 1)], receivedAt: now)])
        let ttls: [String: Int32] = node.tables.withLock { tables in
            var byReading: [String: Int32] = [:]
            for (key, ttl) in tables.readingTTLs { byReading[key.sensor + "@" + String(key.at)] = ttl }
            return byReading
        }
        let month: Int32 = 30 * 86_400
        let current = try #require(ttls["s@\(now + 1000)"])
        let older = try #require(ttls["t@\(twoDaysAgo)"])
        // Within a minute: the store reads its own clock a little after the test's.
        #expect(current <= month + 1 && current > month - 60, "\(current)")
        #expect(older <= month - 2 * 86_400 && older > month - 2 * 86_400 - 60, "\(older)")
        await fresh.close()
        await store.close()
    }

    @Test func rollupsGetTheTTLLeftOfTheirRetentionAndExpiredHoursAreNotWritten() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
        let store = try await CassandraStore.openReadingStore(url, logger: Self.logger)
        let hour = RollupRules.hourMillis
        let wall = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let now = wall / hour * hour
        // Raw readings 1 day, rollups 2 days; readings from 60 h ago to now, one every 10 minutes.
        try await store.settingsStore.setSettings(ProviderLimits(retentionDays: 1, rollupRetentionDays: 2).stored)
        let readings = stride(from: now - 60 * hour, to: now, by: 600_000).map { Reading(sensor: "s", at: $0, power: 100) }
        _ = try await store.commit([GatewayReport(gateway: "g", readings: readings, receivedAt: now)])
        let admin = CassandraAdminStore(client: store.client, keyspace: store.keyspace, rollupGrace: 0)
        _ = try await admin.refreshRollup(gateway: "g")
        let cells = node.tables.withLock { $0.admin[.init(kind: "rollup", part: "g")] ?? [:] }
        let ttls = Dictionary(uniqueKeysWithValues: cells.map { (EpochMillis($0.key)!, $0.value.ttl) })
        // Hours that began more than 2 days ago are past their retention: not written at all.
        #expect(ttls.keys.min() == now - 47 * hour, "\(ttls.keys.sorted().map { ($0 - now) / hour })")
        let twoDays: Int32 = 2 * 86_400
        for (start, ttl) in ttls {
            let expected = twoDays - Int32((wall - start) / 1000)
            let got = try #require(ttl, "hour \(start) has a TTL")
            // Within a minute: the store reads its own clock a little after the test's.
            #expect(got <= expected && got > expected - 60, "hour \((start - now) / hour): \(got) s, expected \(expected) s")
        }
        // Forever again: later hours are written without a TTL (after the cached minute, here a fresh store).
        try await store.settingsStore.setSettings(ProviderLimits().stored)
        _ = try await store.commit([GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: now + hour, power: 1), Reading(sensor: "s", at: now + 2 * hour, power: 1)], receivedAt: now)])
        let fresh = CassandraAdminStore(client: store.client, keyspace: store.keyspace, rollupGrace: 0)
        _ = try await fresh.refreshRollup(gateway: "g")
        let latest = node.tables.withLock { $0.admin[.init(kind: "rollup", part: "g")] ?? [:] }.first { EpochMillis($0.key) == now + hour }
        #expect(latest != nil && latest?.value.ttl == nil)
        await store.close()
    }

    @Test func theStoreSizeIsCassandrasEstimateForOneCopy() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
        let store = try await CassandraStore.openReadingStore(url, logger: Self.logger)
        let admin = CassandraAdminStore(client: store.client, keyspace: store.keyspace)
        // Before Cassandra's first estimate: unknown, not zero.
        #expect(try await admin.storeStatistics().sizeBytes == nil)
        node.tables.withLock {
            $0.sizeEstimates["p1"] = [(mean: 1_000, partitions: 30), (mean: 250, partitions: 4), (mean: 0, partitions: 0)]
            $0.sizeEstimates["p2"] = [(mean: 1 << 40, partitions: 1 << 20)]
            $0.peers = [[127, 0, 0, 2], [127, 0, 0, 3]]
        }
        let statistics = try await admin.storeStatistics()
        // This node's share (31,000 bytes) times the three nodes; the other keyspace does not count.
        #expect(statistics.sizeBytes == 93_000 && statistics.sizeIsEstimate)
        // Absurd figures from a node saturate instead of trapping.
        node.tables.withLock { $0.sizeEstimates["p1"] = [(mean: .max, partitions: .max)] }
        #expect(try await admin.storeStatistics().sizeBytes == 1_000_000_000_000_000_000)
        await store.close()
    }

    @Test func thePolicyComesFromSettingsAndTheFlaggedGateways() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
        let store = try await CassandraStore.openReadingStore(url, logger: Self.logger)
        let admin = CassandraAdminStore(client: store.client, keyspace: store.keyspace)
        _ = try await store.commit([GatewayReport(gateway: "gw-a", readings: [], receivedAt: 1000)])
        #expect(try await admin.register(GatewayRegistration(id: "gw-c", credential: .certificate), maxGateways: nil, at: 0) == .registered)
        #expect(try await admin.setDisabled(gateway: "gw-a", true))
        try await store.settingsStore.setSettings(ProviderLimits(maxGateways: 5, readingsPerSecond: 10).stored.merging(["gateway_keys_required": "true"]) { a, _ in a })
        let policy = try await store.gatewayAccess.ingestPolicy()
        #expect(policy.keysRequired && policy.disabled == ["gw-a"] && policy.certificateOnly == ["gw-c"])
        #expect(policy.limits == ProviderLimits(maxGateways: 5, readingsPerSecond: 10))
        #expect(try await store.gatewayAccess.gatewayCount() == 2)
        #expect(try await store.gatewayAccess.flags("gw-c") == .init(disabled: false, credential: .certificate))
        await store.close()
    }
}
