import TenantStorage
import TenantTime

extension Views {
    /// The report form (a GET: the URL is the report); `from`/`to` are the range shown, nil
    /// after a refused query, which keeps what was typed.
    static func reportForm(customers: [Customer], gateways: [GatewayInfo], form: FormState, from: Int64?, to: Int64?, zone: TimeZoneRules) -> HTML {
        let query = form.values ?? FormData()
        var html: HTML = form.general(fields: ["customer", "gateway", "from", "to"])
        html += "<form method=\"get\" action=\"/reports\" class=\"row\" id=\"report-form\"><label>Customer <select name=\"customer\"\(form.invalid("customer"))><option value=\"\">–</option>"
        for c in customers { html += "<option value=\"\(c.id)\"\(query["customer"] == String(c.id) ? " selected" : "")>\(c.name)</option>" }
        html += "</select>\(form.problem("customer"))</label><label>or gateway <select name=\"gateway\"\(form.invalid("gateway"))><option value=\"\">–</option>"
        for g in gateways { html += "<option\(query["gateway"] == g.id ? " selected" : "")>\(g.id)</option>" }
        html += "</select>\(form.problem("gateway"))</label>"
        html += "<label>or <span>every gateway</span><select name=\"scope\"><option value=\"\">–</option><option value=\"all\"\(query["scope"] == "all" ? " selected" : "")>all gateways (fleet)</option></select></label>"
        let fromText = from.map { TimeFormat.day($0, in: zone) } ?? (query["from"] ?? "")
        let toText = to.map { TimeFormat.day($0 - 1, in: zone) } ?? (query["to"] ?? "")
        html += "<label>From <input type=\"date\" name=\"from\" value=\"\(fromText)\"\(form.invalid("from"))>\(form.problem("from"))</label>"
        html += "<label>To <input type=\"date\" name=\"to\" value=\"\(toText)\"\(form.invalid("to"))>\(form.problem("to"))</label>"
        html += "<button name=\"format\" value=\"html\">Show</button><button name=\"format\" value=\"csv\">CSV</button></form>"
        html += "<p class=\"muted\">Days in \(zone.identifier). A customer's report covers its gateways; the fleet report every gateway of this provider. Energy from the sensors' energy counters when they report them, otherwise power integrated over time. CSV is UTF-8 with a byte order mark.</p>"
        return html
    }

    static func reportTable(_ rows: [ReportsController.Row], query: FormData) -> HTML {
        var html: HTML = "<div class=\"scroll\"><table id=\"report\"><tr><th>Gateway</th><th>Customer</th><th>Day</th><th class=\"num\">Energy</th><th class=\"num\">Peak power</th></tr>"
        for row in rows {
            html += "<tr><td>\(row.gateway)</td><td>\(row.customer)</td><td>\(row.day.day)</td><td class=\"num\">\(Units.energy(row.day.energy))</td><td class=\"num\">\(Units.power(row.day.peakPower))</td></tr>"
        }
        let total = ReportService.total(rows.map(\.day))
        html += "<tr><th colspan=\"3\">Total</th><th class=\"num\" id=\"total-energy\">\(Units.energy(total.energy))</th><th class=\"num\">\(Units.power(total.peak))</th></tr></table></div>"
        return html
    }
}
