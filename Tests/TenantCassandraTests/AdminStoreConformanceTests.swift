import CQLClient
import Foundation
import Logging
import TenantCassandra
import TenantModel
import TenantSQLite
import TenantStorage
import Testing

/// The stores an admin-store conformance test runs against.
enum AdminBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `SQLiteAdminStore` over a temporary file: the reference semantics.
    case sqlite
    /// `CassandraAdminStore` over the client, the wire and ``FakeStoreNode`` (in-memory
    /// tables, not Cassandra).
    case cassandraFakeNode
    /// `CassandraAdminStore` on the real cluster `TENANT_CASSANDRA_CONTACT_POINTS` names, in a
    /// keyspace `it_<random>` dropped at the end. Only when that variable is set.
    case cassandraCluster

    var testDescription: String { rawValue }

    /// The backends every run has; the cluster runs in ``AdminStoreClusterConformanceTests``,
    /// which shows as skipped, with its reason, when no cluster is configured.
    static let local: [AdminBackend] = [.sqlite, .cassandraFakeNode]

    /// Whether `TENANT_CASSANDRA_CONTACT_POINTS` names a cluster for ``cassandraCluster``.
    static var clusterConfigured: Bool { ProcessInfo.processInfo.environment["TENANT_CASSANDRA_CONTACT_POINTS"] != nil }

    struct Opened: Sendable {
        let admin: any AdminStore
        let readings: any ReadingStore
        let node: FakeStoreNode?
        let finish: @Sendable () async -> Void
        /// What tenant-ingest calls to record refusals, on the same store.
        var recordRefusals: @Sendable ([GatewayRefusal]) async throws -> Void = { _ in }

        /// Runs `body`, then ``finish``, also when `body` throws.
        func withFinish<T>(_ body: (Opened) async throws -> T) async throws -> T {
            do {
                let value = try await body(self)
                await finish()
                return value
            } catch {
                await finish()
                throw error
            }
        }
    }

    /// Runs `body` on a fresh store and cleans up afterwards, also when it throws (on a
    /// cluster: drops the keyspace).
    func with(_ body: (Opened) async throws -> Void) async throws {
        let opened = try await open()
        do {
            try await body(opened)
        } catch {
            await opened.finish()
            throw error
        }
        await opened.finish()
    }

    func open(rollupGrace: EpochMillis = 15 * 60_000) async throws -> Opened {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString).db").path
            let database = try SQLiteDatabase(path: path)
            return Opened(
                admin: SQLiteAdminStore(database: database, rollupGrace: rollupGrace), readings: SQLiteReadingStore(database: database),
                node: nil, finish: { try? FileManager.default.removeItem(atPath: path) },
                recordRefusals: { try await SQLiteGatewayAuthStore(database: database).recordRefusals($0) })
        case .cassandraFakeNode:
            let node = try await FakeStoreNode.start()
            let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
            let store = try await CassandraStore.openReadingStore(url, logger: Logger(label: "test.conformance"))
            return Opened(
                admin: CassandraAdminStore(client: store.client, keyspace: store.keyspace, rollupGrace: rollupGrace), readings: store,
                node: node, finish: { await store.close(); await node.stop() },
                recordRefusals: { try await store.gatewayAccess.recordRefusals($0) })
        case .cassandraCluster:
            let environment = ProcessInfo.processInfo.environment
            let points = try (environment["TENANT_CASSANDRA_CONTACT_POINTS"] ?? "").split(separator: ",").map {
                try HostPort(parsing: String($0), defaultPort: StoreURL.defaultCassandraPort)
            }
            let keyspace = "it_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let settings = try CassandraStore.settings(from: environment)
            let logger = Logger(label: "test.conformance")
            let store = try await CassandraStore.openReadingStore(
                .cassandra(contactPoints: points, keyspace: keyspace), settings: settings, logger: logger)
            return Opened(
                admin: CassandraAdminStore(client: store.client, keyspace: store.keyspace, rollupGrace: rollupGrace), readings: store,
                node: nil,
                finish: {
                    try? await CassandraKeyspaceAdmin.drop(keyspace: store.keyspace, on: store.client, logger: logger)
                    await store.close()
                })
        }
    }
}

