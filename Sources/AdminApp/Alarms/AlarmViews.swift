import TenantStorage
import TenantTime

extension Views {
    /// State, gateway and customer: a GET form, so the URL is the view.
    static func alarmFilter(_ query: AlarmQuery, customers: [Customer], form: FormState) -> HTML {
        var html: HTML = form.general(fields: ["state", "gateway", "customer"])
        html += "<form method=\"get\" action=\"/alarms\" class=\"row\" id=\"alarm-filter\">"
        let state = form.value("state", query.state.rawValue)
        html += "<label>State <select name=\"state\"\(form.invalid("state"))>"
        for choice in AlarmQuery.StateChoice.allCases {
            html += "<option value=\"\(choice.rawValue)\"\(choice.rawValue == state ? " selected" : "")>\(choice.label)</option>"
        }
        html += "</select>\(form.problem("state"))</label>"
        html += form.input("gateway", "Gateway", stored: query.gateway ?? "", attributes: " maxlength=\"200\" placeholder=\"any\"")
        let chosen = form.value("customer", query.customer.map(String.init) ?? "any")
        html += "<label>Customer <select name=\"customer\"\(form.invalid("customer"))><option value=\"any\">any</option>"
        for c in customers { html += "<option value=\"\(c.id)\"\(String(c.id) == chosen ? " selected" : "")>\(c.name)</option>" }
        html += "</select>\(form.problem("customer"))</label>"
        html += "<button>Filter</button> <a href=\"/alarms\">reset filter</a></form>"
        return html
    }

