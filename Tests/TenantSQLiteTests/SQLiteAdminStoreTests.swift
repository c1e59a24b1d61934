import Foundation
import Testing
import TenantSQLite
import TenantStorage

@Suite struct SQLiteAdminStoreTests {
    func open() throws -> (SQLiteAdminStore, SQLiteReadingStore, SQLiteDatabase) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("admin-store-\(UUID().uuidString).db").path
        let database = try SQLiteDatabase(path: path)
        return (SQLiteAdminStore(database: database), SQLiteReadingStore(database: database), database)
    }

    @Test func migrationsReachTheAdminSchema() async throws {
        let (_, _, database) = try open()
        let version = try await database.read { db in try db.userVersion }
        #expect(version == (Schema.migrations.map(\.version).max() ?? 0))
        #expect(version >= 2)
        let tables = try await database.read { db in try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.string(0) } }
        for table in ["staff", "sessions", "outbox", "power_hourly", "rollup_state", "alert_state"] { #expect(tables.contains(table)) }
    }

    @Test func customersAndGateways() async throws {
        let (store, readings, _) = try open()
        _ = try await readings.commit([GatewayReport(gateway: "gw-a", readings: [], receivedAt: 1000)])
        let customer = try await store.createCustomer(CustomerDraft(name: "A", recipients: ["a@x.org", "b@x.org"]), at: 5)
        #expect(try await store.customer(id: customer.id)?.recipients == ["a@x.org", "b@x.org"])
        #expect(try await store.assign(gateway: "gw-a", customer: customer.id, site: "Roof"))
        #expect(try await store.assign(gateway: "gw-a", customer: 999, site: nil) == false)
        #expect(try await store.assign(gateway: "nope", customer: customer.id, site: nil) == false)
        #expect(try await store.gateway(id: "gw-a")?.customerID == customer.id)
        #expect(try await store.setKeyHash(gateway: "gw-a", hash: "$y$x"))
        #expect(try await store.gateway(id: "gw-a")?.hasKey == true)
        #expect(try await store.deleteCustomer(id: customer.id))
        #expect(try await store.gateway(id: "gw-a")?.customerID == nil)
        #expect(try await store.deleteCustomer(id: customer.id) == false)
    }

    @Test func latestReadingPerSensor() async throws {
        let (store, readings, _) = try open()
        _ = try await readings.commit([
            GatewayReport(gateway: "g", readings: [Reading(sensor: "s1", at: 100, power: 1), Reading(sensor: "s2", at: 100, power: 2)], receivedAt: 100),
            GatewayReport(gateway: "g", readings: [Reading(sensor: "s1", at: 200, power: 3)], receivedAt: 200),
        ])
        let latest = try await store.latestReadings(gateway: "g", since: 0)
        #expect(latest.map(\.sensor) == ["s1", "s2"])
        #expect(latest.map(\.power) == [3, 2])
        #expect(try await store.latestReadings(gateway: "g", since: 150).map(\.sensor) == ["s1"])
        let batch = try await store.latestReadings(gateways: ["g", "unknown"], since: 0)
        #expect(batch["g"] == latest)
        #expect(batch["unknown"] == [])
    }

    @Test func staffSessionsAndTokens() async throws {
        let (store, _, _) = try open()
        #expect(try await store.createStaff(name: "ann", passwordHash: "$y$h", at: 1))
        #expect(try await store.createStaff(name: "ann", passwordHash: "$y$h", at: 1) == false)
        try await store.createSession(StaffSession(idHash: "s1", staff: "ann", createdAt: 10, expiresAt: 100))
        #expect(try await store.session(idHash: "s1", now: 50)?.staff == "ann")
        #expect(try await store.session(idHash: "s1", now: 100) == nil)
        #expect(try await store.setAPITokenHash(name: "ann", hash: "t1"))
        #expect(try await store.staffAccount(apiTokenHash: "t1")?.name == "ann")
        #expect(try await store.staffAccount(name: "ann")?.hasAPIToken == true)
        #expect(try await store.deleteStaff(name: "ann"))
        #expect(try await store.session(idHash: "s1", now: 50) == nil)
        #expect(try await store.staffAccount(apiTokenHash: "t1") == nil)
    }

    @Test func outboxIsKeyedAndRetries() async throws {
        let (store, _, _) = try open()
        let mail = OutboxMail(dedupeKey: "k1", recipients: ["a@x.org"], subject: "s", textBody: "t", htmlBody: "h", createdAt: 10)
        #expect(try await store.enqueue(mail))
        #expect(try await store.enqueue(mail) == false)
        let due = try await store.dueMails(now: 10, limit: 10)
        #expect(due.count == 1)
        try await store.markFailed(id: due[0].id, error: "down", nextAttemptAt: 100)
        #expect(try await store.dueMails(now: 50, limit: 10).isEmpty)
        #expect(try await store.failingMails(minAttempts: 1).first?.lastError == "down")
        try await store.markSent(id: due[0].id, at: 120)
        #expect(try await store.dueMails(now: 1000, limit: 10).isEmpty)
        let counts = try await store.outboxCounts()
        #expect(counts.pending == 0 && counts.sent == 1)
    }

    @Test func settingsRoundTrip() async throws {
        let (store, _, _) = try open()
        try await store.setSettings(["gateway_keys_required": "true", "time_zone": "UTC"])
        try await store.setSettings(["gateway_keys_required": "false"])
        #expect(try await store.setting("gateway_keys_required") == "false")
        #expect(try await store.settings()["time_zone"] == "UTC")
    }
}
