import FoundationEssentials
import Hummingbird
import TenantAuth
import TenantStorage

/// Sign in, sign out, change password, API token.
struct AuthController {
    let services: AdminServices
    static let sessionLifetime: Int64 = 12 * 3_600_000
    /// Verified against when the name is unknown, so both cases cost the same time.
    static let decoyHash = (try? PasswordHasher.hash(SecretGenerator.token())) ?? ""

    func register(on open: RouterGroup<AdminRequestContext>, signedIn: RouterGroup<AdminRequestContext>) {
        open.get("/login") { request, context in
            if context.staff != nil { return HTML.redirect("/") }
            return Pages.page("Sign in", context: context, Views.login(context: context, next: try request.query.text("next"), message: nil))
        }
        open.post("/login") { request, context in try await login(request, context) }
        signedIn.post("/logout") { request, context in
            if let hash = context.sessionHash { try await services.store.deleteSession(idHash: hash) }
            services.logger.info("staff signed out", metadata: ["staff": "\(context.staff ?? "")"])
            var response = HTML.redirect("/login")
            response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: context.isSecure, httpOnly: true, sameSite: .lax))
            return response
        }
        signedIn.get("/account") { request, context in
            let account = try await services.store.staffAccount(name: context.staff ?? "")
            return Pages.page("Account", context: context, Views.account(context: context, hasToken: account?.hasAPIToken ?? false, newToken: nil, flash: Pages.flash(try request.query)))
        }
        signedIn.post("/account/password") { request, context in try await changePassword(context) }
        signedIn.post("/account/token") { request, context in
            let staff = context.staff ?? ""
            if context.form["action"] == "revoke" {
                _ = try await services.store.setAPITokenHash(name: staff, hash: nil)
                services.logger.info("API token revoked", metadata: ["staff": "\(staff)"])
                return HTML.redirect("/account?ok=API+token+revoked")
            }
            let token = SecretGenerator.token()
            _ = try await services.store.setAPITokenHash(name: staff, hash: SHA256.hex(token))
            services.logger.info("API token created", metadata: ["staff": "\(staff)"])
            return Pages.page("Account", context: context, Views.account(context: context, hasToken: true, newToken: token, flash: ""))
        }
    }

    /// Only local paths: no open redirect to another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/login") else { return "/" }
        return next
    }

    func login(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let form = context.form
        let name = form.text("username") ?? ""
        let password = form["password"] ?? ""
        let next = Self.safeNext(form.text("next"))
        let now = services.nowMillis
        let client: String
        switch context.remoteAddress?.ipAddress { case .some(let ip): client = ip; case .none: client = "local" }
        let key = client + "|" + name.lowercased()
        guard await services.limiter.allows(key, now: now) else {
            services.logger.info("sign-in rate limited", metadata: ["staff": "\(name.prefix(64))", "client": "\(client)"])
            return Pages.page("Sign in", context: context, status: .tooManyRequests,
                              Views.login(context: context, next: next, message: "Too many failed attempts. Wait 15 minutes and try again."))
        }
        let account = try await services.store.staffAccount(name: name)
        // The decoy hash is computed (once, slowly) on the blocking queue too.
        let valid = try await Blocking.run { PasswordHasher.verify(password, against: account?.passwordHash ?? Self.decoyHash) }
        guard let account, valid, !password.isEmpty else {
            await services.limiter.recordFailure(key, now: now)
            services.metrics.loginFailures.increment()
            services.logger.info("sign-in refused", metadata: ["staff": "\(name.prefix(64))", "client": "\(client)"])
            return Pages.page("Sign in", context: context, status: .unauthorized,
                              Views.login(context: context, next: next, message: "Wrong name or password."))
        }
        await services.limiter.recordSuccess(key)
        services.logger.info("staff signed in", metadata: ["staff": "\(account.name)", "client": "\(client)"])
        return try await startSession(for: account.name, context: context, redirect: next)
    }

    func startSession(for staff: String, context: AdminRequestContext, redirect: String) async throws -> Response {
        let id = SecretGenerator.token()
        let now = services.nowMillis
        try await services.store.createSession(StaffSession(idHash: SHA256.hex(id), staff: staff, createdAt: now, expiresAt: now + Self.sessionLifetime))
        var response = HTML.redirect(redirect)
        response.setCookie(
            Cookie(name: SessionMiddleware.cookieName, value: id, maxAge: Int(Self.sessionLifetime / 1000), path: "/",
                   secure: context.isSecure, httpOnly: true, sameSite: .lax))
        return response
    }

    func changePassword(_ context: AdminRequestContext) async throws -> Response {
        let staff = context.staff ?? ""
        let form = context.form
        guard let account = try await services.store.staffAccount(name: staff) else { throw AdminError(.notFound, "account not found") }
        let current = form["current"] ?? ""
        let valid = try await Blocking.run { PasswordHasher.verify(current, against: account.passwordHash) }
        guard valid else { throw AdminError.badRequest("the current password is wrong") }
        let new = form["new"] ?? ""
        guard new.count >= 10 else { throw AdminError.badRequest("the new password needs at least 10 characters") }
        guard new == form["confirm"] else { throw AdminError.badRequest("the new password and its confirmation differ") }
        let hash = try await Blocking.run { try PasswordHasher.hash(new) }
        _ = try await services.store.setPassword(name: staff, passwordHash: hash)
        // Every other session of this account ends; this browser gets a fresh one.
        try await services.store.deleteSessions(staff: staff)
        services.logger.info("password changed", metadata: ["staff": "\(staff)"])
        return try await startSession(for: staff, context: context, redirect: "/account?ok=Password+changed")
    }
}
