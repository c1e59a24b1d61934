import Hummingbird
import TenantStorage

/// The JSON API's alarm routes (see docs/admin.md): list with filters and paging, one alarm
/// with its history, acknowledge.
struct AlarmsAPI {
    let services: AdminServices

    /// Every field present, null when empty, so a script can tell "not acknowledged" from
    /// a missing field.
    struct AlarmJSON: Encodable, Sendable {
        var alarm: Alarm
        var history: [AlarmChange]?

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey {
                case id, gateway, customer, kind, severity, state, opened_at, acknowledged_at, acknowledged_by, cleared_at, detail, history
            }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(alarm.id, forKey: .id)
            try c.encode(alarm.gateway, forKey: .gateway)
            try c.encode(alarm.customerID, forKey: .customer)
            try c.encode(alarm.kind.rawValue, forKey: .kind)
            try c.encode(alarm.severity.rawValue, forKey: .severity)
            try c.encode(alarm.state.rawValue, forKey: .state)
            try c.encode(TimeFormat.rfc3339(alarm.openedAt), forKey: .opened_at)
            try c.encode(alarm.acknowledgedAt.map(TimeFormat.rfc3339), forKey: .acknowledged_at)
            try c.encode(alarm.acknowledgedBy, forKey: .acknowledged_by)
            try c.encode(alarm.clearedAt.map(TimeFormat.rfc3339), forKey: .cleared_at)
            try c.encode(alarm.detail, forKey: .detail)
            if let history { try c.encode(history.map(ChangeJSON.init), forKey: .history) }
        }
    }

    struct ChangeJSON: Encodable, Sendable {
        var at: String
        var state: String
        /// The staff member, null for the monitor.
        var by: String?
        var note: String

        init(_ change: AlarmChange) {
            at = TimeFormat.rfc3339(change.at); state = change.state.rawValue; by = change.by; note = change.note
        }

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case at, state, by, note }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(at, forKey: .at)
            try c.encode(state, forKey: .state)
            try c.encode(by, forKey: .by)
            try c.encode(note, forKey: .note)
        }
    }

    struct ListJSON: Encodable, Sendable {
        var alarms: [AlarmJSON]
        var total: Int
        var page: Int
        var pages: Int
        var page_size: Int
    }

    func register(on api: some RouterMethods<AdminRequestContext>) {
        api.get("/alarms") { request, _ in
            let query = try AlarmQuery(try request.query)
            let found = try await services.store.alarms(matching: query.filter, offset: (query.page - 1) * AlarmQuery.pageSize, limit: AlarmQuery.pageSize)
            return try JSONResponse.encode(ListJSON(
                alarms: found.alarms.map { AlarmJSON(alarm: $0) }, total: found.total, page: query.page,
                pages: max(1, (found.total + AlarmQuery.pageSize - 1) / AlarmQuery.pageSize), page_size: AlarmQuery.pageSize))
        }
        api.get("/alarms/:id") { _, context in
            try await detail(try await load(context))
        }
        api.post("/alarms/:id/acknowledge") { _, context in
            let alarm = try await load(context)
            try await AlarmsController.acknowledge(alarm.id, staff: context.staff, services: services)
            return try await detail(try await load(context))
        }
    }

    func load(_ context: AdminRequestContext) async throws -> Alarm {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text) else { throw AdminError.badRequest("an alarm id is a number, not '\(text)'") }
        guard let alarm = try await services.store.alarm(id: id) else { throw AdminError.notFound("no alarm \(id)") }
        return alarm
    }

    func detail(_ alarm: Alarm) async throws -> Response {
        try JSONResponse.encode(AlarmJSON(alarm: alarm, history: try await services.store.alarmHistory(id: alarm.id)))
    }
}
