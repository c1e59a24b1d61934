import CQLClient
import Logging
@testable import TenantCassandra
import TenantModel
import TenantStorage
import Testing

/// The Cassandra side of late readings (see `LateReadings`): which commits write a marker,
/// and that a rollup pass clears only the markers it acted on. Against ``FakeStoreNode``
/// (in-memory tables with write timestamps, not Cassandra). What the rollup then contains is
/// checked for both stores by ``AdminStoreConformanceTests``.
@Suite struct LateReadingCassandraTests {
    static let t0 = AdminStoreConformanceTests.t0
    static let hour: EpochMillis = 3_600_000
    static let markerPartition = FakeStoreNode.AdminPartition(kind: "rollup_late", part: "g")

    struct Opened {
        let node: FakeStoreNode
        let readings: CassandraReadingStore
        let admin: CassandraAdminStore

        /// The marker rows of gateway `g`: first hour to recompute → write timestamp.
        var markers: [EpochMillis: Int64] {
            node.tables.withLock { tables in
                var markers: [EpochMillis: Int64] = [:]
                for (key, cell) in tables.admin[LateReadingCassandraTests.markerPartition] ?? [:] { markers[Int64(key) ?? -1] = cell.timestamp }
                return markers
            }
        }

        func close() async {
            await readings.close()
            await node.stop()
        }
    }

    /// After a pass: no marker left, and the first seven hours roll up exactly as a fresh
    /// computation over all of `reports`.
    static func expectPassDone(_ opened: Opened, matching reports: [GatewayReport]) async throws {
        #expect(opened.markers.isEmpty)
        #expect(try await opened.admin.hourly(gateway: "g", from: t0, to: t0 + 7 * hour)
            == AdminStoreConformanceTests.freshHourly(reports.flatMap(\.readings), from: t0, to: t0 + 7 * hour))
    }

    static func open() async throws -> Opened {
        let node = try await FakeStoreNode.start()
        let readings = try await CassandraStoreFakeNodeTests.open(node)
        return Opened(node: node, readings: readings, admin: CassandraAdminStore(client: readings.client, keyspace: readings.keyspace))
    }

    static func reports(from: EpochMillis, to: EpochMillis) -> [GatewayReport] {
        AdminStoreConformanceTests.reports(of: AdminStoreConformanceTests.steadyReadings(from: from, to: to, step: 300_000, counters: true))
    }

    @Test func onlyLateReadingsMarkAndAPassClearsTheMarker() async throws {
        let opened = try await Self.open()
        defer { Task { await opened.close() } }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 6 * Self.hour)
        let late = all[26]  // 02:10
        // In order, one report per commit, passes in between: no marker is ever written.
        for report in all where report.readings[0].at != late.readings[0].at {
            _ = try await opened.readings.commit([report])
            #expect(opened.markers.isEmpty, "in-order data at \(report.readings[0].at) left no marker")
            if report.readings[0].at % Self.hour == 0 { try await opened.admin.refreshRollup(gateway: "g") }
        }
        try await opened.admin.refreshRollup(gateway: "g")
        _ = try await opened.readings.commit([late])
        #expect(Array(opened.markers.keys) == [Self.t0 + 2 * Self.hour], "the first hour whose aggregates 02:10 changes")
        #expect(try await opened.admin.refreshRollup(gateway: "g") == 3, "02:00, 03:00, 04:00")
        try await Self.expectPassDone(opened, matching: all)
    }

    /// A late commit landing while a pass runs, after it read the markers, for the same
    /// hour: its marker has a later timestamp than the one the pass deletes at, so it stays.
    @Test func aMarkerWrittenDuringAPassSurvivesIt() async throws {
        let opened = try await Self.open()
        defer { Task { await opened.close() } }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 6 * Self.hour)
        let (first, second) = (all[26], all[28])  // 02:10 and 02:20
        _ = try await opened.readings.commit(all.filter { $0.readings[0].at != first.readings[0].at && $0.readings[0].at != second.readings[0].at })
        try await opened.admin.refreshRollup(gateway: "g")
        _ = try await opened.readings.commit([first])
        let stampOfFirst = try #require(opened.markers[Self.t0 + 2 * Self.hour])
        let readings = opened.readings
        _ = try await opened.admin.refreshRollup(gateway: "g", afterReadingMarkers: {
            _ = try await readings.commit([second])
        })
        let stampOfSecond = try #require(opened.markers[Self.t0 + 2 * Self.hour], "the racing commit's marker survived the pass")
        #expect(stampOfSecond > stampOfFirst)
        try await opened.admin.refreshRollup(gateway: "g")
        try await Self.expectPassDone(opened, matching: all)
    }

    /// Ingest restarts between a gateway's live data and its backlog: the new store instance
    /// learns the gateway's newest stored reading on its first commit, so a small backlog
    /// commit (whose own readings span minutes) is still recognised as late.
    @Test func aRestartedIngestStillMarksLateReadings() async throws {
        let opened = try await Self.open()
        defer { Task { await opened.close() } }
        let all = Self.reports(from: Self.t0, to: Self.t0 + 6 * Self.hour)
        let backlog = all.filter { (Self.t0 + Self.hour..<Self.t0 + 5 * Self.hour).contains($0.readings[0].at) }
        _ = try await opened.readings.commit(all.filter { !backlog.contains($0) })
        try await opened.admin.refreshRollup(gateway: "g")

        let restarted = try await CassandraStoreFakeNodeTests.open(opened.node)
        defer { Task { await restarted.close() } }
        for report in backlog { _ = try await restarted.commit([report]) }
        #expect(opened.markers.keys.min() == Self.t0, "the first backlog report (01:00) reopens 00:00, whose last step it ends")
        try await opened.admin.refreshRollup(gateway: "g")
        try await Self.expectPassDone(opened, matching: all)
    }

    @Test func theNewestStoredReadingIsFoundFromTheIndex() async throws {
        let opened = try await Self.open()
        defer { Task { await opened.close() } }
        #expect(try await opened.readings.newestReading(gateway: "g") == nil)
        _ = try await opened.readings.commit([GatewayReport(gateway: "g", readings: [], receivedAt: 1)])
        #expect(try await opened.readings.newestReading(gateway: "g") == nil, "a gateway without readings")
        _ = try await opened.readings.commit(Self.reports(from: Self.t0, to: Self.t0 + 2 * 86_400_000))
        // A day whose index row exists but whose readings never landed gives way to the day before.
        opened.node.tables.withLock { _ = $0.gateways["g"]?.index.insert(["a", String(CassandraSchema.day(of: Self.t0) + 5)]) }
        #expect(try await opened.readings.newestReading(gateway: "g") == Self.t0 + 2 * 86_400_000 - 300_000)
    }
}