/// One suite of ``AdminStore`` expectations, run against both implementations: what the
/// SQLite store does is the contract the Cassandra store must meet.
@Suite struct AdminStoreConformanceTests {
    @Test(arguments: AdminBackend.local) func customersAndGateways(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            _ = try await readings.commit([
                GatewayReport(gateway: "gw-b", readings: [], receivedAt: 2000),
                GatewayReport(gateway: "gw-a", readings: [], receivedAt: 1000),
            ])
            let customer = try await store.createCustomer(CustomerDraft(name: "b corp", recipients: ["a@x.org", "b@x.org"]), at: 5)
            let other = try await store.createCustomer(CustomerDraft(name: "Acme", email: "x@acme.org", address: "Main St 1"), at: 6)
            #expect(customer.id != other.id)
            #expect(try await store.customer(id: customer.id)?.recipients == ["a@x.org", "b@x.org"])
            #expect(try await store.customers().map(\.name) == ["Acme", "b corp"], "by name, ignoring case")
            #expect(try await store.updateCustomer(id: other.id, CustomerDraft(name: "Acme AG", email: nil, recipients: ["c@x.org"])))
            #expect(try await store.customer(id: other.id) == Customer(id: other.id, name: "Acme AG", recipients: ["c@x.org"], createdAt: 6))
            #expect(try await store.updateCustomer(id: 424_242, CustomerDraft(name: "nobody")) == false)

            #expect(try await store.gateways().map(\.id) == ["gw-a", "gw-b"])
            #expect(try await store.gateway(id: "gw-a") == GatewayInfo(id: "gw-a", customerID: nil, site: nil, hasKey: false, firstSeen: 1000, lastSeen: 1000))
            #expect(try await store.gateway(id: "nope") == nil)
            #expect(try await store.assign(gateway: "gw-a", customer: customer.id, site: "Roof"))
            #expect(try await store.assign(gateway: "gw-b", customer: other.id, site: "Barn"))
            #expect(try await store.assign(gateway: "gw-a", customer: 999, site: nil) == false)
            #expect(try await store.assign(gateway: "nope", customer: customer.id, site: nil) == false)
            #expect(try await store.gateway(id: "gw-a")?.customerID == customer.id)
            #expect(try await store.gateway(id: "gw-a")?.site == "Roof")
            #expect(try await store.setKeyHash(gateway: "gw-a", hash: "$y$x"))
            #expect(try await store.setKeyHash(gateway: "nope", hash: "$y$x") == false)
            #expect(try await store.gateway(id: "gw-a")?.hasKey == true)
            #expect(try await store.deleteCustomer(id: customer.id))
            #expect(try await store.gateway(id: "gw-a")?.customerID == nil)
            #expect(try await store.gateway(id: "gw-a")?.site == "Roof", "deleting the customer keeps the site name")
            #expect(try await store.gateway(id: "gw-b")?.customerID == other.id, "other customers' gateways stay")
            #expect(try await store.deleteCustomer(id: customer.id) == false)
            #expect(try await store.assign(gateway: "gw-b", customer: nil, site: nil))
            #expect(try await store.gateway(id: "gw-b").map { [$0.customerID == nil, $0.site == nil] } == [true, true])
            #expect(try await store.setKeyHash(gateway: "gw-a", hash: nil))
            #expect(try await store.gateway(id: "gw-a")?.hasKey == false)
        }
    }

    @Test(arguments: AdminBackend.local) func latestReadingPerSensor(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            _ = try await readings.commit([
                GatewayReport(gateway: "g", readings: [Reading(sensor: "s1", at: 100, power: 1), Reading(sensor: "s2", at: 100, power: 2)], receivedAt: 100),
                GatewayReport(gateway: "g", readings: [Reading(sensor: "s1", at: 200, power: 3, energy: 7)], receivedAt: 200),
                // Another day: the newest reading is found across partitions.
                GatewayReport(gateway: "g", readings: [Reading(sensor: "s2", at: 86_400_000 + 5, power: 4)], receivedAt: 300),
            ])
            let latest = try await store.latestReadings(gateway: "g", since: 0)
            #expect(latest.map(\.sensor) == ["s1", "s2"])
            #expect(latest.map(\.power) == [3, 4])
            #expect(latest.first?.energy == 7)
            #expect(try await store.latestReadings(gateway: "g", since: 150).map(\.sensor) == ["s1", "s2"])
            #expect(try await store.latestReadings(gateway: "g", since: 201).map(\.sensor) == ["s2"])
            let batch = try await store.latestReadings(gateways: ["g", "unknown"], since: 0)
            #expect(batch["g"] == latest)
            #expect(batch["unknown"] == [])
        }
    }

    @Test(arguments: AdminBackend.local) func staffSessionsAndTokens(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            #expect(try await store.createStaff(name: "bob", passwordHash: "$y$b", at: 2))
            #expect(try await store.createStaff(name: "ann", passwordHash: "$y$h", at: 1))
            #expect(try await store.createStaff(name: "ann", passwordHash: "$y$other", at: 1) == false)
            #expect(try await store.staffAccounts().map(\.name) == ["ann", "bob"])
            #expect(try await store.staffAccount(name: "ann")?.passwordHash == "$y$h", "a taken name keeps its account")
            #expect(try await store.setPassword(name: "ann", passwordHash: "$y$new"))
            #expect(try await store.setPassword(name: "nobody", passwordHash: "$y$new") == false)
            #expect(try await store.staffAccount(name: "ann") == StaffAccount(name: "ann", passwordHash: "$y$new", createdAt: 1, hasAPIToken: false))

            try await store.createSession(StaffSession(idHash: "s1", staff: "ann", createdAt: 10, expiresAt: 100))
            try await store.createSession(StaffSession(idHash: "s2", staff: "ann", createdAt: 10, expiresAt: 3_600_010))
            try await store.createSession(StaffSession(idHash: "s3", staff: "bob", createdAt: 10, expiresAt: 3_600_010))
            #expect(try await store.session(idHash: "s1", now: 50) == StaffSession(idHash: "s1", staff: "ann", createdAt: 10, expiresAt: 100))
            #expect(try await store.session(idHash: "s1", now: 100) == nil, "expired at its expiry time")
            #expect(try await store.session(idHash: "missing", now: 50) == nil)
            try await store.deleteSession(idHash: "s1")
            #expect(try await store.session(idHash: "s1", now: 50) == nil)
            try await store.deleteSessions(staff: "ann")
            #expect(try await store.session(idHash: "s2", now: 50) == nil)
            #expect(try await store.session(idHash: "s3", now: 50)?.staff == "bob", "only that account's sessions end")

            #expect(try await store.setAPITokenHash(name: "ann", hash: "t1"))
            #expect(try await store.setAPITokenHash(name: "nobody", hash: "t9") == false)
            #expect(try await store.staffAccount(apiTokenHash: "t1")?.name == "ann")
            #expect(try await store.staffAccount(name: "ann")?.hasAPIToken == true)
            #expect(try await store.setAPITokenHash(name: "ann", hash: "t2"))
            #expect(try await store.staffAccount(apiTokenHash: "t1") == nil, "a replaced token no longer signs in")
            #expect(try await store.staffAccount(apiTokenHash: "t2")?.name == "ann")
            #expect(try await store.setAPITokenHash(name: "ann", hash: nil))
            #expect(try await store.staffAccount(apiTokenHash: "t2") == nil)
            #expect(try await store.staffAccount(name: "ann")?.hasAPIToken == false)

            #expect(try await store.setAPITokenHash(name: "bob", hash: "tb"))
            #expect(try await store.deleteStaff(name: "bob"))
            #expect(try await store.deleteStaff(name: "bob") == false)
            #expect(try await store.session(idHash: "s3", now: 50) == nil)
            #expect(try await store.staffAccount(apiTokenHash: "tb") == nil)
            #expect(try await store.staffAccounts().map(\.name) == ["ann"])
        }
    }

    @Test(arguments: AdminBackend.local) func rolesAreKeptAndACustomersLoginsGoWithIt(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            let farm = try await store.createCustomer(CustomerDraft(name: "Farm"), at: 1)
            let mill = try await store.createCustomer(CustomerDraft(name: "Mill"), at: 1)
            #expect(try await store.createStaff(name: "ann", passwordHash: "$y$a", at: 1))
            #expect(try await store.createStaff(name: "vic", passwordHash: "$y$v", role: .viewer, at: 1))
            #expect(try await store.createStaff(name: "fay", passwordHash: "$y$f", role: .customer(farm.id), at: 1))
            #expect(try await store.createStaff(name: "max", passwordHash: "$y$m", role: .customer(mill.id), at: 1))
            #expect(try await store.staffAccounts().map(\.role) == [.admin, .customer(farm.id), .customer(mill.id), .viewer])
            #expect(try await store.setAPITokenHash(name: "vic", hash: "tv"))
            #expect(try await store.staffAccount(apiTokenHash: "tv")?.role == .viewer)
            try await store.createSession(StaffSession(idHash: "sf", staff: "fay", createdAt: 10, expiresAt: 3_600_010))
            // A later customer may get the deleted one's id: its logins must not survive it.
            #expect(try await store.deleteCustomer(id: farm.id))
            #expect(try await store.staffAccount(name: "fay") == nil)
            #expect(try await store.session(idHash: "sf", now: 50) == nil)
            #expect(try await store.staffAccounts().map(\.name) == ["ann", "max", "vic"])
        }
    }

    @Test(arguments: AdminBackend.local) func outboxIsKeyedAndRetries(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            func mail(_ key: String, at: EpochMillis, next: EpochMillis? = nil) -> OutboxMail {
                OutboxMail(dedupeKey: key, recipients: ["a@x.org", "b@x.org"], subject: "s \(key)", textBody: "t", htmlBody: "<p>h</p>", createdAt: at, nextAttemptAt: next)
            }
            #expect(try await store.enqueue(mail("k1", at: 10)))
            #expect(try await store.enqueue(mail("k1", at: 11)) == false)
            #expect(try await store.enqueue(mail("k2", at: 12, next: 5)))
            #expect(try await store.enqueue(mail("k3", at: 13, next: 500)))
            let due = try await store.dueMails(now: 20, limit: 10)
            #expect(due.map(\.dedupeKey) == ["k2", "k1"], "oldest due first")
            #expect(due.last.map { [$0.recipients == ["a@x.org", "b@x.org"], $0.subject == "s k1", $0.htmlBody == "<p>h</p>", $0.attempts == 0] } == [true, true, true, true])
            #expect(try await store.dueMails(now: 20, limit: 1).map(\.dedupeKey) == ["k2"])
            let k1 = try #require(due.last)
            try await store.markFailed(id: k1.id, error: "down", nextAttemptAt: 100)
            #expect(try await store.dueMails(now: 50, limit: 10).map(\.dedupeKey) == ["k2"])
            #expect(try await store.failingMails(minAttempts: 1).map { [$0.dedupeKey, $0.lastError ?? "", "\($0.attempts)", "\($0.nextAttemptAt)"] } == [["k1", "down", "1", "100"]])
            #expect(try await store.failingMails(minAttempts: 2).isEmpty)
            try await store.markSent(id: k1.id, at: 120)
            try await store.markSent(id: due[0].id, at: 121)
            #expect(try await store.dueMails(now: 1000, limit: 10).map(\.dedupeKey) == ["k3"])
            #expect(try await store.failingMails(minAttempts: 1).isEmpty, "a sent mail is not failing")
            #expect(try await store.enqueue(mail("k1", at: 200)) == false, "a sent mail's key still dedupes")
            let counts = try await store.outboxCounts()
            #expect(counts.pending == 1 && counts.sent == 2)
            try await store.markSent(id: 987_654, at: 1)  // unknown id: nothing happens
            #expect(try await store.outboxCounts().sent == 2)
        }
    }

    @Test(arguments: AdminBackend.local) func settingsAndAlertStates(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            try await store.setSettings(["gateway_keys_required": "true", "time_zone": "UTC"])
            try await store.setSettings(["gateway_keys_required": "false"])
            #expect(try await store.setting("gateway_keys_required") == "false")
            #expect(try await store.setting("missing") == nil)
            #expect(try await store.settings()["time_zone"] == "UTC")

            #expect(try await store.alertStates().isEmpty)
            try await store.setAlertState(GatewayAlertState(gateway: "g1", offline: true, lowProductionDay: nil))
            try await store.setAlertState(GatewayAlertState(gateway: "g2", offline: false, lowProductionDay: "2026-11-24"))
            try await store.setAlertState(GatewayAlertState(gateway: "g1", offline: false, lowProductionDay: "2026-11-25"))
            #expect(try await store.alertStates() == [
                "g1": GatewayAlertState(gateway: "g1", offline: false, lowProductionDay: "2026-11-25"),
                "g2": GatewayAlertState(gateway: "g2", offline: false, lowProductionDay: "2026-11-24"),
            ])
        }
    }

    /// Six hours of two sensors every five minutes: integer powers (so that sums are exact in
    /// any order), cumulative energy counters with a reset on one sensor, and a 30-minute gap.
    static let t0: EpochMillis = 1_764_028_800_000  // 2025-11-25T00:00:00Z, a whole hour
    static func rollupReadings() -> [Reading] {
        var readings: [Reading] = []
        var counters = ["a": 1000.0, "b": 50.0]
        for step in 0..<72 where !(30..<36).contains(step) {
            let at = t0 + Int64(step) * 300_000
            for sensor in ["a", "b"] {
                let power = Double((step * 37 + (sensor == "a" ? 11 : 3)) % 400)
                counters[sensor]! += power / 12
                if sensor == "b" && step == 50 { counters["b"] = 2 }  // a counter reset
                readings.append(Reading(sensor: sensor, at: at, power: power, energy: sensor == "a" || step % 2 == 0 ? counters[sensor]!.rounded() : nil))
            }
        }
        return readings
    }

    @Test(arguments: AdminBackend.local) func rollupsMatchTheRawReadings(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            let all = Self.rollupReadings()
            _ = try await readings.commit([GatewayReport(gateway: "g", readings: all, receivedAt: Self.t0 + 6 * 3_600_000)])
            let end = Self.t0 + 7 * 3_600_000
            let before = try await store.hourly(gateway: "g", from: Self.t0, to: end)
            #expect(before.map(\.hour) == (0..<6).map { Self.t0 + Int64($0) * 3_600_000 })
            #expect(before.first?.samples == 12)
            // Newest reading 05:55, grace 15 min: hours up to 05:00 are closed.
            #expect(try await store.refreshRollup(gateway: "g") == 5)
            #expect(try await store.refreshRollup(gateway: "g") == 0, "nothing new to roll up")
            #expect(try await store.refreshRollup(gateway: "unknown") == 0)
            let after = try await store.hourly(gateway: "g", from: Self.t0, to: end)
            #expect(after == before, "rolled-up hours read back as computed")
            #expect(after.allSatisfy { !$0.sensorMeans.isEmpty }, "with each sensor's means")
            #expect(try await store.hourly(gateway: "g", from: Self.t0 + 3_600_000 + 5, to: Self.t0 + 3 * 3_600_000).map(\.hour)
                == [Self.t0 + 3_600_000, Self.t0 + 2 * 3_600_000], "bounds round down to hours")
            let energy = try await store.energy(gateways: ["g", "unknown"], from: Self.t0, to: end)
            #expect(energy["g"] == before.reduce(0) { $0 + $1.energy })
            #expect(energy["unknown"] == 0)
            let series = try await store.powerSeries(gateway: "g", from: Self.t0, to: Self.t0 + 900_000)
            #expect(series.map(\.at) == [Self.t0, Self.t0 + 300_000, Self.t0 + 600_000])
            #expect(series.map(\.power) == [14, 88, 162])
        }
    }

    /// Readings every five minutes without energy counters, rolled up by a pass after each
    /// hour as the admin app does: the last step of each pass's last hour reaches into the
    /// next hour and must count as in one computation over the whole range.
    @Test(arguments: AdminBackend.local) func rollupPassesEqualOneComputation(_ backend: AdminBackend) async throws {
        let reports = stride(from: Self.t0, to: Self.t0 + 6 * 3_600_000, by: 300_000).map { at in
            GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: at, power: Double((at - Self.t0) / 300_000 % 7 * 100))], receivedAt: at)
        }
        let end = Self.t0 + 7 * 3_600_000
        let expected = try await AdminBackend.sqlite.open().withFinish { reference in
            _ = try await reference.readings.commit(reports)
            return try await reference.admin.hourly(gateway: "g", from: Self.t0, to: end)
        }
        #expect(expected.count == 6)
        // Five-minute left rectangles: 300 s of each power, the hour's last one included.
        let firstHour: [Double] = (0..<12).map { Double($0 % 7 * 100) * 300 / 3600 }
        #expect(expected.first?.energy == firstHour.reduce(0, +))
        try await backend.with { opened in
            for start in stride(from: 0, to: reports.count, by: 12) {
                _ = try await opened.readings.commit(Array(reports[start..<start + 12]))
                try await opened.admin.refreshRollup(gateway: "g")
            }
            #expect(try await opened.admin.hourly(gateway: "g", from: Self.t0, to: end) == expected)
        }
    }

    /// One report per instant of `readings`, received half a second after it.
    static func reports(of readings: [Reading], gateway: String = "g") -> [GatewayReport] {
        Dictionary(grouping: readings, by: \.at).sorted { $0.key < $1.key }.map { at, readings in
            GatewayReport(gateway: gateway, readings: readings.sorted { $0.sensor < $1.sensor }, receivedAt: at + 500)
        }
    }

    /// The hourly buckets of exactly `readings`, computed from raw readings by a fresh SQLite
    /// store (the reference semantics; the stores agree, see below).
    static func freshHourly(_ readings: [Reading], from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        try await AdminBackend.sqlite.open().withFinish { reference in
            _ = try await reference.readings.commit(reports(of: readings))
            return try await reference.admin.hourly(gateway: "g", from: from, to: to)
        }
    }

    /// Two sensors every `step`: integer powers, and (when `counters`) integer energy
    /// counters of sensor `a` derived from the time alone, so any subset is consistent.
    static func steadyReadings(from: EpochMillis, to: EpochMillis, step: EpochMillis, counters: Bool) -> [Reading] {
        stride(from: from, to: to, by: Int(step)).flatMap { at in
            let minute = (at - t0) / 60_000
            return ["a", "b"].map { sensor in
                Reading(
                    sensor: sensor, at: at, power: Double((minute * 37 + (sensor == "a" ? 11 : 3)) % 400),
                    energy: counters && sensor == "a" ? Double(minute * 7) : nil)
            }
        }
    }

    /// Readings of 02:00-02:15 reach the store (through the ingest path) after 02:00 was
    /// rolled up: the next pass recomputes the hours they change.
    @Test(arguments: AdminBackend.local) func lateReadingsReopenRolledUpHours(_ backend: AdminBackend) async throws {
        let all = Self.rollupReadings()
        let late = (Self.t0 + 2 * 3_600_000)..<(Self.t0 + 2 * 3_600_000 + 20 * 60_000)
        let end = Self.t0 + 7 * 3_600_000
        let expected = try await Self.freshHourly(all, from: Self.t0, to: end)
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            _ = try await readings.commit(Self.reports(of: all.filter { !late.contains($0.at) }))
            #expect(try await store.refreshRollup(gateway: "g") == 5)
            let stale = try await store.hourly(gateway: "g", from: Self.t0, to: end)
            #expect(stale != expected)
            let outcomes = try await readings.commit(Self.reports(of: all.filter { late.contains($0.at) }))
            #expect(outcomes == Array(repeating: ReportOutcome(stored: 2, duplicates: 0), count: 4))
            // 02:00's first reading ends the step of 01:55: 01:00 to 04:00 are recomputed.
            #expect(try await store.refreshRollup(gateway: "g") == 4)
            #expect(try await store.hourly(gateway: "g", from: Self.t0, to: end) == expected)
            #expect(try await store.energy(gateways: ["g"], from: Self.t0, to: end)["g"] == expected.reduce(0) { $0 + $1.energy })
            #expect(try await store.refreshRollup(gateway: "g") == 0, "nothing left to recompute")
        }
    }

    /// Offline for two days, back with live data, then the backlog in chunks while passes
    /// run: every hour ends up as one computation over all the readings.
    @Test(arguments: AdminBackend.local, [true, false])
    func aBacklogDaysBackIsCounted(_ backend: AdminBackend, counters: Bool) async throws {
        let day: EpochMillis = 86_400_000, hour: EpochMillis = 3_600_000
        let all = Self.steadyReadings(from: Self.t0, to: Self.t0 + 2 * day + 4 * hour, step: 300_000, counters: counters)
        let offline = (Self.t0 + 4 * hour)..<(Self.t0 + 2 * day + 2 * hour)
        let end = Self.t0 + 3 * day
        let expected = try await Self.freshHourly(all, from: Self.t0, to: end)
        #expect(expected.count == 52)
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            _ = try await readings.commit(Self.reports(of: all.filter { !offline.contains($0.at) }))
            #expect(try await store.refreshRollup(gateway: "g") > 0)
            let backlog = Self.reports(of: all.filter { offline.contains($0.at) })
            for (index, start) in stride(from: 0, to: backlog.count, by: 100).enumerated() {
                _ = try await readings.commit(Array(backlog[start..<min(start + 100, backlog.count)]))
                if index % 2 == 0 { try await store.refreshRollup(gateway: "g") }
            }
            try await store.refreshRollup(gateway: "g")
            #expect(try await store.hourly(gateway: "g", from: Self.t0, to: end) == expected)
            #expect(try await store.energy(gateways: ["g"], from: Self.t0 + day, to: Self.t0 + 2 * day)["g"]
                == expected.filter { $0.hour >= Self.t0 + day && $0.hour < Self.t0 + 2 * day }.reduce(0) { $0 + $1.energy })
        }
    }

    /// A gateway resending reports of rolled-up hours (acks it missed), even with other
    /// values: duplicates, and the rollup does not change.
    @Test(arguments: AdminBackend.local) func resentDuplicatesLeaveTheRollupAlone(_ backend: AdminBackend) async throws {
        let all = Self.rollupReadings()
        let end = Self.t0 + 7 * 3_600_000
        try await backend.with { opened in
            let (store, readings) = (opened.admin, opened.readings)
            _ = try await readings.commit(Self.reports(of: all))
            try await store.refreshRollup(gateway: "g")
            let before = try await store.hourly(gateway: "g", from: Self.t0, to: end)
            let resent = Self.reports(of: all.filter { $0.at < Self.t0 + 3_600_000 }.map { var r = $0; r.power += 1; return r })
            #expect(try await readings.commit(resent).allSatisfy { $0.stored == 0 && $0.duplicates == 2 })
            try await store.refreshRollup(gateway: "g")
            #expect(try await store.hourly(gateway: "g", from: Self.t0, to: end) == before)
        }
    }

    /// The strongest check of the client-side aggregation: the same readings give the same
    /// hourly buckets, energy and power series in both stores, before and after rollups.
    @Test func cassandraAggregatesEqualSQLiteAggregates() async throws {
        let sqlite = try await AdminBackend.sqlite.open()
        let cassandra = try await AdminBackend.cassandraFakeNode.open()
        defer { Task { await sqlite.finish(); await cassandra.finish() } }
        let all = Self.rollupReadings()
        for opened in [sqlite, cassandra] {
            _ = try await opened.readings.commit([GatewayReport(gateway: "g", readings: all, receivedAt: Self.t0 + 6 * 3_600_000)])
        }
        let end = Self.t0 + 7 * 3_600_000
        for refresh in [false, true] {
            if refresh {
                #expect(try await sqlite.admin.refreshRollup(gateway: "g") == cassandra.admin.refreshRollup(gateway: "g"))
            }
            let expected = try await sqlite.admin.hourly(gateway: "g", from: Self.t0, to: end)
            #expect(expected.count == 6)
            #expect(expected.contains { $0.energy > 0 })
            #expect(try await cassandra.admin.hourly(gateway: "g", from: Self.t0, to: end) == expected, "refreshed: \(refresh)")
            #expect(try await cassandra.admin.energy(gateways: ["g"], from: Self.t0, to: end)
                == sqlite.admin.energy(gateways: ["g"], from: Self.t0, to: end))
            // A window starting mid-series: counters need the hour before it.
            #expect(try await cassandra.admin.hourly(gateway: "g", from: Self.t0 + 4 * 3_600_000, to: end)
                == sqlite.admin.hourly(gateway: "g", from: Self.t0 + 4 * 3_600_000, to: end))
        }
        let a = try await sqlite.admin.powerSeries(gateway: "g", from: Self.t0, to: end)
        let b = try await cassandra.admin.powerSeries(gateway: "g", from: Self.t0, to: end)
        #expect(a.map(\.at) == b.map(\.at))
        #expect(a.map(\.power) == b.map(\.power))
        #expect(a.count == 66)
    }

    @Test func sessionsCarryATTLAndAdminRecordsShareOneTable() async throws {
        let opened = try await AdminBackend.cassandraFakeNode.open()
        defer { Task { await opened.finish() } }
        let node = try #require(opened.node)
        try await opened.admin.createSession(StaffSession(idHash: "s", staff: "ann", createdAt: 0, expiresAt: 3_600_000))
        _ = try await opened.admin.createCustomer(CustomerDraft(name: "c"), at: 1)
        node.tables.withLock { tables in
            #expect(tables.admin[.init(kind: "session", part: "all")]?["s"]?.ttl == 3600, "Cassandra drops the session when it expires")
            #expect(tables.admin[.init(kind: "customer", part: "all")]?.count == 1)
            #expect(tables.admin[.init(kind: "customer", part: "all")]?.values.first?.ttl == nil)
            #expect(tables.tables == ["readings", "gateways", "settings", "admin"])
        }
    }
}

