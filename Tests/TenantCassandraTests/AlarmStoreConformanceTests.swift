@testable import TenantCassandra
import TenantStorage
import Testing

/// Alarms and their history: the SQLite store's behaviour is the contract, the Cassandra
/// store (on ``FakeStoreNode``) must match it.
@Suite struct AlarmStoreConformanceTests {
    @Test(arguments: AdminBackend.local) func openAcknowledgeClearKeepsOneActivePerGatewayAndKind(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            let offline = try #require(try await store.openAlarm(gateway: "gw-1", customerID: 7, kind: .offline, detail: "no report since 10:00", at: 1000))
            #expect(offline.state == .open && offline.severity == .critical && offline.customerID == 7 && offline.openedAt == 1000)
            #expect(try await store.openAlarm(gateway: "gw-1", customerID: 7, kind: .offline, detail: "again", at: 2000) == nil, "one active per gateway and kind")
            let low = try #require(try await store.openAlarm(gateway: "gw-1", customerID: 7, kind: .lowProduction, detail: "20%", at: 3000))
            #expect(low.severity == .warning && low.id != offline.id)
            let other = try #require(try await store.openAlarm(gateway: "gw-2", customerID: nil, kind: .offline, detail: "no report", at: 4000))
            // Most severe first, then newest.
            #expect(try await store.activeAlarms().map(\.id) == [other.id, offline.id, low.id])

            guard case .acknowledged(let acknowledged) = try await store.acknowledgeAlarm(id: offline.id, by: "alice", at: 5000) else {
                Issue.record("an open alarm is acknowledged")
                return
            }
            #expect(acknowledged.state == .acknowledged && acknowledged.acknowledgedBy == "alice" && acknowledged.acknowledgedAt == 5000)
            #expect(try await store.alarm(id: offline.id) == acknowledged)
            #expect(try await store.acknowledgeAlarm(id: offline.id, by: "bob", at: 5500) == .notOpen(acknowledged))
            #expect(try await store.acknowledgeAlarm(id: 987_654, by: "bob", at: 5500) == .unknown)
            #expect(try await store.openAlarm(gateway: "gw-1", customerID: 7, kind: .offline, detail: "again", at: 5600) == nil, "acknowledged is still active")

            // Clearing applies to acknowledged alarms too, once.
            #expect(try await store.clearAlarm(id: offline.id, note: "reporting again", at: 6000))
            #expect(try await store.clearAlarm(id: offline.id, note: "twice", at: 6100) == false)
            #expect(try await store.clearAlarm(id: 987_654, note: "unknown", at: 6100) == false)
            let cleared = try #require(try await store.alarm(id: offline.id))
            #expect(cleared.state == .cleared && cleared.clearedAt == 6000 && cleared.acknowledgedBy == "alice")
            if case .notOpen(let alarm) = try await store.acknowledgeAlarm(id: offline.id, by: "bob", at: 6200) {
                #expect(alarm.state == .cleared)
            } else {
                Issue.record("a cleared alarm is not acknowledged")
            }
            #expect(try await store.alarmHistory(id: offline.id) == [
                AlarmChange(at: 1000, state: .open, by: nil, note: "no report since 10:00"),
                AlarmChange(at: 5000, state: .acknowledged, by: "alice", note: "acknowledged"),
                AlarmChange(at: 6000, state: .cleared, by: nil, note: "reporting again"),
            ])
            #expect(try await store.alarmHistory(id: 987_654).isEmpty)
            #expect(try await store.alarm(id: 987_654) == nil)

            // After clearing, the same condition opens a new alarm.
            let again = try #require(try await store.openAlarm(gateway: "gw-1", customerID: 8, kind: .offline, detail: "no report since 11:00", at: 7000))
            #expect(again.id != offline.id)
            #expect(try await store.activeAlarms().map(\.id) == [again.id, other.id, low.id])
        }
    }

    @Test(arguments: AdminBackend.local) func listsFilterSortAndPage(_ backend: AdminBackend) async throws {
        try await backend.with { opened in
            let store = opened.admin
            var ids: [String: Int64] = [:]
            for (name, gateway, customer, kind, at) in [
                ("a", "gw-1", Int64?.some(1), AlarmKind.lowProduction, Int64(100)), ("b", "gw-2", 1, .offline, 200),
                ("c", "gw-3", nil, .lowProduction, 300), ("d", "gw-4", 2, .offline, 400),
            ] {
                ids[name] = try #require(try await store.openAlarm(gateway: gateway, customerID: customer, kind: kind, detail: name, at: at)).id
            }
            #expect(try await store.clearAlarm(id: ids["b"]!, note: "back", at: 500))
            if case .acknowledged = try await store.acknowledgeAlarm(id: ids["c"]!, by: "alice", at: 600) {} else { Issue.record("c is open") }

            func list(_ filter: AlarmFilter, offset: Int = 0, limit: Int = 50) async throws -> ([String], Int) {
                let page = try await store.alarms(matching: filter, offset: offset, limit: limit)
                return (page.alarms.map(\.detail), page.total)
            }
            #expect(try await list(.active) == (["d", "c", "a"], 3))
            #expect(try await list(AlarmFilter(states: Set(AlarmState.allCases))) == (["d", "b", "c", "a"], 4))
            #expect(try await list(AlarmFilter(states: [.cleared])) == (["b"], 1))
            #expect(try await list(AlarmFilter(states: [.acknowledged])) == (["c"], 1))
            #expect(try await list(AlarmFilter(states: Set(AlarmState.allCases), customerID: 1)) == (["b", "a"], 2))
            #expect(try await list(AlarmFilter(customerID: 1)) == (["a"], 1))
            #expect(try await list(AlarmFilter(states: Set(AlarmState.allCases), gateway: "gw-4")) == (["d"], 1))
            #expect(try await list(AlarmFilter(gateway: "nope")) == ([], 0))
            #expect(try await list(AlarmFilter(states: Set(AlarmState.allCases)), offset: 1, limit: 2) == (["b", "c"], 4))
            #expect(try await list(AlarmFilter(states: Set(AlarmState.allCases)), offset: 10, limit: 2) == ([], 4))
        }
    }
}

