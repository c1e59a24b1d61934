import FoundationEssentials
import Hummingbird
import TenantStorage
import TextFormat

/// Customers: list, create, edit, delete, their gateways and sites.
struct CustomersController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/customers") { request, context in
            let customers = try await services.store.customers()
            let gateways = try await services.store.gateways()
            return Pages.page("Customers", context: context, active: "Customers", Views.customers(customers, gateways: gateways, context: context, flash: Pages.flash(try request.query)))
        }
        router.post("/customers") { _, context in
            let customer = try await services.store.createCustomer(try Self.draft(context.form), at: services.nowMillis)
            services.logger.info("customer created", metadata: ["customer.id": "\(customer.id)"])
            return HTML.redirect("/customers/\(customer.id)?ok=Customer+created")
        }
        router.get("/customers/:id") { request, context in
            let customer = try await load(context)
            let all = try await services.store.gateways()
            return Pages.page(customer.name, context: context, active: "Customers",
                              Views.customer(customer, gateways: all, context: context, now: services.nowMillis, threshold: try await services.settings().offlineThresholdMillis, flash: Pages.flash(try request.query)))
        }
        router.post("/customers/:id") { _, context in
            let customer = try await load(context)
            guard try await services.store.updateCustomer(id: customer.id, try Self.draft(context.form)) else { throw AdminError.notFound("no customer \(customer.id)") }
            return HTML.redirect("/customers/\(customer.id)?ok=Saved")
        }
        router.post("/customers/:id/delete") { _, context in
            let customer = try await load(context)
            _ = try await services.store.deleteCustomer(id: customer.id)
            services.logger.info("customer deleted", metadata: ["customer.id": "\(customer.id)"])
            return HTML.redirect("/customers?ok=Customer+deleted")
        }
    }

    func load(_ context: AdminRequestContext) async throws -> Customer {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.badRequest("a customer id is a number") }
        guard let customer = try await services.store.customer(id: id) else { throw AdminError.notFound("no customer \(id)") }
        return customer
    }

    /// Validates the customer form (also used by the JSON API).
    static func draft(name: String?, email: String?, address: String?, recipients: [String]) throws(AdminError) -> CustomerDraft {
        guard let name = name?.trimmed, !name.isEmpty else { throw .badRequest("name is required") }
        guard name.count <= 200 else { throw .badRequest("name is longer than 200 characters") }
        let email = email?.trimmed
        if let email, !email.isEmpty, !AdminSettings.isAddress(email) { throw .badRequest("'\(email)' is not a mail address") }
        if let bad = recipients.first(where: { !AdminSettings.isAddress($0) }) { throw .badRequest("recipient '\(bad)' is not a mail address") }
        guard (address ?? "").count <= 1000 else { throw .badRequest("address is longer than 1000 characters") }
        return CustomerDraft(name: name, email: email?.isEmpty == false ? email : nil, address: address?.isEmpty == false ? address : nil, recipients: recipients)
    }

    static func draft(_ form: FormData) throws(AdminError) -> CustomerDraft {
        try draft(name: form["name"], email: form["email"], address: form.text("address"), recipients: AdminSettings.addresses(form["recipients"] ?? ""))
    }
}
