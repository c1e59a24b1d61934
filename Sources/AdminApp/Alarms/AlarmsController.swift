import Hummingbird
import TenantStorage

/// The alarms pages: the list with its filters, one alarm with its history, and
/// acknowledging an open alarm.
struct AlarmsController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/alarms") { request, context in
            let form = try request.query
            let query: AlarmQuery
            do {
                query = try AlarmQuery(form)
            } catch let error as AdminError {
                // The filter form again, as typed, with the message next to the field (as the gateways list does).
                var response = Pages.page("Alarms", context: context, active: "Alarms",
                                          Views.alarmFilter(AlarmQuery(), customers: try await services.store.customers(), form: FormState(values: form, error: error)))
                response.status = .unprocessableContent
                return response
            }
            return try await listPage(query, context, flash: Pages.flash(form), refresh: Pages.refreshSeconds(form))
        }
        router.get("/alarms/:id") { request, context in
            try await alarmPage(try await load(context), context, flash: Pages.flash(try request.query), form: .fresh)
        }
        router.post("/alarms/:id/acknowledge") { _, context in
            let alarm = try await load(context)
            return try await FormPost.handle(context) {
                try await Self.acknowledge(alarm.id, staff: context.staff, services: services)
                let back = Self.returnPath(context.form["return"]).map { $0 + ($0.contains("?") ? "&" : "?") }
                return HTML.redirect((back ?? "/alarms/\(alarm.id)?") + "ok=Alarm+\(alarm.id)+acknowledged")
            } rerender: { state in
                try await alarmPage(try await load(context), context, flash: HTML(), form: state)
            }
        }
    }

    func listPage(_ query: AlarmQuery, _ context: AdminRequestContext, flash: HTML, refresh: Int?) async throws -> Response {
        let settings = try await services.settings()
        let page = try await services.store.alarms(matching: query.filter, offset: (query.page - 1) * AlarmQuery.pageSize, limit: AlarmQuery.pageSize)
        let customers = try await services.store.customers()
        return Pages.page("Alarms", context: context, active: "Alarms", refresh: refresh,
                          flash + Views.alarmFilter(query, customers: customers, form: .fresh)
                          + Views.alarms(page.alarms, total: page.total, query: query, customers: customers, zone: settings.timeZone, context: context))
    }

    func alarmPage(_ alarm: Alarm, _ context: AdminRequestContext, flash: HTML, form: FormState) async throws -> Response {
        let settings = try await services.settings()
        let history = try await services.store.alarmHistory(id: alarm.id)
        var customer: Customer?
        if let id = alarm.customerID { customer = try await services.store.customer(id: id) }
        return Pages.page("Alarm \(alarm.id)", context: context, active: "Alarms",
                          Views.alarm(alarm, customer: customer, history: history, zone: settings.timeZone, context: context, flash: flash, form: form))
    }

    func load(_ context: AdminRequestContext) async throws -> Alarm {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.badRequest("an alarm id is a number") }
        guard let alarm = try await services.store.alarm(id: id) else { throw AdminError.notFound("no alarm \(id)") }
        return alarm
    }

    /// Acknowledges an open alarm (panel and JSON API): 404 when there is none, 409 when it
    /// is acknowledged or cleared already.
    @discardableResult
    static func acknowledge(_ id: Int64, staff: String?, services: AdminServices) async throws -> Alarm {
        let name = staff ?? "unknown"
        switch try await services.store.acknowledgeAlarm(id: id, by: name, at: services.nowMillis) {
        case .acknowledged(let alarm):
            services.logger.info("alarm acknowledged", metadata: ["alarm.id": "\(id)", "staff": "\(name)"])
            return alarm
        case .notOpen(let alarm):
            let who = alarm.acknowledgedBy.map { " by \($0)" } ?? ""
            throw AdminError(.conflict, alarm.state == .cleared ? "alarm \(id) has cleared already: there is nothing to acknowledge" : "alarm \(id) was acknowledged already\(who)")
        case .unknown:
            throw AdminError.notFound("no alarm \(id)")
        }
    }

    /// Where to go after acknowledging from a list: only a path of the alarms list itself,
    /// so the field cannot send anyone elsewhere, in printable ASCII, so it cannot break the
    /// `Location` header either.
    static func returnPath(_ value: String?) -> String? {
        guard let value, value == "/alarms" || value.hasPrefix("/alarms?"), value.count <= 1000,
            value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        return value
    }
}