/// ``AdminStoreConformanceTests`` on a real cluster. Skipped, and shown as skipped, when
/// none is configured (`make test-cassandra-integration` sets one up; see docs/cassandra.md).
@Suite(.enabled(if: AdminBackend.clusterConfigured, "needs a Cassandra cluster: set TENANT_CASSANDRA_CONTACT_POINTS=host:9042[,...]"))
struct AdminStoreClusterConformanceTests {
    @Test func customersAndGateways() async throws { try await AdminStoreConformanceTests().customersAndGateways(.cassandraCluster) }
    @Test func latestReadingPerSensor() async throws { try await AdminStoreConformanceTests().latestReadingPerSensor(.cassandraCluster) }
    @Test func staffSessionsAndTokens() async throws { try await AdminStoreConformanceTests().staffSessionsAndTokens(.cassandraCluster) }
    @Test func rolesAreKeptAndACustomersLoginsGoWithIt() async throws { try await AdminStoreConformanceTests().rolesAreKeptAndACustomersLoginsGoWithIt(.cassandraCluster) }
    @Test func outboxIsKeyedAndRetries() async throws { try await AdminStoreConformanceTests().outboxIsKeyedAndRetries(.cassandraCluster) }
    @Test func settingsAndAlertStates() async throws { try await AdminStoreConformanceTests().settingsAndAlertStates(.cassandraCluster) }
    @Test func rollupsMatchTheRawReadings() async throws { try await AdminStoreConformanceTests().rollupsMatchTheRawReadings(.cassandraCluster) }
    @Test func rollupPassesEqualOneComputation() async throws { try await AdminStoreConformanceTests().rollupPassesEqualOneComputation(.cassandraCluster) }
    @Test func lateReadingsReopenRolledUpHours() async throws { try await AdminStoreConformanceTests().lateReadingsReopenRolledUpHours(.cassandraCluster) }
    @Test func resentDuplicatesLeaveTheRollupAlone() async throws { try await AdminStoreConformanceTests().resentDuplicatesLeaveTheRollupAlone(.cassandraCluster) }
    @Test(arguments: [true, false]) func aBacklogDaysBackIsCounted(counters: Bool) async throws {
        try await AdminStoreConformanceTests().aBacklogDaysBackIsCounted(.cassandraCluster, counters: counters)
    }
}
