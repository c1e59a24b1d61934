import TenantStorage

extension SQLiteAdminStore: AlarmStore {
    static let alarmColumns = "id, gateway, customer_id, kind, state, opened_at, acknowledged_at, acknowledged_by, cleared_at, detail"

    public func openAlarm(gateway: String, customerID: Int64?, kind: AlarmKind, detail: String, at: EpochMillis) async throws -> Alarm? {
        try await database.write { db in
            try db.transaction { () throws -> Alarm? in
                // The unique index `alarms_one_active` makes a second active alarm of this gateway
                // and kind a no-op, also against a concurrent writer.
                let inserted = try db.run(
                    """
                    INSERT OR IGNORE INTO alarms (gateway, customer_id, kind, severity, state, opened_at, detail)
                    VALUES (?, ?, ?, ?, 'open', ?, ?)
                    """,
                    [.text(gateway), .integer(customerID), .text(kind.rawValue), .integer(Int64(kind.severity.rank)), .integer(at), .text(detail)])
                guard inserted > 0 else { return nil }
                let id = db.lastInsertRowID
                try Self.recordChange(db, alarm: id, AlarmChange(at: at, state: .open, by: nil, note: detail))
                return Alarm(id: id, gateway: gateway, customerID: customerID, kind: kind, state: .open, openedAt: at, detail: detail)
            }
        }
    }

    public func activeAlarms() async throws -> [Alarm] {
        try await alarms(matching: .active, offset: 0, limit: .max).alarms
    }

    public func acknowledgeAlarm(id: Int64, by staff: String, at: EpochMillis) async throws -> AlarmAcknowledgement {
        try await database.write { db in
            try db.transaction { () throws -> AlarmAcknowledgement in
                guard let alarm = try Self.alarm(db, id: id) else { return .unknown }
                guard alarm.state == .open else { return .notOpen(alarm) }
                try db.run(
                    "UPDATE alarms SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                    [.integer(at), .text(staff), .integer(id)])
                try Self.recordChange(db, alarm: id, AlarmChange(at: at, state: .acknowledged, by: staff, note: "acknowledged"))
                var acknowledged = alarm
                acknowledged.state = .acknowledged
                acknowledged.acknowledgedAt = at
                acknowledged.acknowledgedBy = staff
                return .acknowledged(acknowledged)
            }
        }
    }

    public func clearAlarm(id: Int64, note: String, at: EpochMillis) async throws -> Bool {
        try await database.write { db in
            try db.transaction { () throws -> Bool in
                guard try db.run("UPDATE alarms SET state = 'cleared', cleared_at = ? WHERE id = ? AND state <> 'cleared'", [.integer(at), .integer(id)]) > 0
                else { return false }
                try Self.recordChange(db, alarm: id, AlarmChange(at: at, state: .cleared, by: nil, note: note))
                return true
            }
        }
    }

    public func alarms(matching filter: AlarmFilter, offset: Int, limit: Int) async throws -> (alarms: [Alarm], total: Int) {
        try await database.read { db in
            let states = AlarmState.allCases.filter(filter.states.contains)
            var conditions = ["state IN (\(states.map { _ in "?" }.joined(separator: ", ")))"]
            var bindings: [SQLiteValue] = states.map { .text($0.rawValue) }
            if let gateway = filter.gateway {
                conditions.append("gateway = ?")
                bindings.append(.text(gateway))
            }
            if let customer = filter.customerID {
                conditions.append("customer_id = ?")
                bindings.append(.integer(customer))
            }
            let whereClause = conditions.joined(separator: " AND ")
            let total = try db.query("SELECT count(*) FROM alarms WHERE \(whereClause)", bindings).first?.int(0) ?? 0
            let rows = try db.query(
                "SELECT \(Self.alarmColumns) FROM alarms WHERE \(whereClause) ORDER BY severity, opened_at DESC, id DESC LIMIT ? OFFSET ?",
                bindings + [.integer(Int64(clamping: max(limit, 0))), .integer(Int64(max(offset, 0)))])
            return (rows.compactMap(Self.decodeAlarm), total)
        }
    }

    public func alarm(id: Int64) async throws -> Alarm? {
        try await database.read { db in try Self.alarm(db, id: id) }
    }

    public func alarmHistory(id: Int64) async throws -> [AlarmChange] {
        try await database.read { db in
            try db.query("SELECT at, state, staff, note FROM alarm_history WHERE alarm_id = ? ORDER BY id", [.integer(id)]).compactMap { row in
                guard let state = row.string(1).flatMap(AlarmState.init) else { return nil }
                return AlarmChange(at: row.int64(0) ?? 0, state: state, by: row.string(2), note: row.string(3) ?? "")
            }
        }
    }

    private static func alarm(_ db: SQLiteConnection, id: Int64) throws -> Alarm? {
        try db.query("SELECT \(alarmColumns) FROM alarms WHERE id = ?", [.integer(id)]).first.flatMap(decodeAlarm)
    }

    /// A row of ``alarmColumns``; nil for a kind or state this version does not know.
    private static func decodeAlarm(_ row: SQLiteRow) -> Alarm? {
        guard let kind = row.string(3).flatMap(AlarmKind.init), let state = row.string(4).flatMap(AlarmState.init) else { return nil }
        return Alarm(
            id: row.int64(0) ?? 0, gateway: row.string(1) ?? "", customerID: row.int64(2), kind: kind, state: state, openedAt: row.int64(5) ?? 0,
            acknowledgedAt: row.int64(6), acknowledgedBy: row.string(7), clearedAt: row.int64(8), detail: row.string(9) ?? "")
    }

    private static func recordChange(_ db: SQLiteConnection, alarm: Int64, _ change: AlarmChange) throws {
        try db.run(
            "INSERT INTO alarm_history (alarm_id, at, state, staff, note) VALUES (?, ?, ?, ?, ?)",
            [.integer(alarm), .integer(change.at), .text(change.state.rawValue), .text(change.by), .text(change.note)])
    }
}
