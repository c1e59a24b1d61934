import FoundationEssentials
import Hummingbird
import Logging
import TenantAuth
import TextFormat

/// Conservative headers on every response: no framing, no sniffing, only our own resources.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns thrown errors into clear 4xx pages or JSON bodies; anything unexpected is logged
/// and becomes a 500 without details (they may contain paths or SQL).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isAPI = request.uri.path.hasPrefix("/api/")
        do {
            return try await next(request, context)
        } catch let error as AdminError {
            return isAPI ? JSONResponse.error(error.status, error.message) : Pages.error(error, context: context)
        } catch let busy as PasswordHashingBusy {
            let adminError = AdminError(.serviceUnavailable, busy.description)
            var response = isAPI ? JSONResponse.error(adminError.status, adminError.message) : Pages.error(adminError, context: context)
            response.headers[.retryAfter] = "1"
            return response
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such page" : error.status.reasonPhrase)
            let adminError = AdminError(error.status, message)
            return isAPI ? JSONResponse.error(error.status, message) : Pages.error(adminError, context: context)
        } catch {
            logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            let adminError = AdminError(.internalServerError, "internal error; the log has details")
            return isAPI ? JSONResponse.error(.internalServerError, adminError.message) : Pages.error(adminError, context: context)
        }
    }
}

/// Errors of signed-in pages, rendered inside the session so the page keeps its navigation
/// (the outer ``ErrorMiddleware`` runs before anyone is known to be signed in).
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AdminError {
            return Pages.error(error, context: context)
        }
    }
}

/// CSRF protection for forms (double-submit): a random token lives in an HttpOnly,
/// SameSite=Strict cookie and in a hidden field of every form; a POST whose field does
/// not match the cookie is refused with 403. Another site can neither read the cookie
/// nor make the browser send it cross-site.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    static let cookieName = "tc_csrf"
    let services: AdminServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.isSecure = services.configuration.secureCookies || request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
        let cookieToken = request.cookies[Self.cookieName]?.value
        if request.method == .post {
            let form = try await request.formData()
            guard let cookieToken, let sent = form["csrf"], Self.constantTimeEqual(cookieToken, sent) else {
                throw AdminError(.forbidden, "the form's security token is missing or stale; reload the page and try again")
            }
            context.form = form
        }
        let token = cookieToken.flatMap { $0.count == 64 && $0.allSatisfy(\.isHexDigit) ? $0 : nil } ?? SecretGenerator.token()
        context.csrfToken = token
        var response = try await next(request, context)
        if cookieToken != token {
            response.setCookie(
                Cookie(name: Self.cookieName, value: token, path: "/", secure: context.isSecure, httpOnly: true, sameSite: .strict))
        }
        return response
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Pages need a session: the cookie holds a random id, the store its SHA-256.
/// Without a valid one, a 303 to the sign-in page.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    static let cookieName = "tc_session"
    let services: AdminServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let id = request.cookies[Self.cookieName]?.value, id.count == 64 {
            let hash = SHA256.hex(id)
            // The account's role is read with every request: a role change or removal
            // applies at once, not at the next sign-in.
            if let session = try await services.store.session(idHash: hash, now: services.nowMillis),
                let account = try await services.store.staffAccount(name: session.staff)
            {
                context.staff = session.staff
                context.role = account.role
                context.sessionHash = hash
            }
        }
        guard context.staff != nil else {
            var next = request.uri.path
            if let query = request.uri.query, !query.isEmpty { next += "?" + query }
            let target = request.method == .get && next != "/" ? "/login?next=" + next.percentEncoded : "/login"
            return Response(status: .seeOther, headers: [.location: target])
        }
        return try await next(request, context)
    }
}

/// The API takes `Authorization: Bearer TOKEN`; the store keeps each staff member's
/// token as a SHA-256 (tokens are 256 random bits, so a fast hash is enough).
struct APITokenMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let services: AdminServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            return JSONResponse.error(.unauthorized, "missing API token: send Authorization: Bearer TOKEN (create one on your account page)")
        }
        let token = header.dropFirst("bearer ".count).trimmed
        guard token.count == 64, let account = try await services.store.staffAccount(apiTokenHash: SHA256.hex(token)) else {
            return JSONResponse.error(.unauthorized, "invalid API token")
        }
        var context = context
        context.staff = account.name
        context.role = account.role
        return try await next(request, context)
    }
}

/// Counts every answered request by matched route and status, and times it, for `/metrics`.
struct MetricsCountingMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let metrics: AdminMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(context, status: response.status.code, since: start)
            return response
        } catch let error as any HTTPResponseError {
            record(context, status: error.status.code, since: start)
            throw error
        } catch {
            record(context, status: 500, since: start)
            throw error
        }
    }

    private func record(_ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        // The route pattern, not the path: ids in paths would grow the series without bound.
        // Hummingbird names a request no route matched "NotFound"; ours says "unmatched".
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        metrics.request(
            route: route, status: status,
            nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

/// Applies ``AccessPolicy`` to a signed-in request (after the session or token is known).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let services: AdminServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let role = context.role else { throw AdminError(.forbidden, "not signed in") }
        let isAPI = request.uri.path.hasPrefix("/api/")
        // Customer logins are for the panel; the API is the provider's staff's.
        if isAPI, case .customer = role { return JSONResponse.error(.forbidden, "customer logins have no API access") }
        func refuse(_ message: String) -> Response {
            isAPI ? JSONResponse.error(.forbidden, message) : Pages.error(AdminError(.forbidden, message), context: context)
        }
        switch AccessPolicy.decide(request.method, path: request.uri.path, query: try request.query, role: role) {
        case .allow:
            return try await next(request, context)
        case .deny(let message):
            return refuse(message)
        case .redirect(let target):
            return Response(status: .seeOther, headers: [.location: target])
        case .allowIfGatewayOf(let customer, let gateway):
            // The same answer for someone else's gateway and for none: ids are not probed.
            guard try await services.store.gateway(id: gateway)?.customerID == customer else { return refuse("this page is not part of your account") }
            return try await next(request, context)
        }
    }
}
