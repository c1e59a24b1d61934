import FoundationEssentials
import Hummingbird

/// The provider's customizations.
struct SettingsController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/settings") { request, context in
            Pages.page("Settings", context: context, active: "Settings", Views.settings(try await services.settings(), context: context, flash: Pages.flash(try request.query)))
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
