import TenantStorage
import TenantTime
import TextFormat

extension Views {
    static let customerFieldNames = ["name", "email", "address", "recipients"]

    static func customerFields(_ c: Customer?, form: FormState) -> HTML {
        form.general(fields: customerFieldNames)
            + form.input("name", "Name", stored: c?.name ?? "", attributes: " required maxlength=\"200\"")
            + form.input("email", "Contact e-mail", stored: c?.email ?? "", attributes: " type=\"email\"")
            + "<label>Address <textarea name=\"address\" rows=\"2\"\(form.invalid("address"))>\(form.value("address", c?.address ?? ""))</textarea>\(form.problem("address"))</label>"
            + form.input("recipients", "Report and alert recipients", hint: "addresses separated by commas", stored: c?.recipients.joined(separator: ", ") ?? "")
    }

    static func customers(_ customers: [Customer], gateways: [GatewayInfo], context: AdminRequestContext, flash: HTML, form: FormState) -> HTML {
        var html: HTML = flash + "<div class=\"scroll\"><table id=\"customers\"><tr><th>Name</th><th>Contact</th><th class=\"num\">Gateways</th><th>Sites</th></tr>"
        for c in customers {
            let own = gateways.filter { $0.customerID == c.id }
            let sites = Set(own.compactMap(\.site)).sorted().joined(separator: ", ")
            html += "<tr><td><a href=\"/customers/\(c.id)\">\(c.name)</a></td><td>\(c.email ?? "")</td><td class=\"num\">\(own.count)</td><td>\(sites)</td></tr>"
        }
        if customers.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No customers yet.</td></tr>" }
        html += "</table></div>"
        html += Pages.changing(context, "<h2 id=\"new-customer\">New customer</h2><form method=\"post\" action=\"/customers\" class=\"stack\" id=\"customer-form\">\(Pages.csrfField(context))\(customerFields(nil, form: form))<button>Create customer</button></form>")
        return html
    }

    static func customer(
        _ c: Customer, gateways: [GatewayInfo], context: AdminRequestContext, now: Int64, settings: AdminSettings, flash: HTML, edit: FormState, assign: FormState,
        alarms: HTML = HTML()
    ) -> HTML {
        let own = gateways.filter { $0.customerID == c.id }
        let sites = Set(own.compactMap(\.site)).sorted()
        var html: HTML = flash + "<h2>Sites</h2><p>\(sites.isEmpty ? "<span class=\"muted\">No sites named yet.</span>" as HTML : "\(sites.joined(separator: ", "))")</p>"
        html += alarms
        html += "<h2>Gateways</h2><div class=\"scroll\"><table id=\"customer-gateways\"><tr><th>Gateway</th><th>Site</th><th>State</th><th>Last seen</th></tr>"
        for g in own {
            let online = now - g.lastSeen <= settings.offlineThresholdMillis
            html += "<tr><td><a href=\"/gateways/\(g.id)\">\(g.id)</a></td><td>\(g.site ?? "")</td><td class=\"\(online ? "online" : "offline")\">\(online ? "online" : "offline")</td><td>\(TimeFormat.stamp(g.lastSeen, in: settings.timeZone)) (\(TimeFormat.ago(g.lastSeen, now: now)))</td></tr>"
        }
        if own.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No gateways assigned.</td></tr>" }
        html += "</table></div>"
        let unassigned = gateways.filter { $0.customerID == nil }
        if !unassigned.isEmpty && context.canChange {
            let chosen = assign.value("gateway", "")
            html += "<h2>Assign a gateway</h2>" + assign.general(fields: ["gateway", "site"])
            html += "<form method=\"post\" class=\"row\" id=\"assign-form\" action=\"/gateways/assign\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"customer\" value=\"\(c.id)\"><input type=\"hidden\" name=\"return\" value=\"customer\">"
            html += "<label>Gateway <select name=\"gateway\"\(assign.invalid("gateway"))>" + unassigned.map { gateway -> HTML in "<option\(gateway.id == chosen ? " selected" : "")>\(gateway.id)</option>" }.joined() + "</select>\(assign.problem("gateway"))</label>"
            html += assign.input("site", "Site", stored: "", attributes: " maxlength=\"200\"") + "<button>Assign</button></form>"
        }
        html += "<p><a href=\"/reports?customer=\(c.id)\">Power report for this customer</a></p>"
        guard context.canChange else { return html }
        html += "<h2 id=\"edit\">Edit</h2><form method=\"post\" action=\"/customers/\(c.id)\" class=\"stack\" id=\"customer-form\">\(Pages.csrfField(context))\(customerFields(c, form: edit))<button>Save</button></form>"
        html += "<h2>Delete</h2><form method=\"post\" action=\"/customers/\(c.id)/delete\" id=\"delete-customer\">\(Pages.csrfField(context))<p class=\"muted\">Its gateways become unassigned; readings are kept. You are asked to confirm.</p><button class=\"danger\">Delete customer…</button></form>"
        return html
    }

    /// The second step of a destructive action: says what will happen, posts again with
    /// `confirm=yes`, or goes back. Plain HTML, so it works without JavaScript.
    static func confirm(question: String, action: String, button: String, cancel: String, hidden: [(String, String)] = [], context: AdminRequestContext) -> HTML {
        var html: HTML = "<p id=\"confirm-question\">\(question)</p><form method=\"post\" action=\"\(action)\" class=\"row\" id=\"confirm-form\">\(Pages.csrfField(context))"
        for (name, value) in hidden { html += "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">" }
        html += "<input type=\"hidden\" name=\"confirm\" value=\"yes\"><button class=\"danger\">\(button)</button> <a class=\"button\" href=\"\(cancel)\">Cancel</a></form>"
        return html
    }
}
