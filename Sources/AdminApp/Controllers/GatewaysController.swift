import FoundationEssentials
import Hummingbird
import TenantAuth
import TenantStorage
import TenantTime

/// Gateways: list, detail page with sensors and charts, assignment, gateway keys.
struct GatewaysController {
    let services: AdminServices

    /// The period a chart shows.
    enum Range: String, CaseIterable, Sendable {
        case day, week, month
        var days: Int { switch self { case .day: 1; case .week: 7; case .month: 30 } }
    }

    struct Chart: Sendable {
        var range: Range
        var endDay: String
        var from: EpochMillis
        var to: EpochMillis
        var svg: HTML
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/gateways") { request, context in
            let settings = try await services.settings()
            let gateways = try await services.store.gateways()
            let customers = try await services.store.customers()
            return Pages.page("Gateways", context: context, active: "Gateways",
                              Views.gateways(gateways, customers: customers, now: services.nowMillis, settings: settings, flash: Pages.flash(try request.query)))
        }
        router.post("/gateways/assign") { _, context in
            try await assign(gateway: try context.form.required("gateway"), context: context)
        }
        router.get("/gateways/:id") { request, context in try await page(request, context) }
        router.get("/gateways/:id/chart.svg") { request, context in
            let gateway = try await load(context)
            let chart = try await chart(gateway: gateway.id, query: try request.query, zone: try await services.settings().timeZone)
            return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(string: chart.svg.markup)))
        }
        router.post("/gateways/:id/assign") { _, context in
            try await assign(gateway: try await load(context).id, context: context)
        }
        router.post("/gateways/:id/key") { _, context in
            let gateway = try await load(context)
            if context.form["action"] == "remove" {
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

    func load(_ context: AdminRequestContext) async throws -> GatewayInfo {
        let id = context.parameters.get("id") ?? ""
        guard let gateway = try await services.store.gateway(id: id) else { throw AdminError.notFound("no gateway '\(id)'") }
        return gateway
    }

    func assign(gateway: String, context: AdminRequestContext) async throws -> Response {
        let form = context.form
        var customer: Int64?
        if let text = form.text("customer"), text != "none" {
            guard let id = Int64(text) else { throw AdminError.badRequest("customer must be a customer id") }
            customer = id
        }
        let site = form.text("site")
        guard (site ?? "").count <= 200 else { throw AdminError.badRequest("site name is longer than 200 characters") }
        guard try await services.store.assign(gateway: gateway, customer: customer, site: site) else {
            throw AdminError.notFound("no such gateway or customer")
        }
        services.logger.info("gateway assigned", metadata: ["gateway": "\(gateway)", "customer.id": "\(customer.map(String.init) ?? "none")"])
        if form["return"] == "customer", let customer { return HTML.redirect("/customers/\(customer)?ok=Gateway+assigned") }
        return HTML.redirect("/gateways/\(gateway)?ok=Saved")
    }

    /// The chart for `?range=day|week|month&end=YYYY-MM-DD` (defaults: a day, today).
    func chart(gateway: String, query: FormData, zone: TimeZoneRules) async throws -> Chart {
        let rangeText = query.text("range") ?? "day"
        guard let range = Range(rawValue: rangeText) else { throw AdminError.badRequest("range must be day, week or month") }
        let now = services.nowMillis
        let endStart: EpochMillis
        if let endText = query.text("end") {
            guard let day = TimeFormat.parseDay(endText, in: zone) else { throw AdminError.badRequest("end must be a date YYYY-MM-DD") }
            endStart = day
        } else {
            endStart = TimeFormat.startOfDay(now, in: zone)
        }
        let to = TimeFormat.addDays(1, to: endStart, in: zone)
        let from = TimeFormat.addDays(1 - range.days, to: endStart, in: zone)
        let title = "Power of \(gateway), \(range.rawValue) ending \(TimeFormat.day(endStart, in: zone))"
        let svg: HTML
        if range == .day {
            let points = try await services.store.powerSeries(gateway: gateway, from: from, to: to)
            svg = SVGChart.power(points, from: from, to: to, zone: zone, title: title, gapMillis: 10 * 60_000)
        } else {
            let hours = try await services.store.hourly(gateway: gateway, from: from, to: to)
            let points = hours.map { (at: $0.hour + 1_800_000, power: $0.meanPower) }
            svg = SVGChart.power(points, from: from, to: to, zone: zone, title: title + " (hourly means)", gapMillis: 2 * 3_600_000)
        }
        return Chart(range: range, endDay: TimeFormat.day(endStart, in: zone), from: from, to: to, svg: svg)
    }

    func page(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let gateway = try await load(context)
        let settings = try await services.settings()
        let zone = settings.timeZone
        let query = try request.query
        let chart = try await chart(gateway: gateway.id, query: query, zone: zone)
        let now = services.nowMillis
        let sensors = try await services.store.latestReadings(gateway: gateway.id, since: now - 86_400_000)
        let barsFrom = TimeFormat.addDays(-30, to: chart.to, in: zone)
        let days = try await services.reports.daily(gateway: gateway.id, from: barsFrom, to: chart.to, zone: zone)
        let bars = SVGChart.energyBars(days, zone: zone, title: "Energy per day of \(gateway.id)")
        let customers = try await services.store.customers()
        return Pages.page("Gateway \(gateway.id)", context: context, active: "Gateways",
                          Views.gateway(gateway, customers: customers, sensors: sensors, chart: chart, bars: bars, settings: settings, now: now, context: context, flash: Pages.flash(query)))
    }
}
