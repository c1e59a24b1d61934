import FoundationEssentials
import Hummingbird
import TenantStorage

/// Panel pages for gateway onboarding and limits: register a gateway before its first
/// contact, disable or delete one, and the provider's limits and retention (`/limits`).
struct GatewayOperationsController {
    let services: AdminServices
    var operations: GatewayOperations { GatewayOperations(services: services) }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/gateways/new") { request, context in
            let query = try request.query
            let customers = try await services.store.customers()
            return Pages.page("Register a gateway", context: context, active: "Gateways",
                              Views.registerGateway(id: query.text("id") ?? "", customers: customers, context: context, flash: Pages.flash(query)))
        }
        router.post("/gateways/new") { _, context in
            let form = context.form
            var customer: Int64?
            if let text = form.text("customer"), text != "none" {
                guard let id = Int64(text) else { throw AdminError.badRequest("customer must be a customer id") }
                customer = id
            }
            guard let credential = GatewayCredential(rawValue: form.text("credential") ?? "") else {
                throw AdminError.badRequest("credential must be key or certificate")
            }
            let registered = try await operations.register(
                id: try form.required("gateway", label: "gateway id"), customer: customer, site: form.text("site"), credential: credential, staff: context.staff)
            guard let key = registered.key else {
                return HTML.redirect("/gateways/\(registered.gateway.id)?ok=Registered:+it+must+present+a+client+certificate+naming+it")
            }
            return Pages.page("Gateway key", context: context, active: "Gateways", Views.gatewayKey(registered.gateway.id, key: key))
        }
        router.post("/gateways/:id/disable") { _, context in
            let id = context.parameters.get("id") ?? ""
            let disable = context.form["action"] != "enable"
            try await operations.setDisabled(id, disable, staff: context.staff)
            return HTML.redirect("/gateways/\(id)?ok=\(disable ? "Gateway+disabled:+its+reports+are+refused" : "Gateway+enabled")")
        }
        router.get("/gateways/:id/delete") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let gateway = try await services.store.gateway(id: id) else { throw AdminError.notFound("no gateway '\(id)'") }
            return Pages.page("Delete gateway \(gateway.id)", context: context, active: "Gateways", Views.deleteGateway(gateway, context: context))
        }
        router.post("/gateways/:id/delete") { _, context in
            let id = context.parameters.get("id") ?? ""
            try await operations.delete(id, readings: context.form.text("readings"), staff: context.staff)
            return HTML.redirect("/gateways?ok=Gateway+deleted")
        }
        router.get("/limits") { request, context in
            let limits = ProviderLimits(stored: try await services.store.settings())
            async let statistics = services.store.storeStatistics()
            async let count = services.store.gateways().count
            let refusals = try await operations.refusals()
            let zone = try await services.settings().timeZone
            return Pages.page("Limits and retention", context: context, active: "Limits",
                              Views.limits(limits, statistics: try await statistics, gateways: try await count, limited: refusals.limited, zone: zone, now: services.nowMillis,
                                           context: context, flash: Pages.flash(try request.query)))
        }
        router.post("/limits") { _, context in
            let form = context.form
            let limits = try GatewayOperations.limits(
                maxGateways: form.text("max_gateways"), readingsPerSecond: form.text("readings_per_second"), readingsBurst: form.text("readings_burst"),
                retentionDays: form.text("retention_days"), rollupRetentionDays: form.text("rollup_retention_days"))
            try await operations.saveLimits(limits, staff: context.staff)
            return HTML.redirect("/limits?ok=Limits+saved:+tenant-ingest+applies+them+within+seconds")
        }
    }
}
