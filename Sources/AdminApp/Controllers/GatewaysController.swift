import FoundationEssentials
import Hummingbird
import TenantAuth
import TenantStorage
import TenantTime

/// Gateways: list, detail page with sensors and charts, assignment, gateway keys.
struct GatewaysController {
    let services: AdminServices

    /// The period a chart shows: the last 24 hours (the default, so the page never opens on an
    /// empty "today" before sunrise), a local day, week or month ending on a day, or any range
    /// of days picked with `from` and `to`.
    enum Range: String, CaseIterable, Sendable {
        case last24h = "24h", day, week, month, custom
        var days: Int { switch self { case .last24h, .day: 1; case .week: 7; case .month: 30; case .custom: 0 } }
        var label: String { self == .last24h ? "last 24 h" : rawValue }
    }

    struct Chart: Sendable {
        var range: Range
        var endDay: String
        var fromDay: String
        var from: EpochMillis
        var to: EpochMillis
        var title: String
        var total: [(at: EpochMillis, power: Double)]
        var sensors: [SVGChart.Series]
        var gapMillis: EpochMillis

        /// The query string that draws this chart again.
        var query: String {
            switch range {
            case .last24h: "range=24h"
            case .custom: "from=\(fromDay)&to=\(endDay)"
            default: "range=\(range.rawValue)&end=\(endDay)"
            }
        }

