import FoundationEssentials
import Hummingbird
import TenantStorage

/// The JSON API's gateway onboarding and limits routes (additions to admin-api.md).
struct GatewayOperationsAPI {
    let services: AdminServices
    var operations: GatewayOperations { GatewayOperations(services: services) }

    struct NewGatewayJSON: Decodable, Sendable {
        var gateway: String?
        var customer: Int64?
        var site: String?
        var credential: String?
    }

    struct RegisteredJSON: Encodable, Sendable {
        var gateway: String
        var customer: Int64?
        var site: String?
        var credential: String
        /// Only in this response: the key is stored as a slow hash.
        var key: String?

        /// Every field present, null when empty: a script can tell "no key" from a missing field.
        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case gateway, customer, site, credential, key }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(gateway, forKey: .gateway)
            try c.encode(customer, forKey: .customer)
            try c.encode(site, forKey: .site)
            try c.encode(credential, forKey: .credential)
            try c.encode(key, forKey: .key)
        }
    }

    struct RefusalJSON: Encodable, Sendable {
        var gateway: String
        var reason: String
        var attempts: Int
        var last_attempt: String

        init(_ r: GatewayRefusal) {
            gateway = r.gateway; reason = r.reason; attempts = r.attempts; last_attempt = TimeFormat.rfc3339(r.lastAttempt)
        }
    }

    struct RefusalsJSON: Encodable, Sendable {
        var refused: [RefusalJSON]
        var rate_limited: [RefusalJSON]
    }

    /// Numbers or null (no limit); the response also carries the store's figures.
    struct LimitsJSON: Codable, Sendable {
        var max_gateways: Int?
        var readings_per_second: Double?
        var readings_burst: Double?
        var retention_days: Int?
        var rollup_retention_days: Int?
        var store_size_bytes: Int64?
        var store_size_estimated: Bool?
        var oldest_reading: String?

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey {
                case max_gateways, readings_per_second, readings_burst, retention_days, rollup_retention_days, store_size_bytes, store_size_estimated, oldest_reading
            }
            var c = encoder.container(keyedBy: Keys.self)
            // Always present, null when unset: a script can tell "no limit" from a missing field.
            try c.encode(max_gateways, forKey: .max_gateways)
            try c.encode(readings_per_second, forKey: .readings_per_second)
            try c.encode(readings_burst, forKey: .readings_burst)
            try c.encode(retention_days, forKey: .retention_days)
            try c.encode(rollup_retention_days, forKey: .rollup_retention_days)
            try c.encode(store_size_bytes, forKey: .store_size_bytes)
            try c.encode(store_size_estimated, forKey: .store_size_estimated)
            try c.encode(oldest_reading, forKey: .oldest_reading)
        }
    }

    func register(on api: some RouterMethods<AdminRequestContext>) {
        api.post("/gateways") { request, context in
            let input: NewGatewayJSON = try await Self.body(request, example: #"{"gateway": "gw-1", "customer": 3, "site": "Barn", "credential": "key"}"#)
            guard let credential = GatewayCredential(rawValue: input.credential ?? "key") else {
                throw AdminError.badRequest("credential must be \"key\" or \"certificate\"")
            }
            let registered = try await operations.register(
                id: input.gateway ?? "", customer: input.customer, site: input.site, credential: credential, staff: context.staff)
            let g = registered.gateway
            return try JSONResponse.encode(
                RegisteredJSON(gateway: g.id, customer: g.customerID, site: g.site, credential: credential.rawValue, key: registered.key), status: .created)
        }
        api.post("/gateways/:id/disable") { _, context in
            try await operations.setDisabled(context.parameters.get("id") ?? "", true, staff: context.staff)
            return Response(status: .noContent)
        }
        api.post("/gateways/:id/enable") { _, context in
            try await operations.setDisabled(context.parameters.get("id") ?? "", false, staff: context.staff)
            return Response(status: .noContent)
        }
        api.delete("/gateways/:id") { request, context in
            try await operations.delete(context.parameters.get("id") ?? "", readings: try request.query.text("readings"), staff: context.staff)
            return Response(status: .noContent)
        }
        api.get("/refusals") { _, _ in
            let refusals = try await operations.refusals()
            return try JSONResponse.encode(RefusalsJSON(refused: refusals.refused.map(RefusalJSON.init), rate_limited: refusals.limited.map(RefusalJSON.init)))
        }
        api.get("/limits") { _, _ in try await limits() }
        api.put("/limits") { request, context in
            let input: LimitsJSON = try await Self.body(request, example: #"{"max_gateways": 500, "readings_per_second": 100, "readings_burst": 500, "retention_days": 365, "rollup_retention_days": null}"#)
            func text(_ value: Double?) -> String? { value.map { "\($0)" } }
            let limits = try GatewayOperations.limits(
                maxGateways: input.max_gateways.map(String.init), readingsPerSecond: text(input.readings_per_second), readingsBurst: text(input.readings_burst),
                retentionDays: input.retention_days.map(String.init), rollupRetentionDays: input.rollup_retention_days.map(String.init))
            try await operations.saveLimits(limits, staff: context.staff)
            return try await self.limits()
        }
    }

    func limits() async throws -> Response {
        let l = ProviderLimits(stored: try await services.store.settings())
        let statistics = try await services.store.storeStatistics()
        return try JSONResponse.encode(LimitsJSON(
            max_gateways: l.maxGateways, readings_per_second: l.readingsPerSecond, readings_burst: l.readingsBurst, retention_days: l.retentionDays,
            rollup_retention_days: l.rollupRetentionDays, store_size_bytes: statistics.sizeBytes,
            store_size_estimated: statistics.sizeIsEstimate, oldest_reading: statistics.oldestReading.map(TimeFormat.rfc3339)))
    }

    static func body<T: Decodable>(_ request: Request, example: String) async throws -> T {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 64 * 1024) } catch { throw AdminError(.contentTooLarge, "body too large (limit 64 KiB)") }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer: body)) } catch {
            throw AdminError.badRequest("body must be a JSON object like \(example)")
        }
    }
}
