import TenantStorage

extension SQLiteAdminStore: AlertStateStore {
    public func alertStates() async throws -> [String: GatewayAlertState] {
        try await database.read { db in
            var states: [String: GatewayAlertState] = [:]
            for row in try db.query("SELECT gateway, offline, low_day FROM alert_state") {
                let gateway = row.string(0) ?? ""
                states[gateway] = GatewayAlertState(gateway: gateway, offline: row.int(1) == 1, lowProductionDay: row.string(2))
            }
            return states
        }
    }

    public func setAlertState(_ state: GatewayAlertState) async throws {
        _ = try await database.write { db in
            try db.run(
                "INSERT OR REPLACE INTO alert_state (gateway, offline, low_day) VALUES (?, ?, ?)",
                [.text(state.gateway), .integer(state.offline ? 1 : 0), .text(state.lowProductionDay)])
        }
    }
}
