import Foundation
import Logging
import Testing
import TenantMailer
import TenantStorage
@testable import AdminApp
import AdminTestSupport

/// The scheduled report and the alerts, end to end: readings → scheduler → outbox → real SMTP.
@Suite struct MailSchedulerTests {
    static let day0: Int64 = 1_795_824_000_000  // 2026-11-28T00:00:00Z

    @Test func scheduledReportAndAlertsReachTheSMTPServerOnce() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        // 2026-11-29T07:30Z: the daily report (hour 7 UTC) for 2026-11-28 is due.
        let harness = try Harness(now: Date(timeIntervalSince1970: Double(Self.day0 + 86_400_000 + 7 * 3_600_000 + 1_800_000) / 1000))
        let store = harness.db.store
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-m", from: Self.day0, to: Self.day0 + 86_400_000 + 7 * 3_600_000 + 1_700_000)
        let customer = try await store.createCustomer(CustomerDraft(name: "Mail Farm", recipients: ["farm@example.com"]), at: Self.day0)
        #expect(try await store.assign(gateway: "gw-m", customer: customer.id, site: "Field"))
        try await store.setSettings(["report_frequency": "daily", "report_hour": "7", "time_zone": "UTC", "offline_threshold_minutes": "15", "alert_recipients": "ops@example.com"])

        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))
        let now = TimeFormat.millis(harness.clock.now)
        #expect(try await scheduler.tick(now: now) == 1)  // the report; the gateway is online
        #expect(try await scheduler.tick(now: now + 60_000) == 0)
        // Twenty minutes without a report: offline alert, once.
        #expect(try await scheduler.tick(now: now + 20 * 60_000) == 1)
        #expect(try await scheduler.tick(now: now + 21 * 60_000) == 0)
        // A restarted scheduler (fresh instance, same store) queues nothing new.
        #expect(try await MailScheduler(services: harness.services, interval: .seconds(3600)).tick(now: now + 22 * 60_000) == 0)

        let processor = OutboxProcessor(
            store: store, transport: CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "panel@example.com")),
            from: "panel@example.com", logger: Logger(label: "t"))
        #expect(try await processor.processDue(now: harness.clock.now.addingTimeInterval(3600)) == 2)
        #expect(try await processor.processDue(now: harness.clock.now.addingTimeInterval(7200)) == 0)
        let messages = try await sink.waitForMessages(2)
        #expect(messages.count == 2)

        let report = try #require(messages.first { $0.contains("Subject: Solar power report for Mail Farm: 2026-11-28") })
        #expect(report.hasPrefix("X-Envelope-To: farm@example.com"))
        let text = try #require(SMTPSink.part("text/plain", of: report))
        // Two sensors, a 2 kW half sine over 12 h each: 2 × (2/π × 2000 W × 12 h) = 30.56 kWh.
        #expect(abs(SolarExpectation.dayEnergy(sensors: 2, peak: 2000) - 30_557.7) < 0.1)
        let expectedEnergy = "30.6 kWh"
        #expect(text.contains("gw-m (Field): energy \(expectedEnergy), peak 4000 W, online"))
        let html = try #require(SMTPSink.part("text/html", of: report))
        #expect(html.contains("<td>\(expectedEnergy)</td>"))

        let alert = try #require(messages.first { $0.contains("Subject: [alert] Gateway gw-m (Mail Farm) went offline") })
        #expect(alert.hasPrefix("X-Envelope-To: farm@example.com,ops@example.com"))
        #expect(SMTPSink.part("text/plain", of: alert)?.contains("Site: Field") == true)
    }

    /// The check reads 14 days of hours per gateway: it runs once per completed hour, not on
    /// every pass (a raised threshold applies from the next hour).
    @Test func eachGatewaysLastHourIsJudgedOnce() async throws {
        let harness = try Harness(now: Date())
        let store = harness.db.store
        let start = Self.day0 - 5 * 86_400_000
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-c", from: start, to: Self.day0 + 10 * 3_600_000)
        let cloudy = (0..<60).map { minute -> GatewayReport in
            let at = Self.day0 + 10 * 3_600_000 + Int64(minute) * 60_000
            return GatewayReport(gateway: "gw-c", readings: [Reading(sensor: "inv-1", at: at, power: SolarFixture.power(at: at, peak: 400))], receivedAt: at)
        }
        _ = try await harness.db.readings.commit(cloudy)
        try await store.setSettings(["low_production_percent": "5", "alert_recipients": "ops@example.com", "offline_threshold_minutes": "15"])
        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))
        let now = Self.day0 + 11 * 3_600_000 + 60_000
        #expect(try await scheduler.tick(now: now) == 0, "10 % of a clear hour is not below 5 %")
        #expect(!scheduler.judgedHours.isNew("gw-c", Self.day0 + 10 * 3_600_000))
        try await store.setSettings(["low_production_percent": "50"])
        #expect(try await scheduler.tick(now: now + 60_000) == 0, "the hour was judged already")
        #expect(scheduler.judgedHours.isNew("gw-c", Self.day0 + 11 * 3_600_000), "the next hour is judged when it completes")
        // A scheduler started afresh (a restart) judges the hour once more, at the new threshold.
        #expect(try await MailScheduler(services: harness.services, interval: .seconds(3600)).tick(now: now + 120_000) == 1)
    }

    @Test func lowProductionAlertOncePerDay() async throws {
        let harness = try Harness(now: Date())
        let store = harness.db.store
        // Five clear days, then a cloudy hour 10:00-11:00 at 20 % output.
        let start = Self.day0 - 5 * 86_400_000
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-c", from: start, to: Self.day0 + 10 * 3_600_000)
        let cloudy = (0..<60).map { minute -> GatewayReport in
            let at = Self.day0 + 10 * 3_600_000 + Int64(minute) * 60_000
            return GatewayReport(gateway: "gw-c", readings: [Reading(sensor: "inv-1", at: at, power: SolarFixture.power(at: at, peak: 400)),
                                                             Reading(sensor: "inv-2", at: at, power: SolarFixture.power(at: at, peak: 400))], receivedAt: at)
        }
        _ = try await harness.db.readings.commit(cloudy)
        try await store.setSettings(["low_production_percent": "50", "alert_recipients": "ops@example.com", "offline_threshold_minutes": "15"])
        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))
        let now = Self.day0 + 11 * 3_600_000 + 60_000
        let detail = try await scheduler.lowProduction(gateway: "gw-c", now: now, percent: 50)
        #expect(detail?.contains("20%") == true)
        #expect(try await scheduler.lowProduction(gateway: "gw-c", now: now, percent: 10) == nil)
        // The first tick only records the state; low production is queued once for the day.
        #expect(try await scheduler.tick(now: now) == 1)
        #expect(try await scheduler.tick(now: now + 60_000) == 0)
        let mails = try await store.dueMails(now: now + 3_600_000, limit: 10)
        #expect(mails.map(\.dedupeKey) == ["alert:low:gw-c:2026-11-28"])
        // At night nothing is compared: the reference hour is dark.
        #expect(try await scheduler.lowProduction(gateway: "gw-c", now: Self.day0 + 3 * 3_600_000, percent: 50) == nil)
    }
}
