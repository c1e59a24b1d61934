import TenantStorage
import TenantTime

extension Views {
    static func registerGateway(id: String, customers: [Customer], context: AdminRequestContext, flash: HTML) -> HTML {
        var options: HTML = "<option value=\"none\">– unassigned –</option>"
        for c in customers { options += "<option value=\"\(c.id)\">\(c.name)</option>" }
        return flash + """
            <p class="muted">Register a gateway before it first connects. With a key, the key is shown once now: configure it
            on the gateway as its <code>key</code>. With a client certificate, the gateway authenticates with a certificate
            naming its id (mutual TLS) and sends no key.</p>
            <form method="post" action="/gateways/new" class="stack" id="register-gateway">
              \(Pages.csrfField(context))
              <label>Gateway id <span>as the gateway sends it: 1–64 of A–Z a–z 0–9 . _ : -</span>
                <input name="gateway" value="\(id)" required maxlength="64"></label>
              <label>Customer <select name="customer">\(options)</select></label>
              <label>Site <input name="site" maxlength="200"></label>
              <label><span>Credential</span><select name="credential">
                <option value="key" selected>generate a key (shown once)</option>
                <option value="certificate">expect a client certificate</option></select></label>
              <button>Register</button>
            </form>
            """
    }

    static func deleteGateway(_ g: GatewayInfo, context: AdminRequestContext) -> HTML {
        """
        <p>Delete gateway <strong>\(g.id)</strong>? It disappears from every list; if it connects again it is treated
        as a new gateway.</p>
        <form method="post" action="/gateways/\(g.id)/delete" class="stack" id="delete-gateway">
          \(Pages.csrfField(context))
          <label><span>Its readings</span>
            <span><input type="radio" name="readings" value="keep" required> keep them (they reappear if the gateway registers again)</span>
            <span><input type="radio" name="readings" value="purge"> delete them and its hourly rollups</span></label>
          <button class="danger">Delete gateway</button>
        </form>
        <p><a href="/gateways/\(g.id)">Cancel</a></p>
        """
    }

    /// Disable/enable and delete controls for a gateway's page.
    static func gatewayControls(_ g: GatewayInfo, context: AdminRequestContext) -> HTML {
        var html: HTML = "<h2>Access</h2><p class=\"muted\" id=\"gateway-access\">"
        html += g.disabled ? "Disabled: its reports are refused." : "Enabled."
        if g.credential == .certificate { html += " Authenticates with a client certificate." }
        if !g.hasReported { html += " Registered; it has not reported yet." }
        html += "</p><form method=\"post\" action=\"/gateways/\(g.id)/disable\" class=\"inline\">\(Pages.csrfField(context))"
        html += g.disabled ? "<button name=\"action\" value=\"enable\">Enable</button>" : "<button name=\"action\" value=\"disable\">Disable</button>"
        html += "</form> <a href=\"/gateways/\(g.id)/delete\" class=\"danger\">Delete…</a>"
        return html
    }

    /// The dashboard's list of refused connections, each with a one-click registration.
    static func refusedConnections(_ refused: [GatewayRefusal], known: Set<String>, zone: TimeZoneRules, now: Int64) -> HTML {
        guard !refused.isEmpty else { return HTML() }
        var html: HTML = "<h2>Refused connections</h2><table id=\"refused\"><tr><th>Gateway</th><th>Why</th><th class=\"num\">Attempts</th><th>Last attempt</th><th></th></tr>"
        for r in refused {
            let action: HTML = known.contains(r.gateway)
                ? "<a href=\"/gateways/\(r.gateway)\">open</a>"
                : "<a href=\"/gateways/new?id=\(r.gateway)\" class=\"register\">register</a>"
            html += "<tr><td>\(r.gateway)</td><td>\(r.reason)</td><td class=\"num\">\(r.attempts)</td><td>\(TimeFormat.local(r.lastAttempt, in: zone, seconds: true)) (\(TimeFormat.ago(r.lastAttempt, now: now)))</td><td>\(action)</td></tr>"
        }
        return html + "</table>"
    }

    /// The dashboard's list of gateways the readings rate limited recently.
    static func rateLimited(_ limited: [GatewayRefusal], zone: TimeZoneRules, now: Int64) -> HTML {
        guard !limited.isEmpty else { return HTML() }
        var html: HTML = "<h2>Rate-limited gateways</h2><table id=\"rate-limited\"><tr><th>Gateway</th><th class=\"num\">Reports refused</th><th>Last</th><th>Limit</th></tr>"
        for r in limited {
            html += "<tr><td><a href=\"/gateways/\(r.gateway)\">\(r.gateway)</a></td><td class=\"num\">\(r.attempts)</td><td>\(TimeFormat.local(r.lastAttempt, in: zone, seconds: true)) (\(TimeFormat.ago(r.lastAttempt, now: now)))</td><td>\(r.reason)</td></tr>"
        }
        return html + "</table>"
    }

    static func limits(
        _ l: ProviderLimits, statistics: StoreStatistics, gateways: Int, limited: [GatewayRefusal], zone: TimeZoneRules, now: Int64, context: AdminRequestContext, flash: HTML
    ) -> HTML {
        func number(_ value: Double?) -> String {
            guard let value else { return "" }
            return value == value.rounded() ? String(Int64(value)) : String(value)
        }
        let size = statistics.sizeBytes.map { bytes -> String in
            let figure = bytes >= 1 << 30 ? "\(bytes / (1 << 20)) MiB" : bytes >= 1 << 20 ? "\((bytes * 10 / (1 << 20)) / 10) MiB" : "\(bytes / 1024) KiB"
            return statistics.sizeIsEstimate ? "about \(figure) (one copy, as the database estimates it)" : figure
        } ?? "not estimated yet (the database estimates sizes every few minutes)"
        let oldest = statistics.oldestReading.map { TimeFormat.local($0, in: zone) } ?? "none"
        var html: HTML = flash + """
            <p id="store-statistics">Store size: <strong id="store-size">\(size)</strong> · oldest reading kept:
            <strong id="oldest-reading">\(oldest)</strong> · gateways: <strong>\(gateways)</strong></p>
            <form method="post" action="/limits" class="stack" id="limits"><fieldset\(Pages.readOnly(context))>
              \(Pages.csrfField(context))
              <label>Maximum gateways <span>registration and first contact are refused beyond it; empty or 0: no limit</span>
                <input name="max_gateways" type="number" min="0" value="\(l.maxGateways.map(String.init) ?? "")"></label>
              <label>Readings per second per gateway <span>over it a report is answered nack code="rate-limited" (the gateway resends it later); empty or 0: no limit</span>
                <input name="readings_per_second" type="number" min="0" step="any" value="\(number(l.readingsPerSecond))"></label>
              <label>Burst (readings) <span>how many a gateway may send at once above the rate; empty: five seconds' worth</span>
                <input name="readings_burst" type="number" min="0" step="any" value="\(number(l.readingsBurst))"></label>
              <label>Keep raw readings (days) <span>older readings are deleted in the background; empty or 0: forever</span>
                <input name="retention_days" type="number" min="0" value="\(l.retentionDays.map(String.init) ?? "")"></label>
              <label>Keep hourly rollups (days) <span>charts and reports of older months use them; at least as long as raw readings; empty or 0: forever</span>
                <input name="rollup_retention_days" type="number" min="0" value="\(l.rollupRetentionDays.map(String.init) ?? "")"></label>
              <button>Save limits</button>
            </fieldset></form>
            """
        if !limited.isEmpty { html += rateLimited(limited, zone: zone, now: now) }
        return html
    }
}
