import TenantMailer

extension Views {
    static let mailFieldNames = ["smtp_url", "mail_from", "smtp_user", "smtp_password"]

    static func mailServer(_ m: MailServerSettings, fallback: SMTPConfiguration?, context: AdminRequestContext, form: FormState = .fresh) -> HTML {
        let current: HTML
        if !m.url.isEmpty {
            current = "Mails go to this provider's server \(m.url) from \(m.from)."
        } else if let fallback {
            current = "Mails go to the platform's server \(fallback.url) from \(fallback.from) unless you set one here."
        } else {
            current = "No mail server is set: mails stay queued until you set one here."
        }
        let requireTLS = form.values.map { $0["smtp_require_tls"] == "true" } ?? m.requireTLS
        return """
            <h2 id="mail-server">Mail server</h2>
            <p class="muted" id="mail-server-state">\(current)</p>
            \(form.general(fields: mailFieldNames))
            <form method="post" action="/settings/mail" class="stack" id="mail-server-form"><fieldset\(Pages.readOnly(context))>
              \(Pages.csrfField(context))
              \(form.input("smtp_url", "Server", hint: "smtp://host:587 (STARTTLS when the server offers it) or smtps://host:465; empty: the platform's server", stored: m.url, attributes: " placeholder=\"smtp://mail.example.com:587\""))
              \(form.input("mail_from", "Sender address", stored: m.from, attributes: " type=\"email\""))
              \(form.input("smtp_user", "Login name", hint: "optional", stored: m.user, attributes: " autocomplete=\"off\""))
              <label>Password <span>\(m.password.isEmpty ? "none stored" : "one is stored; leave empty to keep it")</span>
                <input name="smtp_password" type="password" autocomplete="new-password"\(form.invalid("smtp_password"))>\(form.problem("smtp_password"))</label>
              <label><span>Stored password</span><input name="clear_password" type="checkbox" value="1"> remove it</label>
              <label><span>Encryption</span><input name="smtp_require_tls" type="checkbox" value="true"\(requireTLS ? " checked" : "")> refuse to send over smtp:// without STARTTLS</label>
              <button>Save mail server</button>
            </fieldset></form>
            """
    }

    /// "Send test mail": one mail now, through the server the outbox uses.
    static func testMail(context: AdminRequestContext, form: FormState = .fresh) -> HTML {
        guard context.canChange else { return HTML() }
        return """
        <h2 id="test-mail">Send a test mail</h2>
        <form method="post" action="/settings/test-mail" class="stack" id="test-mail-form">
          \(Pages.csrfField(context))
          \(form.input("to", "To", hint: "sent at once through the mail server above; the answer shows here", stored: "", attributes: " type=\"email\" required"))
          <button>Send test mail</button>
        </form>
        """
    }

    /// Where the provider's gateways send their reports, as tenantctl set it up.
    static func gatewayConnection(_ address: String?) -> HTML {
        let text: HTML = address.map { address -> HTML in "Gateways connect to <code id=\"gateway-address\">\(address)</code> (host and port to configure on each gateway)." }
            ?? "<span id=\"gateway-address-unknown\">Not known to the panel: tenantctl passes it as TENANT_GATEWAY_ADDRESS (see <code>tenantctl status</code>).</span>"
        return "<h2 id=\"gateway-connection\">Gateway connection</h2><p>\(text)</p>"
    }

    static let settingsFieldNames = ["offline_threshold_minutes", "low_production_percent", "report_frequency", "report_hour", "time_zone", "alert_recipients", "gateway_keys_required"]

    static func settings(_ s: AdminSettings, context: AdminRequestContext, flash: HTML, form: FormState = .fresh) -> HTML {
        let frequency = form.value("report_frequency", s.reportFrequency.rawValue)
        let frequencies = AdminSettings.ReportFrequency.allCases.map { option -> HTML in "<option\(option.rawValue == frequency ? " selected" : "")>\(option.rawValue)</option>" }.joined()
        let keys = form.value("gateway_keys_required", s.gatewayKeysRequired ? "true" : "false") == "true"
        return flash + form.general(fields: settingsFieldNames) + """
            <form method="post" action="/settings" class="stack" id="settings-form"><fieldset\(Pages.readOnly(context))>
              \(Pages.csrfField(context))
              \(form.input("offline_threshold_minutes", "Offline threshold (minutes)", hint: "a gateway without a report for this long is offline", stored: String(s.offlineThresholdMinutes), attributes: " type=\"number\" min=\"1\" max=\"10080\""))
              \(form.input("low_production_percent", "Low-production alert (%)", hint: "alert when a daylight hour yields less than this share of the gateway's best hour of the last 14 days; 0 turns it off", stored: String(s.lowProductionPercent), attributes: " type=\"number\" min=\"0\" max=\"100\""))
              <label>Report schedule <select name="report_frequency"\(form.invalid("report_frequency"))>\(frequencies)</select>\(form.problem("report_frequency"))</label>
              \(form.input("report_hour", "Report hour (0–23, local)", hint: "weekly reports go out on Mondays", stored: String(s.reportHour), attributes: " type=\"number\" min=\"0\" max=\"23\""))
              \(form.input("time_zone", "Time zone", hint: "IANA name, e.g. Europe/Berlin; used for days, charts and the schedule", stored: s.timeZoneID))
              \(form.input("alert_recipients", "Alert recipients (staff)", hint: "get every alert, besides each customer's own recipients", stored: s.alertRecipients.joined(separator: ", ")))
              <label><span>Gateway keys</span><select name="gateway_keys_required">
                <option value="false"\(keys ? "" : " selected")>not required</option>
                <option value="true"\(keys ? " selected" : "")>required: gateways without a valid key are refused</option></select></label>
              <button>Save settings</button>
            </fieldset></form>
            """
    }
}
