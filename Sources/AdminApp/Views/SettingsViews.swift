import TenantMailer

extension Views {
    static func mailServer(_ m: MailServerSettings, fallback: SMTPConfiguration?, context: AdminRequestContext) -> HTML {
        let current: HTML
        if !m.url.isEmpty {
            current = "Mails go to this provider's server \(m.url) from \(m.from)."
        } else if let fallback {
            current = "Mails go to the platform's server \(fallback.url) from \(fallback.from) unless you set one here."
        } else {
            current = "No mail server is set: mails stay queued until you set one here."
        }
        return """
            <h2 id="mail-server">Mail server</h2>
            <p class="muted" id="mail-server-state">\(current)</p>
            <form method="post" action="/settings/mail" class="stack">
              \(Pages.csrfField(context))
              <label>Server <span>smtp://host:587 (STARTTLS when the server offers it) or smtps://host:465; empty: the platform's server</span>
                <input name="smtp_url" value="\(m.url)" placeholder="smtp://mail.example.com:587"></label>
              <label>Sender address <input name="mail_from" type="email" value="\(m.from)"></label>
              <label>Login name <span>optional</span><input name="smtp_user" value="\(m.user)" autocomplete="off"></label>
              <label>Password <span>\(m.password.isEmpty ? "none stored" : "one is stored; leave empty to keep it")</span>
                <input name="smtp_password" type="password" autocomplete="new-password"></label>
              <label><span>Stored password</span><input name="clear_password" type="checkbox" value="1"> remove it</label>
              <label><span>Encryption</span><input name="smtp_require_tls" type="checkbox" value="true"\(m.requireTLS ? " checked" : "")> refuse to send over smtp:// without STARTTLS</label>
              <button>Save mail server</button>
            </form>
            """
    }

    static func settings(_ s: AdminSettings, context: AdminRequestContext, flash: HTML) -> HTML {
        let frequencies = AdminSettings.ReportFrequency.allCases.map { frequency -> HTML in "<option\(frequency == s.reportFrequency ? " selected" : "")>\(frequency.rawValue)</option>" }.joined()
        return flash + """
            <form method="post" action="/settings" class="stack">
              \(Pages.csrfField(context))
              <label>Offline threshold (minutes) <span>a gateway without a report for this long is offline</span>
                <input name="offline_threshold_minutes" type="number" min="1" max="10080" value="\(s.offlineThresholdMinutes)"></label>
              <label>Low-production alert (%) <span>alert when a daylight hour yields less than this share of the gateway's best hour of the last 14 days; 0 turns it off</span>
                <input name="low_production_percent" type="number" min="0" max="100" value="\(s.lowProductionPercent)"></label>
              <label>Report schedule <select name="report_frequency">\(frequencies)</select></label>
              <label>Report hour (0–23, local) <span>weekly reports go out on Mondays</span>
                <input name="report_hour" type="number" min="0" max="23" value="\(s.reportHour)"></label>
              <label>Time zone <span>IANA name, e.g. Europe/Berlin; used for days, charts and the schedule</span>
                <input name="time_zone" value="\(s.timeZoneID)"></label>
              <label>Alert recipients (staff) <span>get every alert, besides each customer's own recipients</span>
                <input name="alert_recipients" value="\(s.alertRecipients.joined(separator: ", "))"></label>
              <label><span>Gateway keys</span><select name="gateway_keys_required">
                <option value="false"\(s.gatewayKeysRequired ? "" : " selected")>not required</option>
                <option value="true"\(s.gatewayKeysRequired ? " selected" : "")>required: gateways without a valid key are refused</option></select></label>
              <button>Save settings</button>
            </form>
            """
    }
}