    /// One page of alarms, most severe first, then newest; open ones with an Acknowledge button.
    static func alarms(_ alarms: [Alarm], total: Int, query: AlarmQuery, customers: [Customer], zone: TimeZoneRules, context: AdminRequestContext) -> HTML {
        let names = Dictionary(customers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let pages = max(1, (total + AlarmQuery.pageSize - 1) / AlarmQuery.pageSize)
        var html: HTML = "<p class=\"muted\" id=\"alarm-count\">\(total) \(total == 1 ? "alarm" : "alarms") (\(query.state.label)). Most severe first, then newest. This page reloads every \(Pages.refreshInterval) s (<a href=\"\(query.link(page: query.page) + (query.link(page: query.page).contains("?") ? "&" : "?"))refresh=off\">stop</a>).</p>"
        html += "<div class=\"scroll\"><table id=\"alarms\"><tr><th>Severity</th><th>Alarm</th><th>Gateway</th><th>Customer</th><th>State</th><th>Opened</th><th>Acknowledged</th><th>Cleared</th><th>Detail</th></tr>"
        for alarm in alarms {
            let rank = alarm.severity.rank
            html += "<tr class=\"severity-\(rank)\" data-alarm=\"\(alarm.id)\"><td class=\"sev-\(rank)\">\(alarm.severity.rawValue)</td>"
            html += "<td><a href=\"/alarms/\(alarm.id)\">\(alarm.kind.label)</a></td><td><a href=\"/gateways/\(alarm.gateway)\">\(alarm.gateway)</a></td>"
            // The button sits in the state column, so it shows without scrolling a wide table.
            let acknowledge: HTML = alarm.state == .open ? Pages.changing(context, " " + acknowledgeForm(alarm, returnTo: query.link(page: query.page), context: context)) : HTML()
            html += "<td>\(customerCell(alarm.customerID, names: names))</td><td>\(alarm.state.rawValue)\(acknowledge)</td>"
            html += "<td>\(TimeFormat.stamp(alarm.openedAt, in: zone))</td><td>\(acknowledgement(alarm, zone: zone))</td>"
            html += "<td>\(alarm.clearedAt.map { TimeFormat.stamp($0, in: zone) } ?? "–")</td><td>\(alarm.detail)</td></tr>"
        }
        if alarms.isEmpty { html += "<tr><td colspan=\"9\" class=\"muted\">No alarm matches.</td></tr>" }
        html += "</table></div>"
        if pages > 1 {
            html += "<p class=\"pager\" id=\"pager\">"
            if query.page > 1 { html += "<a href=\"\(query.link(page: query.page - 1))\" rel=\"prev\">← previous</a>" }
            html += "<span>page \(query.page) of \(pages)</span>"
            if query.page < pages { html += "<a href=\"\(query.link(page: query.page + 1))\" rel=\"next\">next →</a>" }
            html += "</p>"
        }
        html += "<p class=\"muted\">Offline gateways raise a critical alarm, low production a warning. Alarms clear by themselves when the condition ends (see the admin guide); acknowledging says someone is on it.</p>"
        return html
    }

    /// One alarm, its history, and Acknowledge while it is open.
    static func alarm(_ alarm: Alarm, customer: Customer?, history: [AlarmChange], zone: TimeZoneRules, context: AdminRequestContext, flash: HTML, form: FormState) -> HTML {
        let rank = alarm.severity.rank
        let names = customer.map { [$0.id: $0.name] } ?? [:]
        var html: HTML = flash + form.general(fields: [])
        html += "<div class=\"scroll\"><table id=\"alarm\">"
        html += "<tr><th>Severity</th><td class=\"sev-\(rank)\">\(alarm.severity.rawValue)</td></tr>"
        html += "<tr><th>Alarm</th><td>\(alarm.kind.label)</td></tr>"
        html += "<tr><th>State</th><td id=\"alarm-state\">\(alarm.state.rawValue)</td></tr>"
        html += "<tr><th>Gateway</th><td><a href=\"/gateways/\(alarm.gateway)\">\(alarm.gateway)</a></td></tr>"
        html += "<tr><th>Customer</th><td>\(customerCell(alarm.customerID, names: names))</td></tr>"
        html += "<tr><th>Opened</th><td>\(TimeFormat.stamp(alarm.openedAt, in: zone, seconds: true))</td></tr>"
        html += "<tr><th>Acknowledged</th><td>\(acknowledgement(alarm, zone: zone))</td></tr>"
        html += "<tr><th>Cleared</th><td>\(alarm.clearedAt.map { TimeFormat.stamp($0, in: zone, seconds: true) } ?? "–")</td></tr>"
        html += "<tr><th>Detail</th><td>\(alarm.detail)</td></tr></table></div>"
        if alarm.state == .open { html += Pages.changing(context, "<p>\(acknowledgeForm(alarm, returnTo: nil, context: context))</p>") }
        html += "<h2>History</h2><div class=\"scroll\"><table id=\"alarm-history\"><tr><th>When</th><th>State</th><th>By</th><th>Note</th></tr>"
        for change in history {
            html += "<tr><td>\(TimeFormat.stamp(change.at, in: zone, seconds: true))</td><td>\(change.state.rawValue)</td><td>\(change.by ?? "monitor")</td><td>\(change.note)</td></tr>"
        }
        html += "</table></div><p><a href=\"/alarms?gateway=\(alarm.gateway.percentEncoded)&amp;state=all\">All alarms of \(alarm.gateway)</a></p>"
        return html
    }

    /// "2 active alarms (critical)" with a link to them, for a gateway's or a customer's
    /// page. `first` is the list's first page: its first alarm is the most severe. Nothing
    /// for customer logins, whom ``AccessPolicy`` keeps from the alarms.
    static func alarmSummary(_ first: [Alarm], total: Int, link: String, context: AdminRequestContext) -> HTML {
        if case .customer = context.role { return HTML() }
        guard let worst = first.first?.severity else {
            return "<h2>Alarms</h2><p class=\"muted\" id=\"alarm-summary\">No open alarms. <a href=\"\(link)&amp;state=all\">Alarm history</a></p>"
        }
        let kinds = Set(first.map(\.kind)).map(\.label).sorted().joined(separator: ", ")
        return "<h2>Alarms</h2><p id=\"alarm-summary\"><a class=\"sev-\(worst.rank)\" href=\"\(link)\">\(total) active \(total == 1 ? "alarm" : "alarms")</a> (\(worst.rawValue): \(kinds)) · <a href=\"\(link)&amp;state=all\">history</a></p>"
    }

    private static func customerCell(_ id: Int64?, names: [Int64: String]) -> HTML {
        guard let id else { return "<span class=\"muted\">unassigned</span>" }
        guard let name = names[id] else { return "<span class=\"muted\">customer \(id) (deleted)</span>" }
        return "<a href=\"/customers/\(id)\">\(name)</a>"
    }

    private static func acknowledgement(_ alarm: Alarm, zone: TimeZoneRules) -> HTML {
        guard let at = alarm.acknowledgedAt else { return "–" }
        return "\(TimeFormat.stamp(at, in: zone)) by \(alarm.acknowledgedBy ?? "?")"
    }

    private static func acknowledgeForm(_ alarm: Alarm, returnTo: String?, context: AdminRequestContext) -> HTML {
        let back: HTML = returnTo.map { "<input type=\"hidden\" name=\"return\" value=\"\($0)\">" } ?? HTML()
        return "<form method=\"post\" action=\"/alarms/\(alarm.id)/acknowledge\" class=\"inline\" id=\"acknowledge-\(alarm.id)\">\(Pages.csrfField(context))\(back)<button>Acknowledge</button></form>"
    }
}
