import Foundation
import Testing
import TenantSQLite
import TenantStorage

/// What migration 7 gives the alarms beyond the shared store behaviour (that is in
/// TenantCassandraTests' AlarmStoreConformanceTests, run against SQLite too): the database
/// itself refuses a second active alarm, and the list queries read their indexes.
@Suite struct AlarmSchemaTests {
    func open() throws -> (SQLiteAdminStore, SQLiteDatabase) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alarms-\(UUID().uuidString).db").path
        let database = try SQLiteDatabase(path: path)
        return (SQLiteAdminStore(database: database), database)
    }

    @Test func theDatabaseAllowsOneActiveAlarmPerGatewayAndKind() async throws {
        let (store, database) = try open()
        let alarm = try #require(try await store.openAlarm(gateway: "gw-1", customerID: nil, kind: .offline, detail: "x", at: 1))
        let insert = "INSERT INTO alarms (gateway, kind, severity, state, opened_at, detail) VALUES ('gw-1', 'offline', 1, 'acknowledged', 2, 'y')"
        await #expect(throws: (any Error).self) { try await database.write { db in try db.run(insert) } }
        #expect(try await store.clearAlarm(id: alarm.id, note: "back", at: 3))
        // Cleared alarms are history: any number of them.
        #expect(try await database.write { db in try db.run(insert) } == 1)
    }

    @Test(arguments: [
        ("state IN ('open', 'acknowledged')", "alarms_by_state"),
        ("state IN ('open', 'acknowledged') AND gateway = 'gw-1'", "alarms_by_gateway"),
        ("state IN ('open', 'acknowledged') AND customer_id = 3", "alarms_by_customer"),
    ])
    func listQueriesUseAnIndex(condition: String, index: String) async throws {
        let (_, database) = try open()
        let plan = try await database.read { db in
            try db.query("EXPLAIN QUERY PLAN SELECT id FROM alarms WHERE \(condition) ORDER BY severity, opened_at DESC, id DESC LIMIT 50")
                .compactMap { $0.string(3) }.joined(separator: "\n")
        }
        #expect(plan.contains(index), "\(plan)")
    }

    @Test func historyReadsItsIndex() async throws {
        let (_, database) = try open()
        let plan = try await database.read { db in
            try db.query("EXPLAIN QUERY PLAN SELECT at FROM alarm_history WHERE alarm_id = 1 ORDER BY id").compactMap { $0.string(3) }.joined(separator: "\n")
        }
        #expect(plan.contains("alarm_history_by_alarm"), "\(plan)")
    }
}
