import Foundation
import Testing
import TenantSQLite
import TenantStorage

/// Registration, disabling, deletion, refusal records, the ingest policy and retention
/// against a real SQLite file.
@Suite struct GatewayOperationsTests {
    func open() throws -> (SQLiteAdminStore, SQLiteReadingStore, SQLiteGatewayAuthStore, SQLiteDatabase) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-ops-\(UUID().uuidString).db").path
        let database = try SQLiteDatabase(path: path)
        return (SQLiteAdminStore(database: database), SQLiteReadingStore(database: database), SQLiteGatewayAuthStore(database: database), database)
    }

    @Test func registrationBeforeFirstContactThenFirstContact() async throws {
        let (store, readings, auth, _) = try open()
        let customer = try await store.createCustomer(CustomerDraft(name: "A"), at: 1)
        try await auth.recordRefusals([GatewayRefusal(kind: .refused, gateway: "gw-new", reason: "unknown gateway", attempts: 3, lastAttempt: 50)])
        #expect(try await store.register(GatewayRegistration(id: "gw-new", customerID: customer.id, site: "Roof", credential: .key, keyHash: "$y$h"), maxGateways: nil, at: 100) == .registered)
        #expect(try await store.register(GatewayRegistration(id: "gw-new", credential: .key), maxGateways: nil, at: 100) == .exists)
        #expect(try await store.register(GatewayRegistration(id: "gw-x", customerID: 999, credential: .key), maxGateways: nil, at: 100) == .unknownCustomer)
        #expect(try await store.register(GatewayRegistration(id: "gw-cert", credential: .certificate), maxGateways: 2, at: 100) == .registered)
        #expect(try await store.register(GatewayRegistration(id: "gw-3", credential: .certificate), maxGateways: 2, at: 100) == .limitReached(2))
        // Registering clears the gateway's refusals: it no longer needs the dashboard's attention.
        #expect(try await store.refusals(kind: .refused, since: 0, limit: 10).isEmpty)

        let registered = try #require(try await store.gateway(id: "gw-new"))
        #expect(registered.customerID == customer.id && registered.site == "Roof" && registered.hasKey && registered.credential == .key)
        #expect(!registered.hasReported && registered.firstSeen == 0)
        #expect(try await auth.gatewayAccess("gw-new") == GatewayAccess(key: .keyHash("$y$h"), credential: .key))
        #expect(try await auth.gatewayAccess("gw-cert") == GatewayAccess(key: .noKey, credential: .certificate))
        #expect(try await auth.gatewayAccess("nope").key == .unknownGateway)

        // The first report sets first and last seen; the assignment stays.
        _ = try await readings.commit([GatewayReport(gateway: "gw-new", readings: [Reading(sensor: "a", at: 10, power: 1)], receivedAt: 5000)])
        let seen = try #require(try await store.gateway(id: "gw-new"))
        #expect(seen.firstSeen == 5000 && seen.lastSeen == 5000 && seen.hasReported && seen.customerID == customer.id)
        _ = try await readings.commit([GatewayReport(gateway: "gw-new", readings: [], receivedAt: 6000)])
        #expect(try await store.gateway(id: "gw-new")?.firstSeen == 5000)
    }

    @Test func thePolicyNamesDisabledAndCertificateGatewaysAndTheLimits() async throws {
        let (store, readings, auth, _) = try open()
        _ = try await readings.commit([GatewayReport(gateway: "gw-a", readings: [], receivedAt: 1), GatewayReport(gateway: "gw-b", readings: [], receivedAt: 1)])
        #expect(try await store.register(GatewayRegistration(id: "gw-c", credential: .certificate), maxGateways: nil, at: 1) == .registered)
        #expect(try await store.setDisabled(gateway: "gw-b", true))
        #expect(try await store.setDisabled(gateway: "nope", true) == false)
        try await store.setSettings(ProviderLimits(maxGateways: 10, readingsPerSecond: 100, readingsBurst: 400, retentionDays: 30).stored.merging(["gateway_keys_required": "true"]) { $1 })
        let policy = try await auth.ingestPolicy()
        #expect(policy.keysRequired)
        #expect(policy.disabled == ["gw-b"] && policy.certificateOnly == ["gw-c"])
        #expect(policy.limits == ProviderLimits(maxGateways: 10, readingsPerSecond: 100, readingsBurst: 400, retentionDays: 30))
        #expect(policy.limits.effectiveBurst == 400)
        #expect(try await auth.gatewayCount() == 3)
        #expect(try await auth.gatewayAccess("gw-b").disabled)
        #expect(try await store.gateway(id: "gw-b")?.disabled == true)
        #expect(try await store.setDisabled(gateway: "gw-b", false))
        #expect(try await auth.ingestPolicy().disabled.isEmpty)
        // Saving "no limits" clears them.
        try await store.setSettings(ProviderLimits().stored)
        #expect(try await auth.ingestPolicy().limits == ProviderLimits())
    }

    @Test func refusalsAddUpAndStayBounded() async throws {
        let (store, _, auth, _) = try open()
        try await auth.recordRefusals([GatewayRefusal(kind: .refused, gateway: "gw-1", reason: "wrong gateway key", attempts: 2, lastAttempt: 100)])
        try await auth.recordRefusals([
            GatewayRefusal(kind: .refused, gateway: "gw-1", reason: "gateway disabled", attempts: 3, lastAttempt: 200),
            GatewayRefusal(kind: .rateLimited, gateway: "gw-1", reason: "over 10 readings/s", attempts: 1, lastAttempt: 150),
        ])
        let refused = try await store.refusals(kind: .refused, since: 0, limit: 10)
        #expect(refused == [GatewayRefusal(kind: .refused, gateway: "gw-1", reason: "gateway disabled", attempts: 5, lastAttempt: 200)])
        #expect(try await store.refusals(kind: .rateLimited, since: 0, limit: 10).map(\.attempts) == [1])
        #expect(try await store.refusals(kind: .refused, since: 201, limit: 10).isEmpty)
        // A flood of random ids: the table keeps the newest rows of each kind only.
        for round in 0..<3 {
            try await auth.recordRefusals((0..<150).map { i in
                GatewayRefusal(kind: .refused, gateway: "rnd-\(round)-\(i)", reason: "unknown gateway", attempts: 1, lastAttempt: 1000 + Int64(round * 150 + i))
            })
        }
        let kept = try await store.refusals(kind: .refused, since: 0, limit: 1000)
        #expect(kept.count == GatewayRefusal.maxRowsPerKind)
        #expect(kept.first?.gateway == "rnd-2-149" && !kept.contains { $0.gateway == "gw-1" })
        #expect(try await store.refusals(kind: .rateLimited, since: 0, limit: 10).count == 1)
        try await store.clearRefusals(gateway: "rnd-2-149")
        #expect(try await store.refusals(kind: .refused, since: 0, limit: 1).first?.gateway == "rnd-2-148")
    }

    @Test func deletingKeepsOrPurgesReadings() async throws {
        let (store, readings, _, database) = try open()
        for gateway in ["keep", "purge"] {
            let batch = (0..<1200).map { i in Reading(sensor: "s\(i % 3)", at: Int64(i / 3) * 60_000, power: 100) }
            _ = try await readings.commit([GatewayReport(gateway: gateway, readings: batch, receivedAt: 1)])
            _ = try await store.refreshRollup(gateway: gateway)
        }
        let hours = try await database.read { db in try db.query("SELECT count(*) FROM power_hourly WHERE gateway = 'purge'").first?.int(0) }
        #expect((hours ?? 0) > 0)
        #expect(try await store.deleteGateway("keep", purgeReadings: false))
        #expect(try await store.deleteGateway("purge", purgeReadings: true))
        #expect(try await store.deleteGateway("nope", purgeReadings: true) == false)
        #expect(try await store.gateway(id: "keep") == nil)
        #expect(try await store.gateway(id: "purge") == nil)
        let counts = try await database.read { db in
            ["keep", "purge"].map { g in (try? db.query("SELECT count(*) FROM readings WHERE gateway = ?", [.text(g)]).first?.int(0)) ?? -1 }
        }
        #expect(counts == [1200, 0])
        #expect(try await database.read { db in try db.query("SELECT count(*) FROM power_hourly WHERE gateway = 'purge'").first?.int(0) } == 0)
    }

    @Test func retentionDeletesOldReadingsAndRollupsInSmallBatches() async throws {
        let (store, readings, _, database) = try open()
        let day: Int64 = 86_400_000
        let now: Int64 = 100 * day
        // Three gateways, one reading per sensor every 10 minutes over the last 40 days.
        for gateway in ["a", "b", "c"] {
            var reports: [GatewayReport] = []
            var t = now - 40 * day
            while t < now {
                reports.append(GatewayReport(gateway: gateway, readings: [Reading(sensor: "x", at: t, power: 5), Reading(sensor: "y", at: t, power: 6)], receivedAt: t))
                t += 600_000
            }
            _ = try await readings.commit(reports)
            _ = try await store.refreshRollup(gateway: gateway)
        }
        let before = try await store.storeStatistics()
        #expect(before.oldestReading == now - 40 * day)
        #expect((before.sizeBytes ?? 0) > 100_000)
        // Nothing set: nothing deleted, one settings read.
        let retention = SQLiteRetention(database: database, batchSize: 100, pause: .zero, idleFactor: 0)
        #expect(try await retention.purge(now: now, limits: try await retention.limits()) == SQLiteRetention.PassResult())

        try await store.setSettings(ProviderLimits(retentionDays: 10, rollupRetentionDays: 20).stored)
        let result = try await retention.purge(now: now, limits: try await retention.limits())
        // 30 days x 144 instants x 2 sensors per gateway, 100 rows per transaction.
        #expect(result.readings == 3 * 30 * 144 * 2)
        #expect(result.batches >= result.readings / 100)
        #expect(result.rollups == 3 * 20 * 24)
        let oldest = try await database.read { db in try db.query("SELECT min(at) FROM readings").first?.int64(0) }
        #expect(oldest == now - 10 * day)
        let oldestHour = try await database.read { db in try db.query("SELECT min(hour) FROM power_hourly").first?.int64(0) }
        #expect(oldestHour == now - 20 * day)
        #expect(try await store.storeStatistics().oldestReading == now - 10 * day)
        // A second pass has nothing left to do.
        #expect(try await retention.purge(now: now, limits: try await retention.limits()).readings == 0)
    }

    @Test func limitsParseAndStore() {
        #expect(ProviderLimits(stored: [:]) == ProviderLimits())
        #expect(ProviderLimits(stored: ["max_gateways": "0", "gateway_readings_per_second": "abc", "retention_days": "-3"]) == ProviderLimits())
        let limits = ProviderLimits(maxGateways: 5, readingsPerSecond: 2.5, retentionDays: 7, rollupRetentionDays: 3)
        #expect(ProviderLimits(stored: limits.stored) == limits)
        #expect(limits.effectiveBurst == 12.5)
        // Rollups are never dropped before the raw readings they come from.
        let week: EpochMillis = 7 * 86_400_000
        #expect(limits.rollupRetentionMillis == week)
    }
}
