import FoundationEssentials
import Hummingbird
import TenantAuth
import TenantMailer

/// The provider's customizations.
struct SettingsController {
    let services: AdminServices

    /// Which of the page's forms a refused post shows again.
    struct Forms: Sendable {
        var settings = FormState.fresh
        var mail = FormState.fresh
        var testMail = FormState.fresh
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/settings") { request, context in
            try await page(request, context, flash: Pages.flash(try request.query), forms: Forms())
        }
        router.post("/settings/mail") { request, context in
            try await FormPost.handle(context) {
                let current = MailServerSettings(stored: services.secrets.open(try await services.store.settings()))
                let values = try MailServerSettings.stored(form: context.form, current: current)
                try await services.store.setSettings(try services.secrets.seal(values))
                // Mails queued while there was no server to send them to can go now.
                services.outboxDoorbell.ring()
                // Never the password: only whether one is stored.
                services.logger.info(
                    "mail server changed",
                    metadata: ["staff": "\(context.staff ?? "")", "smtp.url": "\(values[MailServerSettings.Key.url] ?? "")", "smtp.password_set": "\(!(values[MailServerSettings.Key.password] ?? "").isEmpty)"])
                return HTML.redirect("/settings?ok=Mail+server+saved#mail-server")
            } rerender: { state in
                try await page(request, context, flash: HTML(), forms: Forms(mail: state))
            }
        }
        router.post("/settings/test-mail") { request, context in
            try await FormPost.handle(context) {
                let to = try context.form.required("to", label: "an address", field: "to")
                guard AdminSettings.isAddress(to) else { throw AdminError.badRequest("'\(to)' is not a mail address", field: "to") }
                try await sendTestMail(to: to, staff: context.staff ?? "")
                return HTML.redirect("/settings?ok=Test+mail+accepted+by+the+mail+server#test-mail")
            } rerender: { state in
                try await page(request, context, flash: HTML(), forms: Forms(testMail: state))
            }
        }
        router.post("/settings") { request, context in
            try await FormPost.handle(context) {
                let settings = try AdminSettings(form: context.form)
                try await services.store.setSettings(settings.stored)
                services.logger.info("settings changed", metadata: ["staff": "\(context.staff ?? "")", "gateway_keys_required": "\(settings.gatewayKeysRequired)"])
                return HTML.redirect("/settings?ok=Settings+saved")
            } rerender: { state in
                try await page(request, context, flash: HTML(), forms: Forms(settings: state))
            }
        }
    }

    func page(_ request: Request, _ context: AdminRequestContext, flash: HTML, forms: Forms) async throws -> Response {
        let stored = try await services.store.settings()
        let mail = MailServerSettings(stored: services.secrets.open(stored))
        return Pages.page(
            "Settings", context: context, active: "Settings",
            Views.settings(AdminSettings(stored: stored), context: context, flash: flash, form: forms.settings)
                + Views.mailServer(mail, fallback: services.configuration.smtp, context: context, form: forms.mail)
                + Views.testMail(context: context, form: forms.testMail)
                + Views.gatewayConnection(services.gatewayAddress(requestHost: request.head.authority)))
    }

    /// Sends one mail now through the server the outbox would use, so staff see at once
    /// whether the settings work; a refusal is shown next to the address (never a password).
    func sendTestMail(to: String, staff: String) async throws {
        let delivery = mailDelivery(
            store: services.store, secrets: services.secrets, fallback: services.configuration.smtp, executable: services.configuration.mailDeliveryExecutable)
        guard let (transport, from) = try await delivery() else {
            throw AdminError(.unprocessableContent, "no mail server is set: set one below first", field: "to")
        }
        let now = services.configuration.now()
        let html: HTML = "<html><body><p>This is a test mail sent by \(staff) from the admin panel. Reports and alerts use the same server.</p></body></html>"
        let message = MailMessage(
            from: from, to: [to], subject: "Test mail from tenantctl (\(services.configuration.provider))",
            text: "This is a test mail sent by \(staff) from the admin panel. Reports and alerts use the same server.\n",
            html: html.markup,
            messageID: "test-\(TimeFormat.millis(now)).\(SecretGenerator.token().prefix(8))@tenantctl", date: now)
        do {
            try await transport.send(message.rendered(), from: from, to: [to])
        } catch {
            services.logger.info("test mail failed", metadata: ["staff": "\(staff)", "error": "\(error)"])
            throw AdminError(.unprocessableContent, "the mail server refused the test mail: \(error)", field: "to")
        }
        services.logger.info("test mail sent", metadata: ["staff": "\(staff)"])
    }
}
