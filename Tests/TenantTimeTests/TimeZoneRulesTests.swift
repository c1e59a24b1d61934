import Foundation
import Testing

@testable import TenantTime

/// Checks the tz-database reader against Foundation's ICU-backed `TimeZone`, the
/// implementation it replaces in the admin app, over decades of instants.
@Suite struct TimeZoneRulesTests {
    /// Zones with every kind of rule: none, northern and southern DST, 30- and 45-minute
    /// offsets, half-hour DST (Lord Howe), midnight transitions (São Paulo, Havana), DST
    /// abolished (São Paulo 2019, Istanbul 2016).
    static let zones = [
        "Europe/Berlin", "Europe/London", "America/New_York", "America/St_Johns", "America/Sao_Paulo",
        "America/Havana", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu",
        "Asia/Tokyo", "Pacific/Chatham", "Europe/Istanbul", "Africa/Johannesburg", "UTC",
    ]

    @Test(arguments: zones) func offsetsMatchFoundation(zone: String) throws {
        let ours = try #require(TimeZoneRules.named(zone))
        let theirs = try #require(TimeZone(identifier: zone))
        // 1995 to 2045 in steps that drift through every time of day.
        var t: Int64 = 788_918_400
        while t < 2_366_841_600 {
            let expected = theirs.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
            #expect(ours.offset(atSeconds: t) == expected, "\(zone) at \(t)")
            if ours.offset(atSeconds: t) != expected { return }
            t += 7 * 3600 + 13 * 60 + 7
        }
    }

    @Test(arguments: zones) func startOfDayMatchesFoundation(zone: String) throws {
        let ours = try #require(TimeZoneRules.named(zone))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        var date = CivilDate(year: 2000, month: 1, day: 1)
        while date.year < 2040 {
            let midday = ours.instant(LocalDateTime(date: date, hour: 12))
            let expected = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(midday) / 1000))
            #expect(ours.startOfDay(date) == Int64(expected.timeIntervalSince1970 * 1000), "\(zone) \(date)")
            #expect(ours.local(midday).date == date)
            date = date.adding(days: 3)
        }
    }

    @Test func skippedTimesMoveForwardAndRepeatedTimesAreTheFirst() throws {
        let berlin = try #require(TimeZoneRules.named("Europe/Berlin"))
        // 2026-03-29 02:30 does not exist in Berlin: it is read as 03:30 CEST = 01:30Z.
        let skipped = berlin.instant(LocalDateTime(date: CivilDate(year: 2026, month: 3, day: 29), hour: 2, minute: 30))
        #expect(Timestamp.rfc3339(skipped) == "2026-03-29T01:30:00Z")
        // 2026-10-25 02:30 happens twice: the first (CEST, 00:30Z).
        let repeated = berlin.instant(LocalDateTime(date: CivilDate(year: 2026, month: 10, day: 25), hour: 2, minute: 30))
        #expect(Timestamp.rfc3339(repeated) == "2026-10-25T00:30:00Z")
        // Midnight skipped in São Paulo on 2018-11-04: the day starts at 01:00 local (03:00Z).
        let saoPaulo = try #require(TimeZoneRules.named("America/Sao_Paulo"))
        #expect(Timestamp.rfc3339(saoPaulo.startOfDay(CivilDate(year: 2018, month: 11, day: 4))) == "2018-11-04T03:00:00Z")
    }

    @Test func unknownOrUnsafeNamesAreRefused() {
        for name in ["", "Europe/Nowhere", "../../etc/passwd", "Europe/../../etc/passwd", "/etc/passwd", "Europe//Berlin", "Europe/Berlin\u{0}", "Europe/Berlin "] {
            #expect(TimeZoneRules.named(name) == nil, "\(name)")
        }
        #expect(TimeZoneRules.named("UTC") == .utc)
        #expect(TimeZoneRules.named("Etc/UTC")?.offset(atSeconds: 0) == 0)
    }

    @Test func posixRulesBeyondTheLastTransition() throws {
        let central = try #require(POSIXTimeZoneRule("CET-1CEST,M3.5.0,M10.5.0/3"))
        // 2100-03-28 is the last Sunday of March 2100; DST from 01:00Z.
        let march = Int64(CivilDate(year: 2100, month: 3, day: 28).daysSinceEpoch) * 86_400
        #expect(central.offset(atSeconds: march + 3600 - 1) == 3600)
        #expect(central.offset(atSeconds: march + 3600) == 7200)
        let southern = try #require(POSIXTimeZoneRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        #expect(southern.offset(atSeconds: Int64(CivilDate(year: 2100, month: 1, day: 15).daysSinceEpoch) * 86_400) == 11 * 3600)
        #expect(southern.offset(atSeconds: Int64(CivilDate(year: 2100, month: 6, day: 15).daysSinceEpoch) * 86_400) == 10 * 3600)
        #expect(POSIXTimeZoneRule("<+0545>-5:45")?.offset(atSeconds: 0) == 5 * 3600 + 45 * 60)
        #expect(POSIXTimeZoneRule("<-03>3")?.offset(atSeconds: 0) == -3 * 3600)
        #expect(POSIXTimeZoneRule("EST5EDT,J60/2,300")?.daylight?.start == .julianNoLeap(60))
        for bad in ["", "C1", "CET", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,J0,J365", "<CET-1"] {
            #expect(POSIXTimeZoneRule(bad) == nil, "\(bad)")
        }
    }

    @Test func malformedZoneFilesAreRefusedNotTrapped() {
        let valid = Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15) + [UInt8](repeating: 0, count: 24)
        #expect(throws: TZif.Malformed.self) { try TZif.parse([], identifier: "x") }
        #expect(throws: TZif.Malformed.self) { try TZif.parse(Array("TZif".utf8), identifier: "x") }
        // A header that claims no types at all.
        #expect(throws: TZif.Malformed.self) { try TZif.parse(valid, identifier: "x") }
        // Huge counts.
        var huge = valid
        huge[36...39] = [0x7f, 0xff, 0xff, 0xff]
        #expect(throws: TZif.Malformed.self) { try TZif.parse(huge, identifier: "x") }
        // Every truncation of a real file.
        if let berlin = FileManager.default.contents(atPath: "/usr/share/zoneinfo/Europe/Berlin") {
            let bytes = [UInt8](berlin)
            #expect((try? TZif.parse(bytes, identifier: "Europe/Berlin")) != nil)
            for cut in stride(from: 0, to: bytes.count - 40, by: 7) {
                _ = try? TZif.parse(Array(bytes[0..<cut]), identifier: "x")
            }
        }
    }
}

