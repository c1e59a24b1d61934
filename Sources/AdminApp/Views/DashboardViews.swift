import TenantStorage
import TenantTime

extension Views {
    /// The dashboard as a list of sections, each its own function, so another section (for
    /// example one about refused gateway connections) is one more entry in `sections`.
    static func dashboard(_ s: DashboardController.Summary, flash: HTML, extraSections: [HTML] = []) -> HTML {
        let sections: [HTML] = [
            flash,
            dashboardCards(s),
            s.gatewayCount == 0 ? firstRunChecklist(s) : HTML(),
            attentionSection(s),
            refusedConnections(s.refused, known: s.knownGateways, zone: s.zone, now: s.now),
            rateLimited(s.rateLimited, zone: s.zone, now: s.now),
        ] + extraSections + [
            failingMailsSection(s),
            outboxSection(s),
        ]
        return sections.joined()
    }

    static func dashboardCards(_ s: DashboardController.Summary) -> HTML {
        """
        <div class="cards">
          <div class="card"><div class="value online" id="online">\(s.online)</div><div class="label"><a href="/gateways?state=online">gateways online</a></div></div>
          <div class="card"><div class="value offline" id="offline">\(s.offline)</div><div class="label"><a href="/gateways?state=offline">gateways offline</a></div></div>
          <div class="card"><div class="value unassigned" id="unassigned">\(s.unassigned)</div><div class="label"><a href="/gateways?state=unassigned">unassigned</a></div></div>
          <div class="card"><div class="value" id="current-power">\(Units.power(s.currentPower))</div><div class="label">current total power</div></div>
          <div class="card"><div class="value" id="today-energy">\(Units.energy(s.todayEnergy))</div><div class="label">energy today</div></div>
        </div>
        <p class="muted" id="figures-at">Power and energy as of \(s.figuresAt). This page reloads every \(Pages.refreshInterval) s (<a href="/?refresh=off">stop</a>).</p>
        """
    }

    /// The rows shown at most; the gateways list has the rest.
    static let attentionLimit = 50

    static func attentionSection(_ s: DashboardController.Summary) -> HTML {
        var html: HTML = "<h2>Needs attention</h2>"
        guard !s.attention.isEmpty else {
            return html + (s.gatewayCount == 0 ? "<p class=\"muted\">No gateways yet.</p>" : "<p class=\"muted\">Nothing: every gateway is online and assigned.</p>")
        }
        html += "<div class=\"scroll\"><table id=\"attention\"><tr><th>Gateway</th><th>Severity</th><th>Why</th></tr>"
        for item in s.attention.prefix(attentionLimit) {
            let label = item.severity == 1 ? "critical" : item.severity == 2 ? "warning" : "notice"
            html += "<tr class=\"severity-\(item.severity)\" data-severity=\"\(item.severity)\"><td><a href=\"/gateways/\(item.gateway)\">\(item.gateway)</a></td><td class=\"sev-\(item.severity)\">\(label)</td><td>\(item.reasons.map { words($0, item, s) }.joined(separator: "; "))</td></tr>"
        }
        html += "</table></div>"
        if s.attention.count > attentionLimit {
            html += "<p class=\"muted\" id=\"attention-more\">\(s.attention.count - attentionLimit) more: see the <a href=\"/gateways?state=offline\">offline gateways</a> and the <a href=\"/gateways?state=unassigned\">unassigned ones</a>.</p>"
        }
        return html
    }

    private static func words(_ reason: DashboardController.Attention.Reason, _ item: DashboardController.Attention, _ s: DashboardController.Summary) -> String {
        switch reason {
        case .waitingForFirstReport: "registered, waiting for its first report"
        case .offline: "offline, last seen \(TimeFormat.ago(item.lastSeen, now: s.now)) (\(TimeFormat.stamp(item.lastSeen, in: s.zone)))"
        case .disabled: "disabled: its reports are refused"
        case .noKeyWhileRequired: "no gateway key while keys are required"
        case .lowProductionToday: "low production today"
        case .notAssigned: "not assigned to a customer"
        }
    }

    /// For a provider with no gateway yet: what to do first, with what is done ticked.
    static func firstRunChecklist(_ s: DashboardController.Summary) -> HTML {
        func item(_ done: Bool, _ text: HTML) -> HTML {
            "<li class=\"\(done ? "done" : "todo")\">\(done ? "✔" : "☐") \(text)</li>"
        }
        let address: HTML = s.gatewayAddress.map { address -> HTML in "<code>\(address)</code>" } ?? "the address <code>tenantctl status</code> shows"
        return "<h2 id=\"first-run\">Getting started</h2><ol class=\"checklist\" id=\"first-run-checklist\">"
            + item(s.timeZoneID != "UTC", "Set the provider's time zone (now \(s.timeZoneID)) in <a href=\"/settings\">Settings</a>.")
            + item(s.mailServerSet, "Set a mail server and send a test mail in <a href=\"/settings#mail-server\">Settings</a>.")
            + item(s.customerCount > 0, "Add your first <a href=\"/customers#new-customer\">customer</a> with report recipients.")
            + item(s.gatewayCount > 0, "Point a gateway at \(address); it appears here on its first report, then assign it to a customer.")
            + item(s.staffCount > 1, "Add accounts for your colleagues on the <a href=\"/staff\">Staff</a> page.")
            + "</ol>"
    }

    static func failingMailsSection(_ s: DashboardController.Summary) -> HTML {
        guard !s.failingMails.isEmpty else { return HTML() }
        var html: HTML = "<h2>Mails that keep failing</h2><div class=\"scroll\"><table id=\"failing-mails\"><tr><th>Subject</th><th>To</th><th class=\"num\">Attempts</th><th>Last error</th></tr>"
        for mail in s.failingMails {
            html += "<tr><td>\(mail.subject)</td><td>\(mail.recipients.joined(separator: ", "))</td><td class=\"num\">\(mail.attempts)</td><td>\(mail.lastError ?? "")</td></tr>"
        }
        return html + "</table></div>"
    }

    static func outboxSection(_ s: DashboardController.Summary) -> HTML {
        var html: HTML = "<p class=\"muted\">Outbox: \(s.pendingMails) mail(s) waiting.</p>"
        if !s.mailServerSet {
            html += "<p class=\"error\" id=\"no-mail-server\">No mail server is set: reports and alerts stay queued. <a href=\"/settings#mail-server\">Set one</a>.</p>"
        }
        return html
    }
}
