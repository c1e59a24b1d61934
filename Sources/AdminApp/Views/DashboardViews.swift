import TenantStorage

extension Views {
    static func dashboard(_ s: DashboardController.Summary, flash: HTML) -> HTML {
        var html: HTML = flash + """
            <div class="cards">
              <div class="card"><div class="value online" id="online">\(s.online)</div><div class="label">gateways online</div></div>
              <div class="card"><div class="value offline" id="offline">\(s.offline)</div><div class="label">gateways offline</div></div>
              <div class="card"><div class="value unassigned" id="unassigned">\(s.unassigned)</div><div class="label">unassigned</div></div>
              <div class="card"><div class="value" id="current-power">\(Units.power(s.currentPower))</div><div class="label">current total power</div></div>
              <div class="card"><div class="value" id="today-energy">\(Units.energy(s.todayEnergy))</div><div class="label">energy today</div></div>
            </div>
            <p class="muted" id="figures-at">Power and energy as of \(s.figuresAt).</p>
            <h2>Needs attention</h2>
            """
        if s.attention.isEmpty {
            html += "<p class=\"muted\">Nothing: every gateway is online and assigned.</p>"
        } else {
            html += "<table id=\"attention\"><tr><th>Gateway</th><th>Why</th></tr>"
            for item in s.attention {
                html += "<tr><td><a href=\"/gateways/\(item.gateway)\">\(item.gateway)</a></td><td>\(item.reason)</td></tr>"
            }
            html += "</table>"
        }
        html += refusedConnections(s.refused, known: s.knownGateways, zone: s.zone, now: s.now) + rateLimited(s.rateLimited, zone: s.zone, now: s.now)
        if !s.failingMails.isEmpty {
            html += "<h2>Mails that keep failing</h2><table id=\"failing-mails\"><tr><th>Subject</th><th>To</th><th class=\"num\">Attempts</th><th>Last error</th></tr>"
            for mail in s.failingMails {
                html += "<tr><td>\(mail.subject)</td><td>\(mail.recipients.joined(separator: ", "))</td><td class=\"num\">\(mail.attempts)</td><td>\(mail.lastError ?? "")</td></tr>"
            }
            html += "</table>"
        }
        html += "<p class=\"muted\">Outbox: \(s.pendingMails) mail(s) waiting.</p>"
        if !s.mailServerSet {
            html += "<p class=\"error\" id=\"no-mail-server\">No mail server is set: reports and alerts stay queued. <a href=\"/settings#mail-server\">Set one</a>.</p>"
        }
        return html
    }
}
