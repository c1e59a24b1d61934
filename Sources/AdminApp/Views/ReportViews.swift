import TenantStorage
import TenantTime

extension Views {
    static func reportForm(customers: [Customer], gateways: [GatewayInfo], query: FormData, from: Int64, to: Int64, zone: TimeZoneRules) -> HTML {
        var html: HTML = "<form method=\"get\" action=\"/reports\" class=\"row\"><label>Customer <select name=\"customer\"><option value=\"\">–</option>"
        for c in customers { html += "<option value=\"\(c.id)\"\(query["customer"] == String(c.id) ? " selected" : "")>\(c.name)</option>" }
        html += "</select></label><label>or gateway <select name=\"gateway\"><option value=\"\">–</option>"
        for g in gateways { html += "<option\(query["gateway"] == g.id ? " selected" : "")>\(g.id)</option>" }
        html += "</select></label>"
        html += "<label>From <input type=\"date\" name=\"from\" value=\"\(TimeFormat.day(from, in: zone))\"></label>"
        html += "<label>To <input type=\"date\" name=\"to\" value=\"\(TimeFormat.day(to - 1, in: zone))\"></label>"
        html += "<button name=\"format\" value=\"html\">Show</button><button name=\"format\" value=\"csv\">CSV</button></form>"
        html += "<p class=\"muted\">Days in \(zone.identifier). Energy from the sensors' energy counters when they report them, otherwise power integrated over time.</p>"
        return html
    }

    static func reportTable(_ rows: [ReportsController.Row], query: FormData) -> HTML {
        var html: HTML = "<table id=\"report\"><tr><th>Gateway</th><th>Customer</th><th>Day</th><th class=\"num\">Energy</th><th class=\"num\">Peak power</th></tr>"
        for row in rows {
            html += "<tr><td>\(row.gateway)</td><td>\(row.customer)</td><td>\(row.day.day)</td><td class=\"num\">\(Units.energy(row.day.energy))</td><td class=\"num\">\(Units.power(row.day.peakPower))</td></tr>"
        }
        let total = ReportService.total(rows.map(\.day))
        html += "<tr><th colspan=\"3\">Total</th><th class=\"num\" id=\"total-energy\">\(Units.energy(total.energy))</th><th class=\"num\">\(Units.power(total.peak))</th></tr></table>"
        return html
    }
}
