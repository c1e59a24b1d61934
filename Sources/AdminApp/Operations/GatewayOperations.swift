import TenantAuth
import TenantStorage

/// Registration, disabling, deletion and limits, shared by the panel and the JSON API so
/// both validate and log the same way.
struct GatewayOperations {
    let services: AdminServices

    /// A new registration: the key is shown once (to the caller) and only its hash is stored.
    struct Registered: Sendable {
        var gateway: GatewayInfo
        var key: String?
    }

    /// The gateway id pattern of the gateway protocol: `[A-Za-z0-9._:-]{1,64}`.
    static func validID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x5F
                || byte == 0x3A || byte == 0x2D
        }
    }

    func register(id: String, customer: Int64?, site: String?, credential: GatewayCredential, staff: String?) async throws -> Registered {
        guard Self.validID(id) else { throw AdminError.badRequest("gateway id must be 1 to 64 characters of A-Z a-z 0-9 . _ : -") }
        guard (site ?? "").count <= 200 else { throw AdminError.badRequest("site name is longer than 200 characters") }
        var key: String?
        var hash: String?
        if credential == .key {
            key = SecretGenerator.token()
            hash = try await services.passwords.hash(key!)
        }
        let limits = ProviderLimits(stored: try await services.store.settings())
        let registration = GatewayRegistration(id: id, customerID: customer, site: site, credential: credential, keyHash: hash)
        switch try await services.store.register(registration, maxGateways: limits.maxGateways, at: services.nowMillis) {
        case .registered: break
        case .exists: throw AdminError(.conflict, "gateway '\(id)' exists already")
        case .unknownCustomer: throw AdminError.notFound("no customer \(customer.map(String.init) ?? "")")
        case .limitReached(let count):
            throw AdminError(.conflict, "the provider has \(count) gateways, its maximum (\(limits.maxGateways ?? 0)): raise the limit first")
        }
        services.logger.info("gateway registered", metadata: ["gateway": "\(id)", "gateway.credential": "\(credential.rawValue)", "staff": "\(staff ?? "")"])
        guard let gateway = try await services.store.gateway(id: id) else { throw AdminError.notFound("no gateway '\(id)'") }
        return Registered(gateway: gateway, key: key)
    }

    func setDisabled(_ id: String, _ disabled: Bool, staff: String?) async throws {
        guard try await services.store.setDisabled(gateway: id, disabled) else { throw AdminError.notFound("no gateway '\(id)'") }
        services.logger.info(disabled ? "gateway disabled" : "gateway enabled", metadata: ["gateway": "\(id)", "staff": "\(staff ?? "")"])
    }

    /// `readings` must say what happens to the readings: `keep` or `purge`; nothing is assumed.
    func delete(_ id: String, readings: String?, staff: String?) async throws {
        let purge: Bool
        switch readings {
        case "keep": purge = false
        case "purge": purge = true
        default: throw AdminError.badRequest("say what happens to the gateway's readings: readings=keep or readings=purge")
        }
        guard try await services.store.deleteGateway(id, purgeReadings: purge) else { throw AdminError.notFound("no gateway '\(id)'") }
        services.logger.info("gateway deleted", metadata: ["gateway": "\(id)", "gateway.readings": "\(purge ? "purged" : "kept")", "staff": "\(staff ?? "")"])
    }

    /// Refused and rate-limited gateways of the last `days` days, newest first.
    func refusals(days: Int = 7, limit: Int = 50) async throws -> (refused: [GatewayRefusal], limited: [GatewayRefusal]) {
        let since = services.nowMillis - Int64(days) * 86_400_000
        async let refused = services.store.refusals(kind: .refused, since: since, limit: limit)
        async let limited = services.store.refusals(kind: .rateLimited, since: since, limit: limit)
        return (try await refused, try await limited)
    }

    /// Checks limits given as text (form fields or JSON numbers as text); empty or 0 means none.
    static func limits(
        maxGateways: String?, readingsPerSecond: String?, readingsBurst: String?, retentionDays: String?, rollupRetentionDays: String?
    ) throws(AdminError) -> ProviderLimits {
        func whole(_ text: String?, _ name: String, max: Int) throws(AdminError) -> Int? {
            guard let text, !text.isEmpty else { return nil }
            guard let value = Int(text), (0...max).contains(value) else { throw .badRequest("\(name) must be a whole number from 0 to \(max) (0: no limit)") }
            return value == 0 ? nil : value
        }
        func rate(_ text: String?, _ name: String) throws(AdminError) -> Double? {
            guard let text, !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite, value >= 0, value <= 1_000_000 else {
                throw .badRequest("\(name) must be a number from 0 to 1000000 (0: no limit)")
            }
            return value == 0 ? nil : value
        }
        let limits = ProviderLimits(
            maxGateways: try whole(maxGateways, "maximum gateways", max: 1_000_000),
            readingsPerSecond: try rate(readingsPerSecond, "readings per second"),
            readingsBurst: try rate(readingsBurst, "burst"),
            retentionDays: try whole(retentionDays, "retention days", max: 36_500),
            rollupRetentionDays: try whole(rollupRetentionDays, "rollup retention days", max: 36_500))
        if limits.readingsBurst != nil && limits.readingsPerSecond == nil { throw .badRequest("a burst needs a readings rate") }
        if let raw = limits.retentionDays, let rollups = limits.rollupRetentionDays, rollups < raw {
            throw .badRequest("hourly rollups are made from raw readings: keep them at least as long (\(raw) days)")
        }
        return limits
    }

    func saveLimits(_ limits: ProviderLimits, staff: String?) async throws {
        try await services.store.setSettings(limits.stored)
        services.logger.info("limits changed", metadata: [
            "staff": "\(staff ?? "")", "limits.max_gateways": "\(limits.maxGateways.map(String.init) ?? "none")",
            "limits.readings_per_second": "\(limits.readingsPerSecond.map { "\($0)" } ?? "none")",
            "limits.retention_days": "\(limits.retentionDays.map(String.init) ?? "forever")",
            "limits.rollup_retention_days": "\(limits.rollupRetentionDays.map(String.init) ?? "forever")",
        ])
    }
}
