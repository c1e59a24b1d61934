import FoundationEssentials
import Hummingbird
import TenantStorage
import TextFormat

/// Customers: list, create, edit, delete, their gateways and sites.
struct CustomersController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/customers") { request, context in
            try await listPage(context, flash: Pages.flash(try request.query), form: .fresh)
        }
        router.post("/customers") { _, context in
            try await FormPost.handle(context) {
                let customer = try await Self.create(try Self.draft(context.form), services: services)
                services.logger.info("customer created", metadata: ["customer.id": "\(customer.id)"])
                return HTML.redirect("/customers/\(customer.id)?ok=Customer+created")
            } rerender: { state in
                try await listPage(context, flash: HTML(), form: state)
            }
        }
        router.get("/customers/:id") { request, context in
            try await customerPage(try await load(context), context, flash: Pages.flash(try request.query), edit: .fresh)
        }
        router.post("/customers/:id") { _, context in
            let customer = try await load(context)
            return try await FormPost.handle(context) {
                try await Self.update(customer.id, try Self.draft(context.form), services: services)
                return HTML.redirect("/customers/\(customer.id)?ok=Saved")
            } rerender: { state in
                try await customerPage(customer, context, flash: HTML(), edit: state)
            }
        }
        // Without `confirm=yes` (the button on the customer page) the post shows what would
        // happen and asks again: a second, explicit step that needs no JavaScript.
        router.post("/customers/:id/delete") { _, context in
            let customer = try await load(context)
            guard context.form["confirm"] == "yes" else {
                let own = try await services.store.gateways().filter { $0.customerID == customer.id }.count
                return Pages.page("Delete customer \(customer.name)?", context: context, active: "Customers",
                                  Views.confirm(
                                      question: "Delete the customer \(customer.name)? Its \(own) gateway(s) become unassigned; readings are kept. This cannot be undone.",
                                      action: "/customers/\(customer.id)/delete", button: "Delete customer", cancel: "/customers/\(customer.id)", context: context))
            }
            _ = try await services.store.deleteCustomer(id: customer.id)
            services.logger.info("customer deleted", metadata: ["customer.id": "\(customer.id)"])
            return HTML.redirect("/customers?ok=Customer+deleted")
        }
    }

    func listPage(_ context: AdminRequestContext, flash: HTML, form: FormState) async throws -> Response {
        let customers = try await services.store.customers()
        let gateways = try await services.store.gateways()
        return Pages.page("Customers", context: context, active: "Customers", Views.customers(customers, gateways: gateways, context: context, flash: flash, form: form))
    }

    func customerPage(_ customer: Customer, _ context: AdminRequestContext, flash: HTML, edit: FormState, assign: FormState = .fresh) async throws -> Response {
        let all = try await services.store.gateways()
        let settings = try await services.settings()
        let alarms = try await services.store.alarms(matching: AlarmFilter(customerID: customer.id), offset: 0, limit: 10)
        return Pages.page(customer.name, context: context, active: "Customers",
                          Views.customer(customer, gateways: all, context: context, now: services.nowMillis, settings: settings, flash: flash, edit: edit, assign: assign,
                                         alarms: Views.alarmSummary(alarms.alarms, total: alarms.total, link: "/alarms?customer=\(customer.id)", context: context)))
    }

    func load(_ context: AdminRequestContext) async throws -> Customer {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.badRequest("a customer id is a number") }
        guard let customer = try await services.store.customer(id: id) else { throw AdminError.notFound("no customer \(id)") }
        return customer
    }

    /// A new customer (panel and JSON API), unless its name is taken.
    static func create(_ draft: CustomerDraft, services: AdminServices) async throws -> Customer {
        try await services.nameChanges.run {
            try await refuseDuplicate(draft.name, except: nil, store: services.store)
            return try await services.store.createCustomer(draft, at: services.nowMillis)
        }
    }

    /// Saves customer `id`, unless its new name is another customer's.
    static func update(_ id: Int64, _ draft: CustomerDraft, services: AdminServices) async throws {
        try await services.nameChanges.run {
            try await refuseDuplicate(draft.name, except: id, store: services.store)
            guard try await services.store.updateCustomer(id: id, draft) else { throw AdminError.notFound("no customer \(id)") }
        }
    }

    /// Two customers whose names differ only in case or surrounding spaces would be told
    /// apart by nobody reading a report list: refused with 409. Call it inside
    /// `services.nameChanges` with the save it guards.
    private static func refuseDuplicate(_ name: String, except id: Int64?, store: any CustomerStore) async throws {
        let key = name.trimmed.lowercased()
        if let other = try await store.customers().first(where: { $0.id != id && $0.name.trimmed.lowercased() == key }) {
            throw AdminError(.conflict, "a customer named '\(other.name)' exists already", field: "name")
        }
    }

    /// Validates the customer form (also used by the JSON API).
    static func draft(name: String?, email: String?, address: String?, recipients: [String]) throws(AdminError) -> CustomerDraft {
        guard let name = name?.trimmed, !name.isEmpty else { throw .badRequest("name is required", field: "name") }
        guard name.count <= 200 else { throw .badRequest("name is longer than 200 characters", field: "name") }
        let email = email?.trimmed
        if let email, !email.isEmpty, !AdminSettings.isAddress(email) { throw .badRequest("'\(email)' is not a mail address", field: "email") }
        if let bad = recipients.first(where: { !AdminSettings.isAddress($0) }) { throw .badRequest("recipient '\(bad)' is not a mail address", field: "recipients") }
        guard (address ?? "").count <= 1000 else { throw .badRequest("address is longer than 1000 characters", field: "address") }
        return CustomerDraft(name: name, email: email?.isEmpty == false ? email : nil, address: address?.isEmpty == false ? address : nil, recipients: recipients)
    }

    static func draft(_ form: FormData) throws(AdminError) -> CustomerDraft {
        try draft(name: form["name"], email: form["email"], address: form.text("address"), recipients: AdminSettings.addresses(form["recipients"] ?? ""))
    }
}
