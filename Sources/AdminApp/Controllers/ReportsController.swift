import FoundationEssentials
import Hummingbird
import TenantStorage
import TenantTime
import TextFormat

/// Power reports per gateway or per customer for a date range, as a page or CSV.
struct ReportsController {
    let services: AdminServices

    struct Row: Sendable {
        var gateway: String
        var customer: String
        var day: DayReport
    }

    struct Scope: Sendable {
        var title: String
        var gateways: [GatewayInfo]
        var customerNames: [Int64: String]
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/reports") { request, context in try await report(request, context) }
    }

    /// Parses `from`/`to` local dates (both inclusive) into `[from, to)` day starts.
    static func dateRange(_ query: FormData, zone: TimeZoneRules, now: EpochMillis) throws(AdminError) -> (from: EpochMillis, to: EpochMillis) {
        let today = TimeFormat.startOfDay(now, in: zone)
        var from = TimeFormat.addDays(-7, to: today, in: zone)
        var last = TimeFormat.addDays(-1, to: today, in: zone)
        if let text = query.text("from") {
            guard let day = TimeFormat.parseDay(text, in: zone) else { throw .badRequest("from must be a date YYYY-MM-DD", field: "from") }
            from = day
        }
        if let text = query.text("to") {
            guard let day = TimeFormat.parseDay(text, in: zone) else { throw .badRequest("to must be a date YYYY-MM-DD", field: "to") }
            last = day
        }
        guard from <= last else { throw .badRequest("from must not be after to", field: "to") }
        let to = TimeFormat.addDays(1, to: last, in: zone)
        guard to - from <= Int64(ReportService.maxDays) * 86_400_000 + 3_600_000 else { throw .badRequest("a report covers at most \(ReportService.maxDays) days", field: "from") }
        return (from, to)
    }

    /// What the report covers: one gateway, one customer's gateways, or with `scope=all`
    /// every gateway of the provider (the fleet report); nil shows only the form.
    func scope(_ query: FormData, customers: [Customer], gateways: [GatewayInfo]) async throws -> Scope? {
        let names = Dictionary(customers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        if let id = query.text("gateway") {
            guard let gateway = gateways.first(where: { $0.id == id }) else { throw AdminError(.notFound, "no gateway '\(id)'", field: "gateway") }
            return Scope(title: "Gateway \(id)", gateways: [gateway], customerNames: names)
        }
        if let text = query.text("customer") {
            guard let id = Int64(text) else { throw AdminError.badRequest("customer must be a customer id", field: "customer") }
            guard let customer = customers.first(where: { $0.id == id }) else { throw AdminError(.notFound, "no customer \(id)", field: "customer") }
            return Scope(title: "Customer \(customer.name)", gateways: gateways.filter { $0.customerID == id }, customerNames: names)
        }
        if query.text("scope") == "all" {
            return Scope(title: "All gateways", gateways: gateways, customerNames: names)
        }
        return nil
    }

    func report(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let query = try request.query
        let settings = try await services.settings()
        let zone = settings.timeZone
        let customers = try await services.store.customers()
        let gateways = try await services.store.gateways()
        let format = query.text("format") ?? "html"
        let from: EpochMillis, to: EpochMillis
        let scope: Scope?
        do {
            guard format == "html" || format == "csv" else { throw AdminError.badRequest("format must be html or csv", field: "format") }
            let range = try Self.dateRange(query, zone: zone, now: services.nowMillis)
            from = range.from
            to = range.to
            scope = try await self.scope(query, customers: customers, gateways: gateways)
        } catch let error as AdminError where error.isInputProblem || error.field != nil {
            // The form again, as typed, with the message next to the field.
            let state = FormState(values: query, error: error)
            var response = Pages.page("Reports", context: context, active: "Reports",
                                      Views.reportForm(customers: customers, gateways: gateways, form: state, from: nil, to: nil, zone: zone))
            response.status = .unprocessableContent
            return response
        }
        guard let scope else {
            return Pages.page("Reports", context: context, active: "Reports", Views.reportForm(customers: customers, gateways: gateways, form: FormState(values: query), from: from, to: to, zone: zone))
        }
        var rows: [Row] = []
        for gateway in scope.gateways {
            let customer = gateway.customerID.flatMap { scope.customerNames[$0] } ?? ""
            for day in try await services.reports.daily(gateway: gateway.id, from: from, to: to, zone: zone) {
                rows.append(Row(gateway: gateway.id, customer: customer, day: day))
            }
        }
        if format == "csv" {
            // A byte order mark first: spreadsheet programs then read the file as UTF-8
            // (customer names with umlauts), not as the system's legacy code page.
            var csv = "\u{FEFF}gateway,customer,day,energy_wh,peak_w\r\n"
            for row in rows {
                csv += [Self.csvField(row.gateway), Self.csvField(row.customer), row.day.day, fixed(row.day.energy, 1), fixed(row.day.peakPower, 1)].joined(separator: ",") + "\r\n"
            }
            let name = "report-\(TimeFormat.day(from, in: zone))-\(TimeFormat.day(to - 1, in: zone)).csv"
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
                body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        return Pages.page("Report: \(scope.title)", context: context, active: "Reports",
                          Views.reportForm(customers: customers, gateways: gateways, form: FormState(values: query), from: from, to: to, zone: zone) + Views.reportTable(rows, query: query))
    }

    /// Quotes a CSV field; a leading =, +, - or @ is neutralised so spreadsheets do not run it.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
        if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "'" }) {
            return "\"" + value.replacing("\"", with: "\"\"") + "\""
        }
        return value
    }
}
