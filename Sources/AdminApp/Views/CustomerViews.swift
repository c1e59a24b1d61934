import TenantStorage
import TenantTime
import TextFormat

extension Views {
    static func customerFields(_ c: Customer?) -> HTML {
        """
        <label>Name <input name="name" value="\(c?.name ?? "")" required maxlength="200"></label>
        <label>Contact e-mail <input name="email" type="email" value="\(c?.email ?? "")"></label>
        <label>Address <textarea name="address" rows="2">\(c?.address ?? "")</textarea></label>
        <label>Report and alert recipients <span>addresses separated by commas</span><input name="recipients" value="\(c?.recipients.joined(separator: ", ") ?? "")"></label>
        """
    }

    static func customers(_ customers: [Customer], gateways: [GatewayInfo], context: AdminRequestContext, flash: HTML) -> HTML {
        var html: HTML = flash + "<table id=\"customers\"><tr><th>Name</th><th>Contact</th><th class=\"num\">Gateways</th><th>Sites</th></tr>"
        for c in customers {
            let own = gateways.filter { $0.customerID == c.id }
            let sites = Set(own.compactMap(\.site)).sorted().joined(separator: ", ")
            html += "<tr><td><a href=\"/customers/\(c.id)\">\(c.name)</a></td><td>\(c.email ?? "")</td><td class=\"num\">\(own.count)</td><td>\(sites)</td></tr>"
        }
        if customers.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No customers yet.</td></tr>" }
        html += "</table><h2>New customer</h2><form method=\"post\" action=\"/customers\" class=\"stack\">\(Pages.csrfField(context))\(customerFields(nil))<button>Create customer</button></form>"
        return html
    }

    static func customer(_ c: Customer, gateways: [GatewayInfo], context: AdminRequestContext, now: Int64, threshold: Int64, flash: HTML) -> HTML {
        let own = gateways.filter { $0.customerID == c.id }
        let sites = Set(own.compactMap(\.site)).sorted()
        var html: HTML = flash + "<h2>Sites</h2><p>\(sites.isEmpty ? "<span class=\"muted\">No sites named yet.</span>" as HTML : "\(sites.joined(separator: ", "))")</p>"
        html += "<h2>Gateways</h2><table id=\"customer-gateways\"><tr><th>Gateway</th><th>Site</th><th>State</th><th>Last seen</th></tr>"
        for g in own {
            let online = now - g.lastSeen <= threshold
            html += "<tr><td><a href=\"/gateways/\(g.id)\">\(g.id)</a></td><td>\(g.site ?? "")</td><td class=\"\(online ? "online" : "offline")\">\(online ? "online" : "offline")</td><td>\(TimeFormat.ago(g.lastSeen, now: now))</td></tr>"
        }
        if own.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No gateways assigned.</td></tr>" }
        html += "</table>"
        let unassigned = gateways.filter { $0.customerID == nil }
        if !unassigned.isEmpty {
            html += "<h2>Assign a gateway</h2><form method=\"post\" class=\"row\" id=\"assign-form\" action=\"/gateways/assign\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"customer\" value=\"\(c.id)\"><input type=\"hidden\" name=\"return\" value=\"customer\">"
            html += "<label>Gateway <select name=\"gateway\">" + unassigned.map { gateway -> HTML in "<option>\(gateway.id)</option>" }.joined() + "</select></label>"
            html += "<label>Site <input name=\"site\"></label><button>Assign</button></form>"
        }
        html += "<p><a href=\"/reports?customer=\(c.id)\">Power report for this customer</a></p>"
        html += "<h2>Edit</h2><form method=\"post\" action=\"/customers/\(c.id)\" class=\"stack\">\(Pages.csrfField(context))\(customerFields(c))<button>Save</button></form>"
        html += "<h2>Delete</h2><form method=\"post\" action=\"/customers/\(c.id)/delete\">\(Pages.csrfField(context))<p class=\"muted\">Its gateways become unassigned; readings are kept.</p><button class=\"danger\">Delete customer</button></form>"
        return html
    }
}
