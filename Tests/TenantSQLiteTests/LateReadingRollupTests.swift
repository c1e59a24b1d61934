import Foundation
import Testing
@testable import TenantSQLite
import TenantStorage

/// Readings that arrive after their hour was rolled up (a gateway uploading a backlog) must
/// end up in the rollup exactly as if they had been there all along.
@Suite struct LateReadingRollupTests {
    static let hour: EpochMillis = 3_600_000
    static let t0: EpochMillis = 1_795_852_800_000  // 2026-11-28T08:00:00Z

    struct Store {
        let path: String
        let database: SQLiteDatabase
        var admin: SQLiteAdminStore { SQLiteAdminStore(database: database) }
        var readings: SQLiteReadingStore { SQLiteReadingStore(database: database) }

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("late-rollup-\(UUID().uuidString).db").path
            database = try SQLiteDatabase(path: path)
        }

        func remove() {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }

        /// The gateway's late-reading marker and pending recomputation.
        func markers(_ gateway: String) async throws -> (changedFrom: EpochMillis?, redoFrom: EpochMillis?) {
            try await database.read { db in
                let changed = try db.query("SELECT changed_from FROM gateways WHERE id = ?", [.text(gateway)]).first?.int64(0)
                let redo = try db.query("SELECT redo_from FROM rollup_state WHERE gateway = ?", [.text(gateway)]).first?.int64(0)
                return (changed, redo)
            }
        }
    }

    /// One report per `step` in `[from, to)` for two sensors: integer powers (sums are exact
    /// in any order) and, when `counters`, integer cumulative energy counters derived from
    /// the time alone, so that any subset of the series carries the same counter values.
    static func reports(gateway: String = "g", from: EpochMillis, to: EpochMillis, step: EpochMillis, counters: Bool) -> [GatewayReport] {
        stride(from: from, to: to, by: Int(step)).map { at in
            let minute = (at - t0) / 60_000
            let readings = ["a", "b"].map { sensor in
                let power = Double((minute * 37 + (sensor == "a" ? 11 : 3)) % 400)
                return Reading(sensor: sensor, at: at, power: power, energy: counters ? Double(minute * (sensor == "a" ? 7 : 3)) : nil)
            }
            return GatewayReport(gateway: gateway, readings: readings, receivedAt: at + 500)
        }
    }

    /// The hourly buckets a database holding exactly `reports` computes, with no rollup and
    /// after a complete fresh rollup (both must agree, and be what the late store shows).
    static func fresh(_ reports: [GatewayReport], from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        let store = try Store()
        defer { store.remove() }
        _ = try await store.readings.commit(reports)
        let raw = try await store.admin.hourly(gateway: "g", from: from, to: to)
        try await store.admin.refreshRollup(gateway: "g")
        #expect(try await store.admin.hourly(gateway: "g", from: from, to: to) == raw, "a fresh rollup reads back as the raw computation")
        return raw
    }

    @Test(arguments: [true, false])
    func aLateReadingReopensItsRolledUpHour(counters: Bool) async throws {
        let store = try Store()
        defer { store.remove() }
        // 08:00-12:00, one report a minute; the gateway could not send 09:30-09:34 in time.
        let all = Self.reports(from: Self.t0, to: Self.t0 + 4 * Self.hour, step: 60_000, counters: counters)
        let lateRange = (Self.t0 + Self.hour + 30 * 60_000)..<(Self.t0 + Self.hour + 35 * 60_000)
        let late = all.filter { lateRange.contains($0.readings[0].at) }
        _ = try await store.readings.commit(all.filter { !lateRange.contains($0.readings[0].at) })
        // Newest 11:59, grace 15 min: 08:00, 09:00 and 10:00 are closed.
        #expect(try await store.admin.refreshRollup(gateway: "g") == 3)
        #expect(try await store.markers("g") == (nil, nil), "a pass takes the marker ingest left")

        // The late readings come through the real ingest path, after their hour was rolled up.
        let outcomes = try await store.readings.commit(late)
        #expect(outcomes.allSatisfy { $0.stored == 2 && $0.duplicates == 0 })
        #expect(try await store.markers("g").changedFrom == lateRange.lowerBound, "ingest marks the oldest reading it stored")

        // 09:00 and 10:00 are recomputed (the rollup stands at 11:00).
        #expect(try await store.admin.refreshRollup(gateway: "g") == 2)
        #expect(try await store.markers("g") == (nil, nil), "marker taken, recomputation done")
        let end = Self.t0 + 5 * Self.hour
        let expected = try await Self.fresh(all, from: Self.t0, to: end)
        let hours = try await store.admin.hourly(gateway: "g", from: Self.t0, to: end)
        #expect(hours == expected)
        let nine = try #require(hours.first { $0.hour == Self.t0 + Self.hour })
        #expect(nine.samples == 60, "the late instants count")
        #expect(try await store.admin.energy(gateways: ["g"], from: Self.t0, to: end)["g"] == expected.reduce(0) { $0 + $1.energy })
        #expect(try await store.admin.refreshRollup(gateway: "g") == 0, "nothing left to do")
    }

    /// A gateway offline for two days, back online with live data, then uploading its
    /// backlog in several commits while the rollup keeps running. Five-minute steps: a step
    /// that ends at a chunk or pass boundary must count as in one computation.
    @Test(arguments: [true, false])
    func aBacklogDaysBackIsCounted(counters: Bool) async throws {
        let store = try Store()
        defer { store.remove() }
        let day = 24 * Self.hour
        let all = Self.reports(from: Self.t0, to: Self.t0 + 2 * day + 4 * Self.hour, step: 300_000, counters: counters)
        let offline = (Self.t0 + 4 * Self.hour)..<(Self.t0 + 2 * day + 2 * Self.hour)
        _ = try await store.readings.commit(all.filter { !offline.contains($0.readings[0].at) })
        try await store.admin.refreshRollup(gateway: "g")
        let backlog = all.filter { offline.contains($0.readings[0].at) }
        #expect(backlog.count == 46 * 12)
        for (index, chunk) in backlog.chunked(100).enumerated() {
            _ = try await store.readings.commit(chunk)
            if index % 2 == 0 { try await store.admin.refreshRollup(gateway: "g") }
        }
        try await store.admin.refreshRollup(gateway: "g")
        #expect(try await store.markers("g") == (nil, nil))
        let end = Self.t0 + 3 * day
        let expected = try await Self.fresh(all, from: Self.t0, to: end)
        #expect(expected.count == 52)
        #expect(try await store.admin.hourly(gateway: "g", from: Self.t0, to: end) == expected)
        #expect(try await store.admin.energy(gateways: ["g"], from: Self.t0 + day, to: Self.t0 + 2 * day)["g"]
            == expected.filter { $0.hour >= Self.t0 + day && $0.hour < Self.t0 + 2 * day }.reduce(0) { $0 + $1.energy })
    }

    @Test func duplicatesOfRolledUpHoursChangeNothing() async throws {
        let store = try Store()
        defer { store.remove() }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 4 * Self.hour, step: 60_000, counters: true)
        _ = try await store.readings.commit(all)
        try await store.admin.refreshRollup(gateway: "g")
        let before = try await store.admin.hourly(gateway: "g", from: Self.t0, to: Self.t0 + 5 * Self.hour)
        // The gateway resends reports of 09:00 whose ack it missed, with other values.
        let resent = all[60..<70].map { report in
            GatewayReport(gateway: "g", readings: report.readings.map { var r = $0; r.power += 1; return r }, receivedAt: report.receivedAt + 9 * Self.hour)
        }
        #expect(try await store.readings.commit(resent).allSatisfy { $0.stored == 0 && $0.duplicates == 2 })
        #expect(try await store.markers("g") == (nil, nil), "duplicates leave no marker")
        #expect(try await store.admin.refreshRollup(gateway: "g") == 0)
        #expect(try await store.admin.hourly(gateway: "g", from: Self.t0, to: Self.t0 + 5 * Self.hour) == before)
    }

    /// A commit landing after the pass took the marker, before it recomputes: whether or
    /// not the pass's reads see it, the commit marks the next pass, which counts it.
    @Test func aCommitRacingThePassIsNotLost() async throws {
        let store = try Store()
        defer { store.remove() }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 4 * Self.hour, step: 60_000, counters: true)
        let first = all[90], second = all[100]  // 09:30 and 09:40
        _ = try await store.readings.commit(all.filter { $0.readings[0].at != first.readings[0].at && $0.readings[0].at != second.readings[0].at })
        try await store.admin.refreshRollup(gateway: "g")
        _ = try await store.readings.commit([first])
        let readings = store.readings
        _ = try await store.admin.refreshRollup(gateway: "g", afterTakingMarker: {
            _ = try await readings.commit([second])
        })
        #expect(try await store.markers("g").changedFrom == second.readings[0].at, "the racing commit marked the next pass")
        try await store.admin.refreshRollup(gateway: "g")
        #expect(try await store.markers("g") == (nil, nil))
        let end = Self.t0 + 5 * Self.hour
        #expect(try await store.admin.hourly(gateway: "g", from: Self.t0, to: end) == Self.fresh(all, from: Self.t0, to: end))
    }

    /// The marker is taken and the reopened hours recorded in one transaction: a pass that
    /// fails before recomputing them leaves the work to the next one.
    @Test func aFailedPassLeavesTheRecomputationPending() async throws {
        struct Interrupted: Error {}
        let store = try Store()
        defer { store.remove() }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 4 * Self.hour, step: 60_000, counters: false)
        let late = all[95]  // 09:35
        _ = try await store.readings.commit(all.filter { $0.readings[0].at != late.readings[0].at })
        try await store.admin.refreshRollup(gateway: "g")
        _ = try await store.readings.commit([late])
        await #expect(throws: Interrupted.self) {
            try await store.admin.refreshRollup(gateway: "g", afterTakingMarker: { throw Interrupted() })
        }
        #expect(try await store.markers("g") == (nil, Self.t0 + Self.hour), "09:00 onwards waits for the next pass")
        #expect(try await store.admin.refreshRollup(gateway: "g") == 2)
        #expect(try await store.markers("g") == (nil, nil))
        let end = Self.t0 + 5 * Self.hour
        #expect(try await store.admin.hourly(gateway: "g", from: Self.t0, to: end) == Self.fresh(all, from: Self.t0, to: end))
    }

    /// A file from before the markers existed keeps its data and gains them.
    @Test func aVersionTwoFileGainsTheMarkers() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("late-v2-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let old = try SQLiteDatabase(path: path, migrations: Schema.migrations.filter { $0.version <= 2 })
            try await old.write { db in
                try db.run("INSERT INTO gateways (id, first_seen, last_seen) VALUES ('g', 1, 2)")
                try db.run("INSERT INTO rollup_state (gateway, through) VALUES ('g', 3600000)")
            }
        }
        let database = try SQLiteDatabase(path: path)
        let row = try await database.read { db in
            try db.query("SELECT g.last_seen, g.changed_from, r.through, r.redo_from FROM gateways g JOIN rollup_state r ON r.gateway = g.id").first
        }
        #expect(row.map { [$0.int64(0), $0.int64(1), $0.int64(2), $0.int64(3)] } == [2, nil, 3_600_000, nil])
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
