import FoundationEssentials
import Hummingbird
import TenantAuth
import TenantStorage

/// Sign in, sign out, change password, API token.
struct AuthController {
    let services: AdminServices
    static let sessionLifetime: Int64 = 12 * 3_600_000

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
        signedIn.post("/account/password") { request, context in
            try await FormPost.handle(context) {
                try await changePassword(context)
            } rerender: { state in
                let account = try await services.store.staffAccount(name: context.staff ?? "")
                return Pages.page("Account", context: context, Views.account(context: context, hasToken: account?.hasAPIToken ?? false, newToken: nil, flash: "", form: state))
            }
        }
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
        let client = services.configuration.trustedProxies.client(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .init("X-Forwarded-For")!])
        let knownDevice = services.deviceCookie.proves(request.cookies[DeviceCookie.name]?.value, account: name)
        // The slot is taken before the slow hash, so parallel attempts count at once.
        let ticket: LoginLimiter.Ticket
        switch await services.limiter.reserve(account: name, address: client, knownDevice: knownDevice, now: services.nowMillis) {
        case .granted(let granted): ticket = granted
        case .refused(let reason, let retryAfter):
            services.metrics.loginFailures.increment()
            services.logger.info("sign-in rate limited", metadata: ["staff": "\(name.prefix(64))", "client": "\(client)", "limit": "\(reason)"])
            let minutes = max(1, (retryAfter + 59_999) / 60_000)
            let message = reason == .account
                ? "Too many failed attempts for this name. Wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again."
                : "Too many failed sign-ins from your network. Wait \(minutes) minute\(minutes == 1 ? "" : "s"), or use a browser that has signed in to this account before."
            var response = Pages.page("Sign in", context: context, status: .tooManyRequests, Views.login(context: context, next: next, message: message))
            response.headers[.retryAfter] = String(max(1, (retryAfter + 999) / 1000))
            return response
        }
        let valid: Bool
        let account: StaffAccount?
        do {
            account = try await services.store.staffAccount(name: name)
            // An unknown name is checked against a decoy: it costs the same time.
            valid = try await services.passwords.verify(password, against: account?.passwordHash)
        } catch let busy as PasswordHashingBusy {
            await services.limiter.finish(ticket, outcome: .notEvaluated, now: services.nowMillis)
            services.logger.warning("sign-in refused: password hashing busy", metadata: ["client": "\(client)"])
            var response = Pages.page("Sign in", context: context, status: .serviceUnavailable, Views.login(context: context, next: next, message: "\(busy)."))
            response.headers[.retryAfter] = "1"
            return response
        } catch {
            await services.limiter.finish(ticket, outcome: .notEvaluated, now: services.nowMillis)
            throw error
        }
        guard let account, valid, !password.isEmpty else {
            await services.limiter.finish(ticket, outcome: .failed, now: services.nowMillis)
            services.metrics.loginFailures.increment()
            services.logger.info("sign-in refused", metadata: ["staff": "\(name.prefix(64))", "client": "\(client)"])
            return Pages.page("Sign in", context: context, status: .unauthorized,
                              Views.login(context: context, next: next, message: "Wrong name or password."))
        }
        await services.limiter.finish(ticket, outcome: .succeeded, now: services.nowMillis)
        services.logger.info("staff signed in", metadata: ["staff": "\(account.name)", "client": "\(client)"])
        var response = try await startSession(for: account.name, context: context, redirect: next)
        response.setCookie(
            Cookie(name: DeviceCookie.name, value: services.deviceCookie.value(for: account.name), maxAge: DeviceCookie.maxAge, path: "/login",
                   secure: context.isSecure, httpOnly: true, sameSite: .strict))
        return response
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
        let valid = try await services.passwords.verify(current, against: account.passwordHash)
        guard valid else { throw AdminError.badRequest("the current password is wrong", field: "current") }
        let new = form["new"] ?? ""
        guard new.count >= 10 else { throw AdminError.badRequest("the new password needs at least 10 characters", field: "new") }
        guard new == form["confirm"] else { throw AdminError.badRequest("the new password and its confirmation differ", field: "confirm") }
        let hash = try await services.passwords.hash(new)
        _ = try await services.store.setPassword(name: staff, passwordHash: hash)
        // Every other session of this account ends; this browser gets a fresh one.
        try await services.store.deleteSessions(staff: staff)
        services.logger.info("password changed", metadata: ["staff": "\(staff)"])
        return try await startSession(for: staff, context: context, redirect: "/account?ok=Password+changed")
    }
}
