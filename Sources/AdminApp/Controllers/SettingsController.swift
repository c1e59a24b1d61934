import FoundationEssentials
import Hummingbird
import TenantMailer

/// The provider's customizations.
struct SettingsController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/settings") { request, context in
            let stored = try await services.store.settings()
            let mail = MailServerSettings(stored: services.secrets.open(stored))
            return Pages.page(
                "Settings", context: context, active: "Settings",
                Views.settings(AdminSettings(stored: stored), context: context, flash: Pages.flash(try request.query))
                    + Views.mailServer(mail, fallback: services.configuration.smtp, context: context))
        }
        router.post("/settings/mail") { _, context in
            let current = MailServerSettings(stored: services.secrets.open(try await services.store.settings()))
            let values = try MailServerSettings.stored(form: context.form, current: current)
            try await services.store.setSettings(try services.secrets.seal(values))
            // Never the password: only whether one is stored.
            services.logger.info(
                "mail server changed",
                metadata: ["staff": "\(context.staff ?? "")", "smtp.url": "\(values[MailServerSettings.Key.url] ?? "")", "smtp.password_set": "\(!(values[MailServerSettings.Key.password] ?? "").isEmpty)"])
            return HTML.redirect("/settings?ok=Mail+server+saved")
        }
        router.post("/settings") { _, context in
            let settings = try AdminSettings(form: context.form)
            try await services.store.setSettings(settings.stored)
            services.logger.info("settings changed", metadata: ["staff": "\(context.staff ?? "")", "gateway_keys_required": "\(settings.gatewayKeysRequired)"])
            return HTML.redirect("/settings?ok=Settings+saved")
        }
    }
}

extension Views {
    static func mailServer(_ m: MailServerSettings, fallback: SMTPConfiguration?, context: AdminRequestContext) -> String {
        let current: String
        if !m.url.isEmpty {
            current = "Mails go to this provider's server \(h(m.url)) from \(h(m.from))."
        } else if let fallback {
            current = "Mails go to the platform's server \(h(fallback.url)) from \(h(fallback.from)) unless you set one here."
        } else {
            current = "No mail server is set: mails stay queued until you set one here."
        }
        return """
            <h2 id="mail-server">Mail server</h2>
            <p class="muted" id="mail-server-state">\(current)</p>
            <form method="post" action="/settings/mail" class="stack">
              \(Pages.csrfField(context))
              <label>Server <span>smtp://host:587 (STARTTLS when the server offers it) or smtps://host:465; empty: the platform's server</span>
                <input name="smtp_url" value="\(h(m.url))" placeholder="smtp://mail.example.com:587"></label>
              <label>Sender address <input name="mail_from" type="email" value="\(h(m.from))"></label>
              <label>Login name <span>optional</span><input name="smtp_user" value="\(h(m.user))" autocomplete="off"></label>
              <label>Password <span>\(m.password.isEmpty ? "none stored" : "one is stored; leave empty to keep it")</span>
                <input name="smtp_password" type="password" autocomplete="new-password"></label>
              <label><span>Stored password</span><input name="clear_password" type="checkbox" value="1"> remove it</label>
              <label><span>Encryption</span><input name="smtp_require_tls" type="checkbox" value="true"\(m.requireTLS ? " checked" : "")> refuse to send over smtp:// without STARTTLS</label>
              <button>Save mail server</button>
            </form>
            """
    }

    static func settings(_ s: AdminSettings, context: AdminRequestContext, flash: String) -> String {
        let frequencies = AdminSettings.ReportFrequency.allCases.map { "<option\($0 == s.reportFrequency ? " selected" : "")>\($0.rawValue)</option>" }.joined()
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
                <input name="time_zone" value="\(h(s.timeZoneID))"></label>
              <label>Alert recipients (staff) <span>get every alert, besides each customer's own recipients</span>
                <input name="alert_recipients" value="\(h(s.alertRecipients.joined(separator: ", ")))"></label>
              <label><span>Gateway keys</span><select name="gateway_keys_required">
                <option value="false"\(s.gatewayKeysRequired ? "" : " selected")>not required</option>
                <option value="true"\(s.gatewayKeysRequired ? " selected" : "")>required: gateways without a valid key are refused</option></select></label>
              <button>Save settings</button>
            </form>
            """
    }
}
