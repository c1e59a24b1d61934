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

extension Views {
    static func customerFields(_ c: Customer?) -> String {
        """
        <label>Name <input name="name" value="\(h(c?.name ?? ""))" required maxlength="200"></label>
        <label>Contact e-mail <input name="email" type="email" value="\(h(c?.email ?? ""))"></label>
        <label>Address <textarea name="address" rows="2">\(h(c?.address ?? ""))</textarea></label>
        <label>Report and alert recipients <span>addresses separated by commas</span><input name="recipients" value="\(h(c?.recipients.joined(separator: ", ") ?? ""))"></label>
        """
    }

    static func customers(_ customers: [Customer], gateways: [GatewayInfo], context: AdminRequestContext, flash: String) -> String {
        var html = flash + "<table id=\"customers\"><tr><th>Name</th><th>Contact</th><th class=\"num\">Gateways</th><th>Sites</th></tr>"
        for c in customers {
            let own = gateways.filter { $0.customerID == c.id }
            let sites = Set(own.compactMap(\.site)).sorted().joined(separator: ", ")
            html += "<tr><td><a href=\"/customers/\(c.id)\">\(h(c.name))</a></td><td>\(h(c.email ?? ""))</td><td class=\"num\">\(own.count)</td><td>\(h(sites))</td></tr>"
        }
        if customers.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No customers yet.</td></tr>" }
        html += "</table><h2>New customer</h2><form method=\"post\" action=\"/customers\" class=\"stack\">\(Pages.csrfField(context))\(customerFields(nil))<button>Create customer</button></form>"
        return html
    }

    static func customer(_ c: Customer, gateways: [GatewayInfo], context: AdminRequestContext, now: Int64, threshold: Int64, flash: String) -> String {
        let own = gateways.filter { $0.customerID == c.id }
        let sites = Set(own.compactMap(\.site)).sorted()
        var html = flash + "<h2>Sites</h2><p>\(sites.isEmpty ? "<span class=\"muted\">No sites named yet.</span>" : sites.map(h).joined(separator: ", "))</p>"
        html += "<h2>Gateways</h2><table id=\"customer-gateways\"><tr><th>Gateway</th><th>Site</th><th>State</th><th>Last seen</th></tr>"
        for g in own {
            let online = now - g.lastSeen <= threshold
            html += "<tr><td><a href=\"/gateways/\(h(g.id))\">\(h(g.id))</a></td><td>\(h(g.site ?? ""))</td><td class=\"\(online ? "online" : "offline")\">\(online ? "online" : "offline")</td><td>\(h(TimeFormat.ago(g.lastSeen, now: now)))</td></tr>"
        }
        if own.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No gateways assigned.</td></tr>" }
        html += "</table>"
        let unassigned = gateways.filter { $0.customerID == nil }
        if !unassigned.isEmpty {
            html += "<h2>Assign a gateway</h2><form method=\"post\" class=\"row\" id=\"assign-form\" action=\"/gateways/assign\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"customer\" value=\"\(c.id)\"><input type=\"hidden\" name=\"return\" value=\"customer\">"
            html += "<label>Gateway <select name=\"gateway\">" + unassigned.map { "<option>\(h($0.id))</option>" }.joined() + "</select></label>"
            html += "<label>Site <input name=\"site\"></label><button>Assign</button></form>"
        }
        html += "<p><a href=\"/reports?customer=\(c.id)\">Power report for this customer</a></p>"
        html += "<h2>Edit</h2><form method=\"post\" action=\"/customers/\(c.id)\" class=\"stack\">\(Pages.csrfField(context))\(customerFields(c))<button>Save</button></form>"
        html += "<h2>Delete</h2><form method=\"post\" action=\"/customers/\(c.id)/delete\">\(Pages.csrfField(context))<p class=\"muted\">Its gateways become unassigned; readings are kept.</p><button class=\"danger\">Delete customer</button></form>"
        return html
    }
}
