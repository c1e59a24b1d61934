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
            // Mails queued while there was no server to send them to can go now.
            services.outboxDoorbell.ring()
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