/// The Cassandra store's own records: a crash between its writes leaves a state the next
/// pass repairs, not one that blocks alarms for good.
@Suite struct CassandraAlarmRecoveryTests {
    @Test func aMarkerWithoutItsAlarmDoesNotBlockOpening() async throws {
        try await AdminBackend.cassandraFakeNode.with { opened in
            let store = try #require(opened.admin as? CassandraAdminStore)
            // What a crash right after writing the marker leaves: a marker leading nowhere.
            try await store.put("alarm_active", CassandraAdminStore.single, CassandraAdminStore.activeKey(gateway: "gw-1", kind: .offline), "12345")
            let alarm = try #require(try await store.openAlarm(gateway: "gw-1", customerID: nil, kind: .offline, detail: "x", at: 1))
            #expect(try await store.activeAlarms().map(\.id) == [alarm.id])
            #expect(try await store.openAlarm(gateway: "gw-1", customerID: nil, kind: .offline, detail: "y", at: 2) == nil)
            // Clearing an alarm whose marker now names another alarm leaves that marker alone.
            let marker = CassandraAdminStore.activeKey(gateway: "gw-1", kind: .offline)
            try await store.put("alarm_active", CassandraAdminStore.single, marker, "999")
            #expect(try await store.clearAlarm(id: alarm.id, note: "back", at: 3))
            #expect(try await store.value("alarm_active", CassandraAdminStore.single, marker) == "999")
            try await store.put("alarm_active", CassandraAdminStore.single, marker, String(alarm.id))
            // A marker naming a cleared alarm (a crash before its removal) does not block either.
            let newer = try #require(try await store.openAlarm(gateway: "gw-1", customerID: nil, kind: .offline, detail: "z", at: 4))
            #expect(try await store.activeAlarms().map(\.id) == [newer.id])
        }
    }
}
