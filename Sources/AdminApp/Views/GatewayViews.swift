import TenantStorage
import TenantTime

extension Views {
    /// Search, state filter and a way back to all: a GET form, so the URL is the view.
    static func gatewayFilter(_ query: GatewayList.Query, form: FormState) -> HTML {
        var html: HTML = form.general(fields: ["q", "state"])
        html += "<form method=\"get\" action=\"/gateways\" class=\"row\" id=\"gateway-filter\">"
        html += "<label>Search <input type=\"search\" name=\"q\" value=\"\(form.value("q", query.search))\" placeholder=\"gateway, site or customer\" maxlength=\"100\"></label>"
        html += "<label>State <select name=\"state\"\(form.invalid("state"))>"
        for state in GatewayList.State.allCases { html += "<option\(state == query.state ? " selected" : "")>\(state.rawValue)</option>" }
        html += "</select>\(form.problem("state"))</label>"
        html += "<input type=\"hidden\" name=\"sort\" value=\"\(query.sort.rawValue)\">\(query.descending ? "<input type=\"hidden\" name=\"order\" value=\"desc\">" as HTML : HTML())"
        html += "<button>Filter</button> <a href=\"/gateways\">all gateways</a></form>"
        return html
    }

    static func gateways(_ result: GatewayList.Result, query: GatewayList.Query, now: Int64, settings: AdminSettings, context: AdminRequestContext) -> HTML {
        var html: HTML = "<p class=\"muted\" id=\"gateway-count\">\(result.matching) of \(result.total) gateways. This page reloads every \(Pages.refreshInterval) s (<a href=\"\(query.link(page: query.page))&amp;refresh=off\">stop</a>). Click a column to sort.</p>"
        html += "<div class=\"scroll\"><table id=\"gateways\"><tr>"
        for sort in GatewayList.Sort.allCases {
            let active = sort == query.sort
            let arrow: HTML = active ? (query.descending ? " ▼" : " ▲") : HTML()
            let numeric = sort == .power || sort == .energy
            html += "<th\(numeric ? " class=\"num\"" as HTML : HTML())><a href=\"\(query.link(sort: sort, descending: active ? !query.descending : false))\">\(sort.label)</a>\(arrow)</th>"
            if sort == .customer { html += "<th>Site</th>" }
        }
        html += "<th>Key</th></tr>"
        for row in result.rows {
            let g = row.gateway
            let customer: HTML = row.customer.map { name -> HTML in "<a href=\"/customers/\(g.customerID!)\">\(name)</a>" } ?? "<span class=\"unassigned\">unassigned</span>"
            html += "<tr><td><a href=\"/gateways/\(g.id)\">\(g.id)</a></td><td>\(customer)</td><td>\(g.site ?? "")</td><td class=\"\(row.online ? "online" : "offline")\">\(row.online ? "online" : "offline")</td>"
            html += "<td class=\"num\">\(row.power.map(Units.power) ?? "–")</td><td class=\"num\">\(row.energy.map(Units.energy) ?? "–")</td>"
            html += "<td>\(TimeFormat.stamp(g.lastSeen, in: settings.timeZone)) (\(TimeFormat.ago(g.lastSeen, now: now)))</td><td>\(g.hasKey ? "yes" : "–")</td></tr>"
        }
        if result.rows.isEmpty {
            html += "<tr><td colspan=\"8\" class=\"muted\">\(result.total == 0 ? "No gateway has reported yet." : "No gateway matches.")</td></tr>"
        }
        html += "</table></div>"
        if let at = result.figuresAt {
            html += "<p class=\"muted\" id=\"figures-at\">Power and energy as of \(TimeFormat.stamp(at, in: settings.timeZone, seconds: true)), shared with the dashboard.</p>"
        }
        html += Pages.changing(context, "<p><a href=\"/gateways/new\" id=\"register-link\">Register a gateway</a> before it first connects.</p>")
        if result.pages > 1 {
            html += "<p class=\"pager\" id=\"pager\">"
            if query.page > 1 { html += "<a href=\"\(query.link(page: query.page - 1))\" rel=\"prev\">← previous</a>" }
            html += "<span>page \(query.page) of \(result.pages)</span>"
            if query.page < result.pages { html += "<a href=\"\(query.link(page: query.page + 1))\" rel=\"next\">next →</a>" }
            html += "</p>"
        }
        return html
    }

    static func gateway(
        _ g: GatewayInfo, customers: [Customer], sensors: [Reading], chart: GatewaysController.Chart, bars: HTML,
        settings: AdminSettings, now: Int64, context: AdminRequestContext, flash: HTML, assign: FormState = .fresh, picker: FormState = .fresh,
        alarms: HTML = HTML()
    ) -> HTML {
        let zone = settings.timeZone
        let online = now - g.lastSeen <= settings.offlineThresholdMillis
        var html: HTML = flash + """
            <p><span class="\(online ? "online" : "offline")" id="gateway-state">\(online ? "online" : "offline")</span> ·
            last seen <span id="last-seen">\(TimeFormat.stamp(g.lastSeen, in: zone, seconds: true))</span> (\(TimeFormat.ago(g.lastSeen, now: now)))
            · first seen \(TimeFormat.stamp(g.firstSeen, in: zone))</p>
            \(alarms)<h2>Sensors</h2><div class="scroll"><table id="sensors"><tr><th>Sensor</th><th>At</th><th class="num">Power</th><th class="num">Energy counter</th><th class="num">Voltage</th><th class="num">Current</th><th class="num">Temperature</th></tr>
            """
        for r in sensors {
            html += "<tr><td>\(r.sensor)</td><td>\(TimeFormat.stamp(r.at, in: zone, seconds: true))</td><td class=\"num\">\(Units.power(r.power))</td><td class=\"num\">\(r.energy.map(Units.energy) ?? "–")</td><td class=\"num\">\(Units.optional(r.voltage, "V"))</td><td class=\"num\">\(Units.optional(r.current, "A", digits: 2))</td><td class=\"num\">\(Units.optional(r.temperature, "°C"))</td></tr>"
        }
        if sensors.isEmpty { html += "<tr><td colspan=\"7\" class=\"muted\">No readings in the last 24 hours.</td></tr>" }
        html += "</table></div><h2>Power</h2>" + chartNavigation(g.id, chart: chart, zone: zone, picker: picker)
        html += "<div class=\"chart\" id=\"power-chart\">\(SVGChart.responsive { chart.svg(zone: zone, size: $0) })</div>"
        html += "<h2>Energy per day</h2><div class=\"chart\" id=\"energy-bars\">\(bars)</div>"
        if context.canChange { html += gatewayForms(g, customers: customers, settings: settings, context: context, assign: assign) }
        html += "<p><a href=\"/reports?gateway=\(g.id)\">Power report for this gateway</a> · <a href=\"/gateways/\(g.id)/chart.svg?\(chart.query)\">chart as SVG</a></p>"
        return html
    }

    /// What admins change on a gateway's page: assignment, key, disabling and deletion.
    static func gatewayForms(_ g: GatewayInfo, customers: [Customer], settings: AdminSettings, context: AdminRequestContext, assign: FormState) -> HTML {
        var html = HTML()
        let chosen = assign.value("customer", g.customerID.map(String.init) ?? "none")
        html += "<h2 id=\"assignment\">Assignment</h2>" + assign.general(fields: ["customer", "site"])
        html += "<form method=\"post\" action=\"/gateways/\(g.id)/assign\" class=\"row\" id=\"gateway-assign-form\">\(Pages.csrfField(context))<label>Customer <select name=\"customer\"\(assign.invalid("customer"))><option value=\"none\">– unassigned –</option>"
        for c in customers { html += "<option value=\"\(c.id)\"\(String(c.id) == chosen ? " selected" : "")>\(c.name)</option>" }
        html += "</select>\(assign.problem("customer"))</label>" + assign.input("site", "Site", stored: g.site ?? "", attributes: " maxlength=\"200\"") + "<button>Save</button></form>"
        html += "<h2>Gateway key</h2><p class=\"muted\">\(g.hasKey ? "A key is set." : "No key is set.") Keys are \(settings.gatewayKeysRequired ? "required" : "not required") for this provider.</p>"
        html += "<form method=\"post\" action=\"/gateways/\(g.id)/key\" class=\"inline\">\(Pages.csrfField(context))<button name=\"action\" value=\"generate\">\(g.hasKey ? "Replace key" : "Generate key")</button></form> "
        if g.hasKey { html += "<form method=\"post\" action=\"/gateways/\(g.id)/key\" class=\"inline\" id=\"remove-key\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"action\" value=\"remove\"><button class=\"danger\">Remove key…</button></form>" }
        html += gatewayControls(g, context: context)
        return html
    }

    /// Range tabs, earlier/later links and a date range picker (a plain GET form; after a
    /// refused range, `picker` holds the dates as typed and the message).
    static func chartNavigation(_ id: String, chart: GatewaysController.Chart, zone: TimeZoneRules, picker: FormState = .fresh) -> HTML {
        var html: HTML = "<p class=\"tabs\" id=\"chart-ranges\">"
        for range in GatewaysController.Range.allCases where range != .custom {
            let end: HTML = range == .last24h ? "" : "&amp;end=\(chart.endDay)"
            html += "<a href=\"/gateways/\(id)?range=\(range.rawValue)\(end)\"\(range == chart.range ? " class=\"active\"" as HTML : "")>\(range.label)</a>"
        }
        let days = max(1, chart.range.days == 0 ? Int((chart.to - chart.from + 3_600_000) / 86_400_000) : chart.range.days)
        let endStart = TimeFormat.startOfDay(chart.to - 1, in: zone)
        let step = chart.range == .last24h ? GatewaysController.Range.day : chart.range
        let earlierEnd = TimeFormat.day(TimeFormat.addDays(chart.range == .last24h ? -1 : -days, to: endStart, in: zone), in: zone)
        let laterEnd = TimeFormat.day(TimeFormat.addDays(days, to: endStart, in: zone), in: zone)
        if step == .custom {
            let earlierFrom = TimeFormat.day(TimeFormat.addDays(-days, to: chart.from, in: zone), in: zone)
            let laterFrom = TimeFormat.day(TimeFormat.addDays(days, to: chart.from, in: zone), in: zone)
            html += " · <a href=\"/gateways/\(id)?from=\(earlierFrom)&amp;to=\(earlierEnd)\">← earlier</a> <a href=\"/gateways/\(id)?from=\(laterFrom)&amp;to=\(laterEnd)\">later →</a></p>"
        } else {
            html += " · <a href=\"/gateways/\(id)?range=\(step.rawValue)&amp;end=\(earlierEnd)\">← earlier</a>"
            if chart.range != .last24h { html += " <a href=\"/gateways/\(id)?range=\(step.rawValue)&amp;end=\(laterEnd)\">later →</a>" }
            html += "</p>"
        }
        html += picker.general(fields: ["from", "to"])
        html += "<form method=\"get\" action=\"/gateways/\(id)\" class=\"row\" id=\"chart-range-picker\">"
        for (name, label, day) in [("from", "From", chart.from), ("to", "To", chart.to - 1)] {
            html += "<label>\(label) <input type=\"date\" name=\"\(name)\" value=\"\(picker.value(name, TimeFormat.day(day, in: zone)))\"\(picker.invalid(name))>\(picker.problem(name))</label>"
        }
        html += "<button>Show</button></form>"
        return html
    }

    /// A new gateway key, shown once.
    static func gatewayKey(_ gateway: String, key: String) -> HTML {
        "<p>New key for gateway <strong>\(gateway)</strong>. It is shown only now: configure it on the gateway as its <code>key</code>.</p><p class=\"secret\" id=\"gateway-key\">\(key)</p><p><a href=\"/gateways/\(gateway)\">Back to the gateway</a></p>"
    }
}
