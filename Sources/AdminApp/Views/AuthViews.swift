/// Page bodies, as ``HTML``: every interpolated `String` is escaped on the way in.
enum Views {
    static func login(context: AdminRequestContext, next: String?, message: String?) -> HTML {
        """
        \(message.map { "<p class=\"error\">\($0)</p>" as HTML } ?? HTML())
        <form method="post" action="/login" class="stack">
          \(Pages.csrfField(context))
          <input type="hidden" name="next" value="\(next ?? "/")">
          <label>Name <input name="username" autocomplete="username" required autofocus></label>
          <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
          <button type="submit">Sign in</button>
        </form>
        """
    }

    /// Passwords are never written back into the form, only the message next to the field.
    static func account(context: AdminRequestContext, hasToken: Bool, newToken: String?, flash: HTML, form: FormState = .fresh) -> HTML {
        var tokenPart = HTML()
        if let newToken {
            tokenPart = "<p>Your new API token (shown only now; store it safely):</p><p class=\"secret\" id=\"api-token\">\(newToken)</p>"
        }
        let password: HTML = """
            \(flash)
            <h2>Change password</h2>
            \(form.general(fields: ["current", "new", "confirm"]))
            <form method="post" action="/account/password" class="stack" id="password-form">
              \(Pages.csrfField(context))
              <label>Current password <input name="current" type="password" autocomplete="current-password" required\(form.invalid("current"))>\(form.problem("current"))</label>
              <label>New password <span>at least 10 characters</span><input name="new" type="password" autocomplete="new-password" minlength="10" required\(form.invalid("new"))>\(form.problem("new"))</label>
              <label>Repeat new password <input name="confirm" type="password" autocomplete="new-password" required\(form.invalid("confirm"))>\(form.problem("confirm"))</label>
              <button type="submit">Change password</button>
            </form>
            """
        // Customer logins have no API access (see ``AccessPolicy``).
        if context.role?.customerID != nil { return password }
        return password + """
            <h2>API token</h2>
            <p class="muted">For scripts: <code>Authorization: Bearer TOKEN</code> on <code>/api/v1/…</code>. \(hasToken ? "You have a token; creating a new one replaces it." as HTML : "You have no token yet.")</p>
            \(tokenPart)
            <form method="post" action="/account/token" class="inline">\(Pages.csrfField(context))<button name="action" value="create">Create new token</button></form>
            \(hasToken ? "<form method=\"post\" action=\"/account/token\" class=\"inline\">\(Pages.csrfField(context))<button class=\"danger\" name=\"action\" value=\"revoke\">Revoke token</button></form>" as HTML : HTML())
            """
    }
}
