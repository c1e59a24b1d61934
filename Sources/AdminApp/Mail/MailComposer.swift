import FoundationEssentials
import TenantStorage
import TenantTime

/// The text and HTML of report and alert mails.
enum MailComposer {
    struct Mail: Sendable {
        var subject: String
        var text: String
        var html: String
    }

    struct ReportLine: Sendable {
        var gateway: String
        var site: String?
        var energy: Double
        var peak: Double
        var offline: Bool
        var lastSeen: EpochMillis
    }

    enum AlertKind: String, Sendable {
        case offline, online, lowProduction = "low-production"
    }

    static func report(customer: Customer, lines: [ReportLine], from: EpochMillis, to: EpochMillis, zone: TimeZoneRules, frequency: AdminSettings.ReportFrequency) -> Mail {
        let period = frequency == .weekly
            ? "\(TimeFormat.day(from, in: zone)) to \(TimeFormat.day(to - 1, in: zone))"
            : TimeFormat.day(from, in: zone)
        let subject = "Solar power report for \(customer.name): \(period)"
        let total = lines.reduce(0) { $0 + $1.energy }
        let offline = lines.filter(\.offline)
        var text = "Power report for \(customer.name), \(period) (\(zone.identifier)).\n\nTotal energy: \(Units.energy(total))\n\n"
        var html: HTML = "<html><body style=\"font-family:sans-serif\"><h2>Power report for \(customer.name)</h2><p>\(period) (\(zone.identifier))</p>"
        html += "<p><strong>Total energy: \(Units.energy(total))</strong></p><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>Gateway</th><th>Site</th><th>Energy</th><th>Peak power</th><th>State</th></tr>"
        for line in lines {
            let state = line.offline ? "OFFLINE since \(TimeFormat.local(line.lastSeen, in: zone))" : "online"
            text += "- \(line.gateway)\(line.site.map { " (\($0))" } ?? ""): energy \(Units.energy(line.energy)), peak \(Units.power(line.peak)), \(state)\n"
            html += "<tr><td>\(line.gateway)</td><td>\(line.site ?? "")</td><td>\(Units.energy(line.energy))</td><td>\(Units.power(line.peak))</td><td>\(state)</td></tr>"
        }
        if lines.isEmpty { text += "(no gateways assigned)\n"; html += "<tr><td colspan=\"5\">No gateways assigned.</td></tr>" }
        html += "</table>"
        if offline.isEmpty {
            text += "\nAll gateways are online.\n"
            html += "<p>All gateways are online.</p>"
        } else {
            text += "\nGateways offline: \(offline.map(\.gateway).joined(separator: ", "))\n"
            html += "<p style=\"color:#c62828\">Gateways offline: \(offline.map(\.gateway).joined(separator: ", "))</p>"
        }
        html += "</body></html>"
        return Mail(subject: subject, text: text, html: html.markup)
    }

    /// One mail about every gateway of a customer that had `kind` in one pass; with one
    /// gateway, the same mail as ``alert(_:gateway:customer:now:zone:detail:)``.
    static func alerts(_ kind: AlertKind, events: [(gateway: GatewayInfo, detail: String?)], customer: Customer?, zone: TimeZoneRules) -> Mail {
        if events.count == 1 { return alert(kind, gateway: events[0].gateway, customer: customer, now: 0, zone: zone, detail: events[0].detail) }
        let owner = customer.map { " of \($0.name)" } ?? " without a customer"
        let headline: String
        switch kind {
        case .offline: headline = "\(events.count) gateways\(owner) went offline"
        case .online: headline = "\(events.count) gateways\(owner) are back online"
        case .lowProduction: headline = "\(events.count) gateways\(owner) produce less than usual"
        }
        var text = "\(headline).\n\nTimes in \(zone.identifier).\n\n"
        var html: HTML = "<html><body style=\"font-family:sans-serif\"><h2>\(headline)</h2><p>Times in \(zone.identifier).</p><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>Gateway</th><th>Site</th><th>Last report</th><th>Details</th></tr>"
        for (gateway, detail) in events {
            text += "- \(gateway.id)\(gateway.site.map { " (\($0))" } ?? ""): last report \(TimeFormat.local(gateway.lastSeen, in: zone))\(detail.map { "; \($0)" } ?? "")\n"
            html += "<tr><td>\(gateway.id)</td><td>\(gateway.site ?? "")</td><td>\(TimeFormat.local(gateway.lastSeen, in: zone))</td><td>\(detail ?? "")</td></tr>"
        }
        html += "</table></body></html>"
        return Mail(subject: "[alert] \(headline)", text: text, html: html.markup)
    }

    static func alert(_ kind: AlertKind, gateway: GatewayInfo, customer: Customer?, now: EpochMillis, zone: TimeZoneRules, detail: String?) -> Mail {
        let owner = customer.map { " (\($0.name))" } ?? ""
        let headline: String
        switch kind {
        case .offline: headline = "Gateway \(gateway.id)\(owner) went offline"
        case .online: headline = "Gateway \(gateway.id)\(owner) is back online"
        case .lowProduction: headline = "Gateway \(gateway.id)\(owner) produces less than usual"
        }
        var text = "\(headline).\n\nLast report: \(TimeFormat.local(gateway.lastSeen, in: zone)) (\(zone.identifier))\n"
        if let site = gateway.site { text += "Site: \(site)\n" }
        if let detail { text += "Details: \(detail)\n" }
        var html: HTML = "<html><body style=\"font-family:sans-serif\"><h2>\(headline)</h2><p>Last report: \(TimeFormat.local(gateway.lastSeen, in: zone)) (\(zone.identifier))</p>"
        if let site = gateway.site { html += "<p>Site: \(site)</p>" }
        if let detail { html += "<p>\(detail)</p>" }
        html += "</body></html>"
        return Mail(subject: "[alert] \(headline)", text: text, html: html.markup)
    }
}
