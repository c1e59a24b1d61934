import Foundation
import Testing
import TenantStorage
import TenantTime
@testable import AdminApp
import AdminTestSupport

/// Reports checked against readings written through the storage layer.
@Suite struct ReportTests {
    static let day0: Int64 = 1_795_824_000_000  // 2026-11-28T00:00:00Z
    static let dayMillis: Int64 = 86_400_000

    @Test(arguments: [true, false])
    func dailyEnergyAndPeakMatchTheReadings(counters: Bool) async throws {
        let db = try TestDatabase()
        // Two full days of 1-minute data from two sensors, then 3 hours of a third day.
        try await SolarFixture.write(to: db.readings, gateway: "gw-r", from: Self.day0, to: Self.day0 + 2 * Self.dayMillis + 3 * 3_600_000, counters: counters)
        let reports = ReportService(store: db.store)
        let utc = TimeZoneRules.utc
        let expected = SolarExpectation.dayEnergy(sensors: 2, peak: 2000)

        let raw = try await reports.daily(gateway: "gw-r", from: Self.day0, to: Self.day0 + 3 * Self.dayMillis, zone: utc)
        #expect(raw.map(\.day) == ["2026-11-28", "2026-11-29", "2026-11-30"])
        #expect(abs(raw[0].energy - expected) < 0.01)
        #expect(abs(raw[1].energy - expected) < 0.01)
        #expect(raw[2].energy == 0)
        #expect(raw[0].peakPower == 4000 && raw[1].peakPower == 4000)
        #expect(raw[0].samples == 1440)

        // After rolling up the closed hours the answer is the same, now from aggregates.
        let hours = try await db.store.refreshRollup(gateway: "gw-r")
        #expect(hours >= 48)
        let rolled = try await reports.daily(gateway: "gw-r", from: Self.day0, to: Self.day0 + 3 * Self.dayMillis, zone: utc)
        #expect(rolled == raw)
        #expect(try await db.store.refreshRollup(gateway: "gw-r") == 0)
        let energy = try await db.store.energy(gateways: ["gw-r"], from: Self.day0, to: Self.day0 + Self.dayMillis)
        #expect(abs((energy["gw-r"] ?? 0) - expected) < 0.01)
    }

    @Test func daysFollowTheProviderTimeZone() async throws {
        let db = try TestDatabase()
        try await SolarFixture.write(to: db.readings, gateway: "gw-z", from: Self.day0 - Self.dayMillis, to: Self.day0 + 2 * Self.dayMillis)
        try await db.store.refreshRollup(gateway: "gw-z")
        let tokyo = try #require(TimeZoneRules.named("Asia/Tokyo"))  // UTC+9: 06:00-18:00 UTC is 15:00-03:00 local
        let start = try #require(TimeFormat.parseDay("2026-11-28", in: tokyo))
        let days = try await ReportService(store: db.store).daily(gateway: "gw-z", from: start, to: TimeFormat.addDays(1, to: start, in: tokyo), zone: tokyo)
        #expect(days.count == 1)
        // Local 2026-11-28 is 2026-11-27T15:00Z to 2026-11-28T15:00Z: sum exactly those minutes.
        var expected = 0.0
        var t = start
        while t < start + Self.dayMillis {
            expected += SolarFixture.power(at: t, peak: 2000) * 2 / 60
            t += 60_000
        }
        #expect(abs(days[0].energy - expected) < 0.01)
        #expect(days[0].peakPower == 4000)
    }

    @Test func lateReadingsInsideTheGraceAreCounted() async throws {
        let db = try TestDatabase()
        try await SolarFixture.write(to: db.readings, gateway: "gw-l", from: Self.day0 + 8 * 3_600_000, to: Self.day0 + 10 * 3_600_000)
        try await db.store.refreshRollup(gateway: "gw-l")
        // The hour 09:00-10:00 is not closed yet (newest reading 09:59, grace 15 min): a
        // reading arriving late for 09:30 still shows in the report.
        _ = try await db.readings.commit([GatewayReport(gateway: "gw-l", readings: [Reading(sensor: "inv-3", at: Self.day0 + 9 * 3_600_000 + 1_800_000, power: 600)], receivedAt: Self.day0 + 10 * 3_600_000)])
        let hours = try await db.store.hourly(gateway: "gw-l", from: Self.day0, to: Self.day0 + Self.dayMillis)
        let nine = try #require(hours.first { $0.hour == Self.day0 + 9 * 3_600_000 })
        let expectedPeak = (0..<60).map { SolarFixture.power(at: Self.day0 + 9 * 3_600_000 + Int64($0) * 60_000, peak: 2000) * 2 + ($0 == 30 ? 600 : 0) }.max()
        #expect(nine.peakPower == expectedPeak)
    }

    /// A gateway offline from noon of day 1 to 06:00 of day 3 comes back live, then uploads
    /// its backlog through the ingest path while the rollup keeps running: the daily report
    /// is the one a database that always had every reading gives.
    @Test(arguments: [true, false])
    func aBacklogArrivingAfterTheRollupIsCounted(counters: Bool) async throws {
        let reference = try TestDatabase()
        let end = Self.day0 + 2 * Self.dayMillis + 9 * 3_600_000
        try await SolarFixture.write(to: reference.readings, gateway: "gw-b", from: Self.day0, to: end, counters: counters)
        let all = try await reference.readings.readings(gateway: "gw-b", from: Self.day0, to: end)
        func reports(_ range: Range<Int64>) -> [GatewayReport] {
            Dictionary(grouping: all.filter { range.contains($0.at) }, by: \.at).sorted { $0.key < $1.key }.map { at, readings in
                GatewayReport(gateway: "gw-b", readings: readings, receivedAt: end + 60_000)
            }
        }
        let offline = (Self.day0 + 12 * 3_600_000)..<(Self.day0 + 2 * Self.dayMillis + 6 * 3_600_000)

        let db = try TestDatabase()
        _ = try await db.readings.commit(reports(Self.day0..<offline.lowerBound) + reports(offline.upperBound..<end))
        #expect(try await db.store.refreshRollup(gateway: "gw-b") > 0)
        let backlog = reports(offline)
        for (index, start) in stride(from: 0, to: backlog.count, by: 300).enumerated() {
            _ = try await db.readings.commit(Array(backlog[start..<min(start + 300, backlog.count)]))
            if index % 3 == 0 { try await db.store.refreshRollup(gateway: "gw-b") }
        }
        try await db.store.refreshRollup(gateway: "gw-b")

        let utc = TimeZoneRules.utc
        try await reference.store.refreshRollup(gateway: "gw-b")
        let expected = try await ReportService(store: reference.store).daily(gateway: "gw-b", from: Self.day0, to: end, zone: utc)
        let days = try await ReportService(store: db.store).daily(gateway: "gw-b", from: Self.day0, to: end, zone: utc)
        #expect(days == expected)
        #expect(abs(days[1].energy - SolarExpectation.dayEnergy(sensors: 2, peak: 2000)) < 0.01, "the whole offline day counts")
        #expect(days[1].samples == 1440)
    }
}

