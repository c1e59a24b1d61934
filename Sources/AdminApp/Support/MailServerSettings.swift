import TenantMailer
import TenantModel

/// The provider's own mail server, set by its staff on the settings page and stored with
/// the other settings. When none is set, the server tenant-admin was started with
/// (`--smtp-url`, `TENANT_SMTP_*`) is used; with neither, mails stay queued.
struct MailServerSettings: Sendable, Hashable {
    enum Key {
        static let url = "smtp_url"
        static let user = "smtp_user"
        static let password = "smtp_password"
        static let from = "mail_from"
        static let requireTLS = "smtp_require_tls"
        static let all = [url, user, password, from, requireTLS]
    }

    var url = ""
    var user = ""
    /// Never rendered into a page or a log.
    var password = ""
    var from = ""
    var requireTLS = false

    init(stored: [String: String]) {
        url = stored[Key.url] ?? ""
        user = stored[Key.user] ?? ""
        password = stored[Key.password] ?? ""
        from = stored[Key.from] ?? ""
        requireTLS = stored[Key.requireTLS] == "true"
    }

    /// The provider's server if it set one, else `fallback`.
    func configuration(fallback: SMTPConfiguration?) -> SMTPConfiguration? {
        guard !url.isEmpty else { return fallback }
        return SMTPConfiguration(
            url: url, username: user.isEmpty ? nil : user, password: password.isEmpty ? nil : password, from: from, requireTLS: requireTLS)
    }

    /// The values a mail-server form stores; the error names the field. An empty URL goes
    /// back to the platform's server; an empty password keeps the stored one.
    static func stored(form: FormData, current: MailServerSettings) throws(AdminError) -> [String: String] {
        let url = form.text("smtp_url") ?? ""
        guard !url.isEmpty else { return Dictionary(uniqueKeysWithValues: Key.all.map { ($0, "") }) }
        guard isServerURL(url) else {
            throw .badRequest("mail server must be smtp://HOST[:PORT] or smtps://HOST[:PORT]", field: "smtp_url")
        }
        guard let from = form.text("mail_from"), AdminSettings.isAddress(from) else {
            throw .badRequest("a sender address (name@example.com) is needed with a mail server", field: "mail_from")
        }
        let user = form.text("smtp_user") ?? ""
        let newPassword = form["smtp_password"] ?? ""
        for (field, name, value) in [("login name", "smtp_user", user), ("password", "smtp_password", newPassword)] where value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw .badRequest("the \(field) must not contain control characters", field: name)
        }
        guard user.utf8.count <= 256, newPassword.utf8.count <= 256 else { throw .badRequest("login name and password are limited to 256 bytes", field: "smtp_user") }
        let password = form["clear_password"] == "1" ? "" : (newPassword.isEmpty ? current.password : newPassword)
        return [
            Key.url: url, Key.from: from, Key.user: user, Key.password: password,
            Key.requireTLS: form["smtp_require_tls"] == "true" ? "true" : "false",
        ]
    }

    /// `smtp://` or `smtps://`, a host name or address, an optional port, nothing else.
    static func isServerURL(_ text: String) -> Bool {
        let rest: Substring
        if text.hasPrefix("smtp://") { rest = text.dropFirst(7) } else if text.hasPrefix("smtps://") { rest = text.dropFirst(8) } else { return false }
        guard let address = try? HostPort(parsing: String(rest), defaultPort: 25), address.host.count <= 253 else { return false }
        if rest.hasPrefix("[") { return address.host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        return address.host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }
    }
}