        func svg(zone: TimeZoneRules, size: SVGChart.Size) -> HTML {
            SVGChart.power(total: total, sensors: sensors, from: from, to: to, zone: zone, title: title, gapMillis: gapMillis, size: size)
        }
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/gateways") { request, context in
            try await listPage(request, context, flash: Pages.flash(try request.query))
        }
        router.post("/gateways/assign") { request, context in
            try await FormPost.handle(context) {
                try await assign(gateway: try context.form.required("gateway", field: "gateway"), context: context)
            } rerender: { state in
                try await assignFailed(request, context, state)
            }
        }
        router.get("/gateways/:id") { request, context in try await page(request, context) }
        router.get("/gateways/:id/chart.svg") { request, context in
            let gateway = try await load(context)
            let zone = try await services.settings().timeZone
            let query = try request.query
            let chart = try await chart(gateway: gateway.id, query: query, zone: zone)
            let size: SVGChart.Size = query.text("size") == "narrow" ? .narrow : .wide
            return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(string: chart.svg(zone: zone, size: size).markup)))
        }
        router.post("/gateways/:id/assign") { request, context in
            let gateway = try await load(context)
            return try await FormPost.handle(context) {
                try await assign(gateway: gateway.id, context: context)
            } rerender: { state in
                try await page(request, context, assign: state)
            }
        }
        router.post("/gateways/:id/key") { _, context in
            let gateway = try await load(context)
            if context.form["action"] == "remove" {
                // A gateway that needs its key stops reporting once it is gone: ask first.
                guard context.form["confirm"] == "yes" else {
                    return Pages.page("Remove the key of \(gateway.id)?", context: context, active: "Gateways",
                                      Views.confirm(
                                          question: "Remove the key of gateway \(gateway.id)? While keys are required, the gateway is refused until it gets a new key.",
                                          action: "/gateways/\(gateway.id)/key", button: "Remove key", cancel: "/gateways/\(gateway.id)",
                                          hidden: [("action", "remove")], context: context))
                }
                _ = try await services.store.setKeyHash(gateway: gateway.id, hash: nil)
                services.logger.info("gateway key removed", metadata: ["gateway": "\(gateway.id)"])
                return HTML.redirect("/gateways/\(gateway.id)?ok=Gateway+key+removed")
            }
            let key = SecretGenerator.token()
            let hash = try await services.passwords.hash(key)
            _ = try await services.store.setKeyHash(gateway: gateway.id, hash: hash)
            services.logger.info("gateway key generated", metadata: ["gateway": "\(gateway.id)"])
            let body = Views.gatewayKey(gateway.id, key: key)
            return Pages.page("Gateway key", context: context, active: "Gateways", body)
        }
    }

    func load(_ context: AdminRequestContext, id: String? = nil) async throws -> GatewayInfo {
        let id = id ?? context.parameters.get("id") ?? ""
        guard let gateway = try await services.store.gateway(id: id) else { throw AdminError.notFound("no gateway '\(id)'") }
        return gateway
    }

    func assign(gateway: String, context: AdminRequestContext) async throws -> Response {
        let form = context.form
        var customer: Int64?
        if let text = form.text("customer"), text != "none" {
            guard let id = Int64(text) else { throw AdminError.badRequest("customer must be a customer id", field: "customer") }
            customer = id
        }
        let site = form.text("site")
        guard (site ?? "").count <= 200 else { throw AdminError.badRequest("site name is longer than 200 characters", field: "site") }
        guard try await services.store.assign(gateway: gateway, customer: customer, site: site) else {
            throw AdminError(.unprocessableContent, "no such gateway or customer (deleted meanwhile?)", field: "customer")
        }
        services.logger.info("gateway assigned", metadata: ["gateway": "\(gateway)", "customer.id": "\(customer.map(String.init) ?? "none")"])
        if form["return"] == "customer", let customer { return HTML.redirect("/customers/\(customer)?ok=Gateway+assigned") }
        return HTML.redirect("/gateways/\(gateway)?ok=Saved")
    }

    /// The chart for `?range=24h|day|week|month&end=YYYY-MM-DD` or `?from=YYYY-MM-DD&to=YYYY-MM-DD`
    /// (default: the last 24 hours). Up to two days show every reading, one line per sensor
    /// plus the total; longer ranges show the hourly means of each sensor and of the total.
    func chart(gateway: String, query: FormData, zone: TimeZoneRules) async throws -> Chart {
        let now = services.nowMillis
        let range: Range
        if let text = query.text("range") {
            guard let parsed = Range(rawValue: text) else { throw AdminError.badRequest("range must be 24h, day, week, month or custom") }
            range = parsed
        } else {
            // `end` alone keeps its old meaning: the day ending then.
            range = query.text("from") != nil || query.text("to") != nil ? .custom : query.text("end") != nil ? .day : .last24h
        }
        let from: EpochMillis, to: EpochMillis, endStart: EpochMillis
        switch range {
        case .last24h:
            // To the next whole 5 minutes: the same URL draws the same chart for a while.
            to = (now / 300_000 + 1) * 300_000
            from = to - 86_400_000
            endStart = TimeFormat.startOfDay(now, in: zone)
        case .custom:
            let picked = try ReportsController.dateRange(query, zone: zone, now: now)
            from = picked.from
            to = picked.to
            endStart = TimeFormat.startOfDay(to - 1, in: zone)
        case .day, .week, .month:
            if let endText = query.text("end") {
                guard let day = TimeFormat.parseDay(endText, in: zone) else { throw AdminError.badRequest("end must be a date YYYY-MM-DD") }
                endStart = day
            } else {
                endStart = TimeFormat.startOfDay(now, in: zone)
            }
            to = TimeFormat.addDays(1, to: endStart, in: zone)
            from = TimeFormat.addDays(1 - range.days, to: endStart, in: zone)
        }
        let period = switch range {
        case .last24h: "last 24 hours"
        case .custom: "\(TimeFormat.day(from, in: zone)) to \(TimeFormat.day(to - 1, in: zone))"
        default: "\(range.rawValue) ending \(TimeFormat.day(endStart, in: zone))"
        }
        let title = "Power of \(gateway), \(period)"
        if to - from <= 2 * 86_400_000 + 3_600_000 {
            let readings = try await services.readings.readings(gateway: gateway, from: from, to: to)
            var bySensor: [String: [(at: EpochMillis, power: Double)]] = [:]
            var totals: [EpochMillis: Double] = [:]
            for reading in readings {
                bySensor[reading.sensor, default: []].append((reading.at, reading.power))
                totals[reading.at, default: 0] += reading.power
            }
            let total = totals.sorted { $0.key < $1.key }.map { (at: $0.key, power: $0.value) }
            let sensors = bySensor.keys.sorted().map { SVGChart.Series(name: $0, points: bySensor[$0]!.sorted { $0.at < $1.at }) }
            return Chart(range: range, endDay: TimeFormat.day(endStart, in: zone), fromDay: TimeFormat.day(from, in: zone), from: from, to: to, title: title, total: total, sensors: sensors, gapMillis: 10 * 60_000)
        }
        let hours = try await services.store.hourly(gateway: gateway, from: from, to: to)
        let points = hours.map { (at: $0.hour + 1_800_000, power: $0.meanPower) }
        var bySensor: [String: [(at: EpochMillis, power: Double)]] = [:]
        for hour in hours {
            for (sensor, mean) in hour.sensorMeans { bySensor[sensor, default: []].append((hour.hour + 1_800_000, mean)) }
        }
        let sensors = bySensor.keys.sorted().map { SVGChart.Series(name: $0, points: bySensor[$0]!) }
        return Chart(
            range: range, endDay: TimeFormat.day(endStart, in: zone), fromDay: TimeFormat.day(from, in: zone), from: from, to: to,
            title: title + " (hourly means)", total: points, sensors: sensors, gapMillis: 2 * 3_600_000)
    }

    /// A refused assignment from the customer page shows that page again, else the gateway's.
    func assignFailed(_ request: Request, _ context: AdminRequestContext, _ state: FormState) async throws -> Response {
        let customers = CustomersController(services: services)
        if context.form["return"] == "customer", let id = context.form.text("customer").flatMap(Int64.init),
            let customer = try await services.store.customer(id: id) {
            return try await customers.customerPage(customer, context, flash: HTML(), edit: .fresh, assign: state)
        }
        if let id = context.form.text("gateway"), try await services.store.gateway(id: id) != nil {
            return try await page(request, context, id: id, assign: state)
        }
        return try await listPage(request, context, flash: state.general(fields: []))
    }

    func listPage(_ request: Request, _ context: AdminRequestContext, flash: HTML) async throws -> Response {
        let settings = try await services.settings()
        let form = try request.query
        let query: GatewayList.Query
        do {
            query = try GatewayList.Query(form)
        } catch {
            // The filter form again, as typed, with the message next to the field.
            var response = Pages.page("Gateways", context: context, active: "Gateways",
                                      Views.gatewayFilter(GatewayList.Query(), form: FormState(values: form, error: error)))
            response.status = .unprocessableContent
            return response
        }
        let result = try await GatewayList(services: services).list(query, settings: settings)
        return Pages.page("Gateways", context: context, active: "Gateways", refresh: Pages.refreshSeconds(form),
                          flash + Views.gatewayFilter(query, form: FormState(values: form)) + Views.gateways(result, query: query, now: services.nowMillis, settings: settings, context: context))
    }

    func page(_ request: Request, _ context: AdminRequestContext, id: String? = nil, assign: FormState = .fresh) async throws -> Response {
        let gateway = try await load(context, id: id)
        let settings = try await services.settings()
        let zone = settings.timeZone
        let query = try request.query
        // A range that cannot be drawn: the last 24 hours, and the picker again as typed with
        // the message at its field (422), as every other form does.
        let chart: Chart
        var picker = FormState.fresh
        do {
            chart = try await self.chart(gateway: gateway.id, query: query, zone: zone)
        } catch let error as AdminError where error.isInputProblem {
            chart = try await self.chart(gateway: gateway.id, query: FormData(), zone: zone)
            picker = FormState(values: query, error: error)
        }
        let now = services.nowMillis
        let sensors = try await services.store.latestReadings(gateway: gateway.id, since: now - 86_400_000)
        // Whole local days up to the one the chart ends in.
        let barsTo = TimeFormat.addDays(1, to: TimeFormat.startOfDay(chart.to - 1, in: zone), in: zone)
        let barsFrom = TimeFormat.addDays(-30, to: barsTo, in: zone)
        let days = try await services.reports.daily(gateway: gateway.id, from: barsFrom, to: barsTo, zone: zone)
        let bars = SVGChart.responsive { SVGChart.energyBars(days, zone: zone, title: "Energy per day of \(gateway.id)", size: $0) }
        let customers = try await services.store.customers()
        let alarms = try await services.store.alarms(matching: AlarmFilter(gateway: gateway.id), offset: 0, limit: 10)
        var response = Pages.page("Gateway \(gateway.id)", context: context, active: "Gateways",
                          Views.gateway(gateway, customers: customers, sensors: sensors, chart: chart, bars: bars, settings: settings, now: now, context: context, flash: Pages.flash(query), assign: assign, picker: picker,
                                        alarms: Views.alarmSummary(alarms.alarms, total: alarms.total, link: "/alarms?gateway=" + gateway.id.percentEncoded, context: context)))
        if picker.error != nil { response.status = .unprocessableContent }
        return response
    }
}
