import FoundationEssentials
import Hummingbird
import TenantStorage

/// The JSON API under `/api/v1/` (see docs/admin.md). Times are RFC 3339 UTC, power W, energy Wh.
struct APIController {
    let services: AdminServices
    /// The longest range one readings request may span.
    static let maxReadingsSpan: Int64 = 31 * 86_400_000

    struct GatewayJSON: Codable, Sendable {
        var gateway: String
        var customer: Int64?
        var site: String?
        var first_seen: String
        var last_seen: String
        var online: Bool

        /// `customer` and `site` are always present (null while unassigned), as the contract lists them.
        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case gateway, customer, site, first_seen, last_seen, online }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(gateway, forKey: .gateway)
            if let customer { try c.encode(customer, forKey: .customer) } else { try c.encodeNil(forKey: .customer) }
            if let site { try c.encode(site, forKey: .site) } else { try c.encodeNil(forKey: .site) }
            try c.encode(first_seen, forKey: .first_seen)
            try c.encode(last_seen, forKey: .last_seen)
            try c.encode(online, forKey: .online)
        }
    }

    struct ReadingJSON: Codable, Sendable {
        var sensor: String
        var at: String
        var power: Double
        var energy: Double?
        var voltage: Double?
        var current: Double?
        var temperature: Double?
    }

    struct CustomerJSON: Codable, Sendable {
        var id: Int64
        var name: String
        var email: String?
        var address: String?
        var recipients: [String]
        var created_at: String

        init(_ c: Customer) {
            id = c.id; name = c.name; email = c.email; address = c.address; recipients = c.recipients
            created_at = TimeFormat.rfc3339(c.createdAt)
        }
    }

    struct NewCustomerJSON: Decodable, Sendable {
        var name: String?
        var email: String?
        var address: String?
        var recipients: [String]?
    }

    struct EnergyJSON: Codable, Sendable {
        var gateway: String
        var customer: Int64?
        var day: String
        var from: String
        var to: String
        var energy_wh: Double
        var peak_w: Double
    }

    func register(on api: some RouterMethods<AdminRequestContext>) {
        api.get("/gateways") { _, _ in
            let now = services.nowMillis
            let threshold = try await services.settings().offlineThresholdMillis
            return try JSONResponse.encode(try await services.store.gateways().map { g in
                GatewayJSON(gateway: g.id, customer: g.customerID, site: g.site, first_seen: TimeFormat.rfc3339(g.firstSeen),
                            last_seen: TimeFormat.rfc3339(g.lastSeen), online: now - g.lastSeen <= threshold)
            })
        }
        api.get("/gateways/:id/readings") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard try await services.store.gateway(id: id) != nil else { throw AdminError.notFound("unknown gateway '\(id)'") }
            let query = try request.query
            let from = try Self.instant(query, "from"), to = try Self.instant(query, "to")
            guard from < to else { throw AdminError.badRequest("from must be before to") }
            guard to - from <= Self.maxReadingsSpan else { throw AdminError.badRequest("a readings request spans at most 31 days") }
            return try JSONResponse.encode(try await services.readings.readings(gateway: id, from: from, to: to).map { r in
                ReadingJSON(sensor: r.sensor, at: TimeFormat.rfc3339(r.at), power: r.power, energy: r.energy, voltage: r.voltage, current: r.current, temperature: r.temperature)
            })
        }
        api.get("/customers") { _, _ in
            try JSONResponse.encode(try await services.store.customers().map(CustomerJSON.init))
        }
        api.post("/customers") { request, context in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: 64 * 1024) } catch { throw AdminError(.contentTooLarge, "body too large (limit 64 KiB)") }
            let input: NewCustomerJSON
            do { input = try JSONDecoder().decode(NewCustomerJSON.self, from: Data(buffer: body)) } catch {
                throw AdminError.badRequest("body must be a JSON object {\"name\": ..., \"email\": ..., \"address\": ..., \"recipients\": [...]}")
            }
            let draft = try CustomersController.draft(name: input.name, email: input.email, address: input.address, recipients: input.recipients ?? [])
            let customer = try await CustomersController.create(draft, services: services)
            services.logger.info("customer created via API", metadata: ["customer.id": "\(customer.id)", "staff": "\(context.staff ?? "")"])
            return try JSONResponse.encode(CustomerJSON(customer), status: .created)
        }
        api.get("/reports/energy") { request, _ in try await energy(try request.query) }
        api.get("/**") { _, _ in JSONResponse.error(.notFound, "no such API route") }
    }

    static func instant(_ query: FormData, _ name: String) throws(AdminError) -> EpochMillis {
        guard let text = query.text(name) else { throw .badRequest("\(name) is required (RFC 3339, e.g. 2026-11-24T00:00:00Z)") }
        guard let value = TimeFormat.parseRFC3339(text) else { throw .badRequest("\(name) is not an RFC 3339 timestamp: '\(text)'") }
        return value
    }

    /// Energy per gateway per provider-local day covering `[from, to)`.
    func energy(_ query: FormData) async throws -> Response {
        let zone = try await services.settings().timeZone
        let from = try Self.instant(query, "from"), to = try Self.instant(query, "to")
        guard from < to else { throw AdminError.badRequest("from must be before to") }
        let firstDay = TimeFormat.startOfDay(from, in: zone)
        var end = TimeFormat.startOfDay(to, in: zone)
        if end < to { end = TimeFormat.addDays(1, to: end, in: zone) }
        guard end - firstDay <= Int64(ReportService.maxDays) * 86_400_000 + 3_600_000 else {
            throw AdminError.badRequest("a report covers at most \(ReportService.maxDays) days")
        }
        var gateways = try await services.store.gateways()
        if let text = query.text("customer") {
            guard let id = Int64(text) else { throw AdminError.badRequest("customer must be a customer id (a number)") }
            guard try await services.store.customer(id: id) != nil else { throw AdminError.notFound("unknown customer \(id)") }
            gateways = gateways.filter { $0.customerID == id }
        }
        var rows: [EnergyJSON] = []
        for gateway in gateways {
            for day in try await services.reports.daily(gateway: gateway.id, from: firstDay, to: end, zone: zone) {
                rows.append(EnergyJSON(
                    gateway: gateway.id, customer: gateway.customerID, day: day.day, from: TimeFormat.rfc3339(day.dayStart),
                    to: TimeFormat.rfc3339(TimeFormat.addDays(1, to: day.dayStart, in: zone)),
                    energy_wh: (day.energy * 10).rounded() / 10, peak_w: (day.peakPower * 10).rounded() / 10))
            }
        }
        return try JSONResponse.encode(rows)
    }
}
