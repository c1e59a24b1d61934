import Foundation
import Testing
import TenantSQLite
import TenantStorage

/// A fresh database file in a temporary folder, removed by `cleanup()`.
struct TemporaryDatabase {
    let folder: URL
    let path: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tenant-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("provider.db").path
    }

    func cleanup() { try? FileManager.default.removeItem(at: folder) }
}

@Suite struct SQLiteReadingStoreTests {
    @Test func storesReadingsOnceAndCountsDuplicates() async throws {
        let tmp = try TemporaryDatabase()
        defer { tmp.cleanup() }
        let store = SQLiteReadingStore(database: try SQLiteDatabase(path: tmp.path))
        let report = GatewayReport(
            gateway: "gw-1",
            readings: [
                Reading(sensor: "inv-1", at: 1_000, power: 1834.5, energy: 15230),
                Reading(sensor: "inv-2", at: 1_000, power: -12),
            ],
            receivedAt: 5_000)
        #expect(try await store.commit([report]) == [ReportOutcome(stored: 2, duplicates: 0)])
        #expect(try await store.commit([report, report]) == [ReportOutcome(stored: 0, duplicates: 2), ReportOutcome(stored: 0, duplicates: 2)])

        let readings = try await store.readings(gateway: "gw-1", from: 0, to: 2_000)
        #expect(readings == report.readings)
        #expect(try await store.readings(gateway: "gw-1", from: 1_001, to: 2_000).isEmpty)
        #expect(try await store.readings(gateway: "gw-2", from: 0, to: 2_000).isEmpty)
    }

    @Test func heartbeatRegistersGatewayAndMovesLastSeen() async throws {
        let tmp = try TemporaryDatabase()
        defer { tmp.cleanup() }
        let database = try SQLiteDatabase(path: tmp.path)
        let store = SQLiteReadingStore(database: database)
        _ = try await store.commit([GatewayReport(gateway: "gw-9", readings: [], receivedAt: 10)])
        _ = try await store.commit([GatewayReport(gateway: "gw-9", readings: [], receivedAt: 30)])
        _ = try await store.commit([GatewayReport(gateway: "gw-9", readings: [], receivedAt: 20)])
        let rows = try await database.read { db in try db.query("SELECT first_seen, last_seen, customer_id FROM gateways WHERE id = 'gw-9'") }
        #expect(rows.count == 1)
        #expect(rows.first?.int64(0) == 10)
        #expect(rows.first?.int64(1) == 30)
        #expect(rows.first?.values[2] == .null)
    }

    @Test func dataSurvivesReopenAndMigrationIsIdempotent() async throws {
        let tmp = try TemporaryDatabase()
        defer { tmp.cleanup() }
        do {
            let store = SQLiteReadingStore(database: try SQLiteDatabase(path: tmp.path, durability: .full))
            _ = try await store.commit([GatewayReport(gateway: "gw-1", readings: [Reading(sensor: "s", at: 1, power: 1)], receivedAt: 1)])
        }
        let reopened = try SQLiteDatabase(path: tmp.path)
        let version = try await reopened.read { db in try db.userVersion }
        #expect(version == Schema.migrations.map(\.version).max())
        #expect(try await SQLiteReadingStore(database: reopened).readings(gateway: "gw-1", from: 0, to: 10).count == 1)
    }

    @Test func unopenableFileIsAClearError() {
        #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: "/nonexistent-dir/x/provider.db") }
    }
}
