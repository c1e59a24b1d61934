import Foundation
import Testing
import TenantStorage
@testable import AdminApp
import AdminTestSupport

/// Alarms follow the alert pass: offline opens a critical alarm that clears when the
/// gateway reports again (acknowledged or not), low production a warning that clears the
/// next day; a second pass over the same state changes nothing.
@Suite struct AlarmMonitorTests {
    static let t0: Int64 = 1_795_953_600_000  // 2026-11-29T12:00:00Z
    static let minute: Int64 = 60_000

    /// Every alarm with its history: what a pass must leave alone when nothing changed.
    func snapshot(_ store: any AlarmStore) async throws -> [Alarm: [AlarmChange]] {
        var out: [Alarm: [AlarmChange]] = [:]
        for alarm in try await store.alarms(matching: AlarmFilter(states: Set(AlarmState.allCases)), offset: 0, limit: 1000).alarms {
            out[alarm] = try await store.alarmHistory(id: alarm.id)
        }
        return out
    }

    func report(_ harness: Harness, _ gateway: String, at: Int64) async throws {
        _ = try await harness.db.readings.commit([GatewayReport(gateway: gateway, readings: [Reading(sensor: "s", at: at, power: 0)], receivedAt: at)])
    }

    @Test func offlineOpensOnceIsAcknowledgedAndClearsWhenTheGatewayReportsAgain() async throws {
        let harness = try Harness(now: Date(timeIntervalSince1970: Double(Self.t0) / 1000))
        let store = harness.db.store
        try await store.setSettings(["offline_threshold_minutes": "15", "low_production_percent": "0", "time_zone": "UTC", "alert_recipients": "ops@example.com"])
        let customer = try await store.createCustomer(CustomerDraft(name: "Farm"), at: Self.t0)
        try await report(harness, "gw-a", at: Self.t0)
        #expect(try await store.assign(gateway: "gw-a", customer: customer.id, site: nil))
        // Offline before alarms ever ran: it gets an alarm on the first pass (and no mail).
        try await report(harness, "gw-old", at: Self.t0 - 120 * Self.minute)
        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))

        #expect(try await scheduler.tick(now: Self.t0 + Self.minute) == 0)
        let first = try await store.activeAlarms()
        #expect(first.map(\.gateway) == ["gw-old"] && first.map(\.kind) == [.offline] && first[0].customerID == nil)

        // gw-a goes offline: one critical alarm under its customer, one mail as before.
        #expect(try await scheduler.tick(now: Self.t0 + 20 * Self.minute) == 1)
        let offline = try #require(try await store.activeAlarms().first { $0.gateway == "gw-a" })
        #expect(offline.kind == .offline && offline.severity == .critical && offline.state == .open && offline.customerID == customer.id)
        #expect(offline.detail == "no report since 2026-11-29 12:00 UTC")
        let before = try await snapshot(store)
        #expect(try await scheduler.tick(now: Self.t0 + 21 * Self.minute) == 0)
        #expect(try await MailScheduler(services: harness.services, interval: .seconds(3600)).tick(now: Self.t0 + 22 * Self.minute) == 0)
        #expect(try await snapshot(store) == before, "passes over the same state change nothing")

        #expect(try await store.acknowledgeAlarm(id: offline.id, by: "alice", at: Self.t0 + 25 * Self.minute) != .unknown)
        try await report(harness, "gw-a", at: Self.t0 + 30 * Self.minute)
        #expect(try await scheduler.tick(now: Self.t0 + 31 * Self.minute) == 1)  // the "back online" mail
        let cleared = try #require(try await store.alarm(id: offline.id))
        #expect(cleared.state == .cleared && cleared.clearedAt == Self.t0 + 31 * Self.minute && cleared.acknowledgedBy == "alice")
        #expect(try await store.alarmHistory(id: offline.id).map(\.state) == [.open, .acknowledged, .cleared])
        #expect(try await store.alarmHistory(id: offline.id).map(\.by) == [nil, "alice", nil])

        // Offline again later: a new alarm, still one active for the gateway.
        #expect(try await scheduler.tick(now: Self.t0 + 60 * Self.minute) == 1)
        let again = try await store.activeAlarms().filter { $0.gateway == "gw-a" }
        #expect(again.count == 1 && again[0].id != offline.id)

        // A deleted gateway is no longer watched: its alarm clears.
        let old = try #require(first.first)
        #expect(try await store.deleteGateway("gw-old", purgeReadings: false))
        _ = try await scheduler.tick(now: Self.t0 + 61 * Self.minute)
        #expect(try await store.alarm(id: old.id)?.state == .cleared)
        #expect(try await store.alarmHistory(id: old.id).last?.note.contains("no longer monitored") == true)
    }

    @Test func lowProductionOpensAWarningThatClearsTheNextDay() async throws {
        let harness = try Harness(now: Date())
        let store = harness.db.store
        let day0 = MailSchedulerTests.day0
        // Five clear days, then a cloudy hour 10:00-11:00 at 20 % output (as the mail test).
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-c", from: day0 - 5 * 86_400_000, to: day0 + 10 * 3_600_000)
        let cloudy = (0..<60).map { minute -> GatewayReport in
            let at = day0 + 10 * 3_600_000 + Int64(minute) * Self.minute
            return GatewayReport(gateway: "gw-c", readings: [Reading(sensor: "inv-1", at: at, power: SolarFixture.power(at: at, peak: 400)),
                                                             Reading(sensor: "inv-2", at: at, power: SolarFixture.power(at: at, peak: 400))], receivedAt: at)
        }
        _ = try await harness.db.readings.commit(cloudy)
        try await store.setSettings(["low_production_percent": "50", "alert_recipients": "ops@example.com", "offline_threshold_minutes": "15", "time_zone": "UTC"])
        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))
        let now = day0 + 11 * 3_600_000 + Self.minute

        #expect(try await scheduler.tick(now: now) == 1)
        let low = try #require(try await store.activeAlarms().first)
        #expect(low.kind == .lowProduction && low.severity == .warning && low.detail.contains("20%"))
        let before = try await snapshot(store)
        #expect(try await scheduler.tick(now: now + Self.minute) == 0)
        #expect(try await snapshot(store) == before)

        // The next day: the warning clears (the gateway has been silent since, so it is offline now).
        #expect(try await scheduler.tick(now: now + 86_400_000) == 1)  // the offline mail
        #expect(try await store.alarm(id: low.id)?.state == .cleared)
        #expect(try await store.alarmHistory(id: low.id).last?.note.contains("new day") == true)
        #expect(try await store.activeAlarms().map(\.kind) == [.offline])
        #expect(try await store.dueMails(now: now + 2 * 86_400_000, limit: 10).map(\.dedupeKey).filter { $0.hasPrefix("alert:low") } == ["alert:low:gw-c:2026-11-28"])
    }
}