@Suite struct CivilTimeTests {
    @Test func daysRoundTripAndWeekdays() {
        for days in stride(from: -800_000, through: 800_000, by: 37) {
            #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(CivilDate(daysSinceEpoch: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate(year: 2026, month: 11, day: 25).weekdayFromSunday == 3)  // a Wednesday
        #expect(CivilDate(year: 2000, month: 2, day: 29).adding(days: 365) == CivilDate(year: 2001, month: 2, day: 28))
    }

    @Test func parsingAcceptsOnlyRealDays() {
        #expect(CivilDate("2024-02-29") == CivilDate(year: 2024, month: 2, day: 29))
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "2024-01-01x", "", "2024--1-01", "+024-01-01", "２０２４-01-01"] {
            #expect(CivilDate(bad) == nil, "\(bad)")
        }
        #expect(CivilDate(year: 2024, month: 3, day: 7).description == "2024-03-07")
    }

    @Test func rfc3339RoundTrips() {
        #expect(Timestamp.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.rfc3339(1_764_065_700_123) == "2025-11-25T10:15:00.123Z")
        #expect(Timestamp.rfc3339(-1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.parseRFC3339("2025-11-25T11:15:00.123+01:00") == 1_764_065_700_123)
        #expect(Timestamp.parseRFC3339("2025-11-25t10:15:00z") == 1_764_065_700_000)
        for bad in ["2025-11-25T10:15:00", "2025-02-29T10:15:00Z", "2025-11-25 10:15:00Z", "2025-11-25T10:15:00.Z", "2025-11-25T10:15:00+1:00"] {
            #expect(Timestamp.parseRFC3339(bad) == nil, "\(bad)")
        }
    }

    @Test func rfc5322MatchesFoundationsFormatter() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        for millis in stride(from: Int64(0), to: 4_102_444_800_000, by: 86_400_000 * 37 + 3_600_017) {
            #expect(Timestamp.rfc5322(millis) == formatter.string(from: Date(timeIntervalSince1970: Double(millis / 1000))))
        }
    }

    @Test func httpDateIsIMFFixdate() {
        // RFC 9110's own example.
        #expect(Timestamp.httpDate(784_111_777_000) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(Timestamp.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}
