import TenantStorage

extension Views {
    static func gateways(_ gateways: [GatewayInfo], customers: [Customer], now: Int64, settings: AdminSettings, flash: HTML) -> HTML {
        let names = Dictionary(customers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var html: HTML = flash + "<table id=\"gateways\"><tr><th>Gateway</th><th>Customer</th><th>Site</th><th>State</th><th>Last seen</th><th>Key</th></tr>"
        for g in gateways {
            let online = now - g.lastSeen <= settings.offlineThresholdMillis
            let customer: HTML = g.customerID.flatMap { names[$0] }.map { name -> HTML in "<a href=\"/customers/\(g.customerID!)\">\(name)</a>" } ?? "<span class=\"unassigned\">unassigned</span>"
            html += "<tr><td><a href=\"/gateways/\(g.id)\">\(g.id)</a></td><td>\(customer)</td><td>\(g.site ?? "")</td><td class=\"\(online ? "online" : "offline")\">\(online ? "online" : "offline")</td><td>\(TimeFormat.local(g.lastSeen, in: settings.timeZone))</td><td>\(g.hasKey ? "yes" : "–")</td></tr>"
        }
        if gateways.isEmpty { html += "<tr><td colspan=\"6\" class=\"muted\">No gateway has reported yet.</td></tr>" }
        return html + "</table><p><a href=\"/gateways/new\" id=\"register-link\">Register a gateway</a> before it first connects.</p>"
    }

    static func gateway(
        _ g: GatewayInfo, customers: [Customer], sensors: [Reading], chart: GatewaysController.Chart, bars: HTML,
        settings: AdminSettings, now: Int64, context: AdminRequestContext, flash: HTML
    ) -> HTML {
        let zone = settings.timeZone
        let online = now - g.lastSeen <= settings.offlineThresholdMillis
        var html: HTML = flash + """
            <p><span class="\(online ? "online" : "offline")" id="gateway-state">\(online ? "online" : "offline")</span> ·
            last seen <span id="last-seen">\(TimeFormat.local(g.lastSeen, in: zone, seconds: true))</span> (\(TimeFormat.ago(g.lastSeen, now: now)), \(zone.identifier))
            · first seen \(TimeFormat.local(g.firstSeen, in: zone))</p>
            <h2>Sensors</h2><table id="sensors"><tr><th>Sensor</th><th>At</th><th class="num">Power</th><th class="num">Energy counter</th><th class="num">Voltage</th><th class="num">Current</th><th class="num">Temperature</th></tr>
            """
        for r in sensors {
            html += "<tr><td>\(r.sensor)</td><td>\(TimeFormat.local(r.at, in: zone, seconds: true))</td><td class=\"num\">\(Units.power(r.power))</td><td class=\"num\">\(r.energy.map(Units.energy) ?? "–")</td><td class=\"num\">\(Units.optional(r.voltage, "V"))</td><td class=\"num\">\(Units.optional(r.current, "A", digits: 2))</td><td class=\"num\">\(Units.optional(r.temperature, "°C"))</td></tr>"
        }
        if sensors.isEmpty { html += "<tr><td colspan=\"7\" class=\"muted\">No readings in the last 24 hours.</td></tr>" }
        html += "</table><h2>Power</h2><p class=\"tabs\">"
        for range in GatewaysController.Range.allCases {
            html += "<a href=\"/gateways/\(g.id)?range=\(range.rawValue)&amp;end=\(chart.endDay)\"\(range == chart.range ? " class=\"active\"" as HTML : "")>\(range.rawValue)</a>"
        }
        let previous = TimeFormat.day(TimeFormat.addDays(-chart.range.days, to: chart.to - 1, in: zone), in: zone)
        let next = TimeFormat.day(TimeFormat.addDays(chart.range.days, to: chart.to - 1, in: zone), in: zone)
        html += " · <a href=\"/gateways/\(g.id)?range=\(chart.range.rawValue)&amp;end=\(previous)\">← earlier</a> <a href=\"/gateways/\(g.id)?range=\(chart.range.rawValue)&amp;end=\(next)\">later →</a></p>"
        html += "<div class=\"chart\" id=\"power-chart\">\(chart.svg)</div>"
        html += "<h2>Energy per day</h2><div class=\"chart\" id=\"energy-bars\">\(bars)</div>"
        html += "<h2>Assignment</h2><form method=\"post\" action=\"/gateways/\(g.id)/assign\" class=\"row\">\(Pages.csrfField(context))<label>Customer <select name=\"customer\"><option value=\"none\">– unassigned –</option>"
        for c in customers { html += "<option value=\"\(c.id)\"\(c.id == g.customerID ? " selected" : "")>\(c.name)</option>" }
        html += "</select></label><label>Site <input name=\"site\" value=\"\(g.site ?? "")\"></label><button>Save</button></form>"
        html += "<h2>Gateway key</h2><p class=\"muted\">\(g.hasKey ? "A key is set." : "No key is set.") Keys are \(settings.gatewayKeysRequired ? "required" : "not required") for this provider.</p>"
        html += "<form method=\"post\" action=\"/gateways/\(g.id)/key\" class=\"inline\">\(Pages.csrfField(context))<button name=\"action\" value=\"generate\">\(g.hasKey ? "Replace key" : "Generate key")</button></form> "
        if g.hasKey { html += "<form method=\"post\" action=\"/gateways/\(g.id)/key\" class=\"inline\">\(Pages.csrfField(context))<button class=\"danger\" name=\"action\" value=\"remove\">Remove key</button></form>" }
        html += gatewayControls(g, context: context)
        html += "<p><a href=\"/reports?gateway=\(g.id)\">Power report for this gateway</a> · <a href=\"/gateways/\(g.id)/chart.svg?range=\(chart.range.rawValue)&amp;end=\(chart.endDay)\">chart as SVG</a></p>"
        return html
    }

    /// A new gateway key, shown once.
    static func gatewayKey(_ gateway: String, key: String) -> HTML {
        "<p>New key for gateway <strong>\(gateway)</strong>. It is shown only now: configure it on the gateway as its <code>key</code>.</p><p class=\"secret\" id=\"gateway-key\">\(key)</p><p><a href=\"/gateways/\(gateway)\">Back to the gateway</a></p>"
    }
}
