import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TenantAuth
import TenantStorage
import TenantMailer
import Logging
@testable import AdminApp
import AdminTestSupport

@Suite struct RouterTests {
    static let pages = ["/", "/customers", "/customers/1", "/gateways", "/gateways/gw-1", "/gateways/gw-1/chart.svg", "/reports", "/settings", "/staff", "/account",
                        "/gateways/new", "/gateways/gw-1/delete", "/limits"]
    static let forms = ["/logout", "/account/password", "/account/token", "/customers", "/customers/1", "/customers/1/delete", "/gateways/assign",
                        "/gateways/gw-1/assign", "/gateways/gw-1/key", "/settings", "/settings/mail", "/staff", "/staff/bob/delete",
                        "/gateways/new", "/gateways/gw-1/disable", "/gateways/gw-1/delete", "/limits"]
    static let apis = ["/api/v1/gateways", "/api/v1/gateways/gw-1/readings?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z",
                       "/api/v1/customers", "/api/v1/reports/energy?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z",
                       "/api/v1/refusals", "/api/v1/limits"]

    /// Noon of a fixed day, so that fixtures have daylight.
    static let now = Date(timeIntervalSince1970: 1_795_953_600)  // 2026-11-29T12:00:00Z

    func seed(_ harness: Harness) async throws {
        let now = TimeFormat.millis(Self.now)
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-1", from: now - 2 * 86_400_000, to: now - 60_000)
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-old", readings: [], receivedAt: now - 86_400_000)])
        _ = try await harness.db.store.createCustomer(CustomerDraft(name: "Sunny Farm", recipients: ["farm@example.com"]), at: now)
    }

    @Test func openRoutesAnswerWithoutSession() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            // Metrics take an API token on this port (AdminMetricsTests).
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("name=\"csrf\""))
                #expect(response.headers[values: .setCookie].contains { $0.hasPrefix("tc_csrf=") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })
            }
            try await client.execute(uri: "/static/admin.css", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func pagesRedirectToLoginWithoutSession() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            for page in Self.pages {
                try await client.execute(uri: page, method: .get) { response in
                    #expect(response.status == .seeOther, "\(page)")
                    #expect(response.headers[.location]?.hasPrefix("/login") == true, "\(page)")
                }
            }
            var browser = Browser()
            for form in Self.forms {
                // With a valid CSRF token but no session: still to the login page, nothing changed.
                let response = try await browser.post(client, form, [("name", "x")])
                #expect(response.status == .seeOther, "\(form)")
                #expect(response.headers[.location] == "/login", "\(form)")
            }
        }
    }

    @Test func apiRefusesWithoutToken() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            for api in Self.apis {
                try await client.execute(uri: api, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(api)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    #expect(response.text.contains("\"error\""))
                }
            }
            try await client.execute(uri: "/api/v1/customers", method: .post, headers: [.authorization: "Bearer " + String(repeating: "a", count: 64)], body: ByteBuffer(string: "{}")) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func formsWithoutValidCSRFAreRefused() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.get(client, "/login")
            let noToken = try await browser.post(client, "/login", [("username", "admin"), ("password", Harness.password)], csrf: false)
            #expect(noToken.status == .forbidden)
            #expect(browser.cookies["tc_session"] == nil)
            let wrongToken = try await browser.post(client, "/login", [("csrf", String(repeating: "0", count: 64)), ("username", "admin"), ("password", Harness.password)], csrf: false)
            #expect(wrongToken.status == .forbidden)
            // No cookie at all (a cross-site form post): refused too.
            let crossSite = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: Browser.encode([("csrf", browser.csrf), ("username", "admin"), ("password", Harness.password)]))
            #expect(crossSite.status == .forbidden)

            try await browser.signIn(client)
            let before = try await harness.db.store.customers().count
            let signedInNoToken = try await browser.post(client, "/customers", [("name", "Mallory")], csrf: false)
            #expect(signedInNoToken.status == .forbidden)
            #expect(try await harness.db.store.customers().count == before)
        }
    }

    @Test func signInFailuresAndRateLimit() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            for _ in 0..<5 {
                let response = try await browser.post(client, "/login", [("username", "admin"), ("password", "wrong")])
                #expect(response.status == .unauthorized)
                #expect(response.text.contains("Wrong name or password"))
            }
            let limited = try await browser.post(client, "/login", [("username", "admin"), ("password", Harness.password)])
            #expect(limited.status == .tooManyRequests)
            #expect(browser.cookies["tc_session"] == nil)
            // Another account name from the same client is not locked out by these failures.
            let unknown = try await browser.post(client, "/login", [("username", "nobody"), ("password", "x")])
            #expect(unknown.status == .unauthorized)
        }
    }

    @Test func everyPageRendersSignedIn() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let dashboard = try await browser.get(client, "/")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("id=\"online\">1<"))
            #expect(dashboard.text.contains("id=\"offline\">1<"))
            #expect(dashboard.text.contains("id=\"unassigned\">2<"))
            #expect(dashboard.text.contains("gw-old"))
            let expectations: [(String, String)] = [
                ("/customers", "Sunny Farm"), ("/customers/1", "Sunny Farm"), ("/gateways", "gw-1"),
                ("/gateways/gw-1", "<svg"), ("/gateways/gw-1?range=week", "Power (W)"), ("/gateways/gw-1?range=month&end=2026-11-30", "Time (UTC)"),
                ("/gateways/gw-1/chart.svg?range=day", "</svg>"), ("/reports", "<form"), ("/reports?gateway=gw-1&from=2026-11-28&to=2026-11-29", "id=\"report\""),
                ("/reports?customer=1&from=2026-11-28&to=2026-11-28", "Report: Customer Sunny Farm"),
                ("/settings", "offline_threshold_minutes"), ("/staff", "admin"), ("/account", "API token"),
            ]
            for (uri, needle) in expectations {
                let response = try await browser.get(client, uri)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.text.contains(needle), "\(uri) lacks \(needle)")
            }
            let page = try await browser.get(client, "/gateways/gw-1")
            #expect(page.text.contains("inv-1") && page.text.contains("inv-2"))
            #expect(page.text.contains("id=\"energy-bars\""))
            // Bad input on pages: clear 4xx, never 500.
            for (uri, status) in [("/gateways/nope", HTTPResponse.Status.notFound), ("/customers/abc", .badRequest), ("/customers/999", .notFound),
                                  // The report form and the chart's range picker are shown again, as typed, with the message at the field.
                                  ("/gateways/gw-1?range=year", .unprocessableContent), ("/gateways/gw-1?end=2026-02-30", .unprocessableContent),
                                  ("/gateways/gw-1?from=2026-11-30&to=2026-11-01", .unprocessableContent), ("/gateways/gw-1?from=someday", .unprocessableContent),
                                  ("/reports?gateway=gw-1&from=yesterday", .unprocessableContent), ("/reports?customer=x", .unprocessableContent),
                                  ("/reports?gateway=gw-1&from=2026-11-29&to=2026-11-01", .unprocessableContent),
                                  ("/gateways?state=sideways", .unprocessableContent), ("/gateways?page=0", .unprocessableContent), ("/no/such/page", .notFound)] {
                let response = try await browser.get(client, uri)
                #expect(response.status == status, "\(uri)")
                // Signed-in error pages keep the navigation.
                if uri != "/no/such/page" { #expect(response.text.contains("<nav"), "\(uri)") }
            }
            let picked = try await browser.get(client, "/gateways/gw-1?from=2026-11-30&to=2026-11-01")
            #expect(picked.text.contains("value=\"2026-11-30\"") && picked.text.contains("value=\"2026-11-01\" aria-invalid=\"true\""))
            #expect(picked.text.contains("id=\"error-to\"") && picked.text.contains("<svg"), "the last 24 hours are drawn below the refused range")
            #expect(try await browser.get(client, "/gateways/gw-1/chart.svg?range=year").status == .badRequest, "the chart image has no form to show")
            let csv = try await browser.get(client, "/reports?gateway=gw-1&from=2026-11-28&to=2026-11-29&format=csv")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n")
            // UTF-8 with a byte order mark, so spreadsheets do not guess a legacy code page.
            #expect(Array(csv.body.readableBytesView.prefix(3)) == [0xEF, 0xBB, 0xBF])
            #expect(lines.first == "\u{FEFF}gateway,customer,day,energy_wh,peak_w")
            #expect(lines.count == 3)
        }
    }

    @Test func cookiesAreSecureBehindTLS() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .get, headers: [.init("X-Forwarded-Proto")!: "https"])
            let csrfCookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tc_csrf=") })
            #expect(csrfCookie.contains("Secure"))
            let csrf = String(csrfCookie.split(separator: ";")[0].dropFirst("tc_csrf=".count))
            let response = try await client.execute(
                uri: "/login", method: .post,
                headers: [.cookie: "tc_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded", .init("X-Forwarded-Proto")!: "https"],
                body: Browser.encode([("csrf", csrf), ("username", "admin"), ("password", Harness.password)]))
            #expect(response.status == .seeOther)
            let session = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("tc_session=") })
            #expect(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"))
            // Over plain HTTP without the flag the cookie is not Secure (it would never come back).
            let plain = try await client.execute(uri: "/login", method: .get)
            #expect(plain.headers[values: .setCookie].allSatisfy { !$0.contains("Secure") })
        }
    }

    @Test func dashboardShowsMailsThatKeepFailing() async throws {
        let harness = try Harness(now: Self.now)
        let store = harness.db.store
        #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:x", recipients: ["ops@example.com"], subject: "Stuck <mail>", textBody: "", htmlBody: "", createdAt: 0)))
        let id = try #require(try await store.dueMails(now: 0, limit: 1).first?.id)
        for _ in 0..<3 { try await store.markFailed(id: id, error: "smtp delivery failed: connection refused", nextAttemptAt: 0) }
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let dashboard = try await browser.get(client, "/")
            #expect(dashboard.text.contains("Mails that keep failing"))
            #expect(dashboard.text.contains("Stuck &lt;mail&gt;"))
            #expect(dashboard.text.contains("connection refused"))
        }
    }

    @Test func customersAssignmentKeysAndSettings() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let created = try await browser.post(client, "/customers", [("name", "Hill <Co>"), ("email", "hill@example.com"), ("recipients", "a@example.com, b@example.com")])
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let id = try #require(Int64(location.split(separator: "/").last!.split(separator: "?").first!))
            let detail = try await browser.get(client, "/customers/\(id)")
            #expect(detail.text.contains("Hill &lt;Co&gt;"))
            #expect(!detail.text.contains("Hill <Co>"))
            #expect(try await browser.post(client, "/customers", [("name", "")]).status == .unprocessableContent)
            #expect(try await browser.post(client, "/customers", [("name", "X"), ("email", "not-an-address")]).status == .unprocessableContent)

            #expect(try await browser.post(client, "/customers/\(id)", [("name", "Hill Co"), ("recipients", "c@example.com")]).status == .seeOther)
            #expect(try await harness.db.store.customer(id: id)?.recipients == ["c@example.com"])

            #expect(try await browser.post(client, "/gateways/assign", [("gateway", "gw-1"), ("customer", "\(id)"), ("site", "Barn roof"), ("return", "customer")]).status == .seeOther)
            let gateway = try #require(try await harness.db.store.gateway(id: "gw-1"))
            #expect(gateway.customerID == id && gateway.site == "Barn roof")
            #expect(try await browser.post(client, "/gateways/gw-1/assign", [("customer", "999")]).status == .unprocessableContent)
            #expect(try await browser.post(client, "/gateways/gw-1/assign", [("customer", "abc")]).status == .unprocessableContent)
            #expect(try await browser.get(client, "/customers").text.contains("Barn roof"))

            let keyPage = try await browser.post(client, "/gateways/gw-1/key", [("action", "generate")])
            #expect(keyPage.status == .ok)
            let key = try #require(keyPage.text.split(separator: "id=\"gateway-key\">").last?.split(separator: "<").first.map(String.init))
            #expect(key.count == 64)
            let hash = try #require(try await harness.db.database.read { db in try db.query("SELECT key_hash FROM gateways WHERE id = 'gw-1'").first?.string(0) })
            #expect(hash.hasPrefix("$y$") && PasswordHasher.verify(key, against: hash))
            // Removing asks first; only the confirmed post removes.
            let confirmKey = try await browser.post(client, "/gateways/gw-1/key", [("action", "remove")])
            #expect(confirmKey.status == .ok && confirmKey.text.contains("id=\"confirm-form\""))
            #expect(try await harness.db.store.gateway(id: "gw-1")?.hasKey == true)
            #expect(try await browser.post(client, "/gateways/gw-1/key", [("action", "remove"), ("confirm", "yes")]).status == .seeOther)
            #expect(try await harness.db.store.gateway(id: "gw-1")?.hasKey == false)

            let settings: [(String, String)] = [("offline_threshold_minutes", "30"), ("low_production_percent", "40"), ("report_frequency", "weekly"),
                                                ("report_hour", "6"), ("time_zone", "Europe/Berlin"), ("gateway_keys_required", "true"), ("alert_recipients", "ops@example.com")]
            #expect(try await browser.post(client, "/settings", settings).status == .seeOther)
            let stored = try await harness.db.store.settings()
            #expect(stored["gateway_keys_required"] == "true")
            #expect(stored["time_zone"] == "Europe/Berlin" && stored["report_frequency"] == "weekly" && stored["offline_threshold_minutes"] == "30")
            for bad in [("offline_threshold_minutes", "0"), ("time_zone", "Mars/Base"), ("report_hour", "24"), ("alert_recipients", "nope")] {
                let fields = settings.filter { $0.0 != bad.0 } + [bad]
                #expect(try await browser.post(client, "/settings", fields).status == .unprocessableContent, "\(bad)")
            }

            let confirmDelete = try await browser.post(client, "/customers/\(id)/delete", [])
            #expect(confirmDelete.status == .ok && confirmDelete.text.contains("id=\"confirm-form\""))
            #expect(try await harness.db.store.customer(id: id) != nil)
            #expect(try await browser.post(client, "/customers/\(id)/delete", [("confirm", "yes")]).status == .seeOther)
            #expect(try await harness.db.store.customer(id: id) == nil)
            #expect(try await harness.db.store.gateway(id: "gw-1")?.customerID == nil)
        }
    }

    @Test func mailServerSetByStaffIsUsedAndItsPasswordNeverShown() async throws {
        let harness = try Harness(now: Self.now)
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            #expect(try await browser.get(client, "/").text.contains("id=\"no-mail-server\""))
            let good: [(String, String)] = [("smtp_url", "smtp://127.0.0.1:\(sink.port)"), ("mail_from", "panel@acme.example"), ("smtp_user", "panel"), ("smtp_password", "pa55-Secret")]
            for bad in [("smtp_url", "http://mail.example.com"), ("smtp_url", "smtp://mail example.com"), ("smtp_url", "smtp://mail.example.com:99999"),
                        ("mail_from", "nobody"), ("smtp_password", "a\r\nRCPT TO:<x@example.com>"), ("smtp_user", "u\u{0}")] {
                let fields = good.filter { $0.0 != bad.0 } + [bad]
                let refused = try await browser.post(client, "/settings/mail", fields)
                #expect(refused.status == .unprocessableContent, "\(bad)")
            }
            #expect(try await harness.db.store.settings()["smtp_url"] == nil)
            #expect(try await browser.post(client, "/settings/mail", good).status == .seeOther)
            var page = try await browser.get(client, "/settings")
            #expect(page.text.contains("smtp://127.0.0.1:\(sink.port)") && page.text.contains("one is stored"))
            #expect(!page.text.contains("pa55-Secret"))
            #expect(!(try await browser.get(client, "/").text.contains("no-mail-server")))
            // An empty password field keeps the stored one; the checkbox removes it.
            #expect(try await browser.post(client, "/settings/mail", good.filter { $0.0 != "smtp_password" }).status == .seeOther)
            #expect(try await harness.db.store.settings()["smtp_password"] == "pa55-Secret")

            // The outbox sends through the server staff set (aiosmtpd accepts any login).
            #expect(try await harness.db.store.enqueue(OutboxMail(dedupeKey: "test:1", recipients: ["ops@example.com"], subject: "Via settings", textBody: "t", htmlBody: "<p>h</p>", createdAt: 1_795_953_600_000)))
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let processor = OutboxProcessor(store: harness.db.store, logger: logger, delivery: mailDelivery(store: harness.db.store, secrets: SettingsSecrets(sealer: nil, logger: logger), fallback: nil, executable: nil))
            #expect(try await processor.processDue(now: Self.now.addingTimeInterval(1)) == 1)
            let received = try await sink.waitForMessages(1)
            #expect(received.first?.contains("Subject: Via settings") == true)
            #expect(received.first?.contains("From: panel@acme.example") == true)

            #expect(try await browser.post(client, "/settings/mail", good.filter { $0.0 != "smtp_password" } + [("clear_password", "1")]).status == .seeOther)
            #expect(try await harness.db.store.settings()["smtp_password"] == "")
            page = try await browser.get(client, "/settings")
            #expect(page.text.contains("none stored"))
            // An empty server goes back to the platform's (here: none).
            #expect(try await browser.post(client, "/settings/mail", [("smtp_url", "")]).status == .seeOther)
            #expect(try await browser.get(client, "/").text.contains("no-mail-server"))
        }
    }

    @Test func staffAccountsAndPasswords() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            var admin = Browser()
            try await admin.signIn(client)
            #expect(try await admin.post(client, "/staff", [("name", "bob"), ("password", "short")]).status == .unprocessableContent)
            #expect(try await admin.post(client, "/staff", [("name", "bob smith"), ("password", "long-enough-pw")]).status == .unprocessableContent)
            #expect(try await admin.post(client, "/staff", [("name", "bob"), ("password", "long-enough-pw")]).status == .seeOther)
            #expect(try await admin.post(client, "/staff", [("name", "bob"), ("password", "long-enough-pw")]).status == .unprocessableContent)
            // A name differing only by case is the same person to readers and to the sign-in limits.
            let twin = try await admin.post(client, "/staff", [("name", "Bob"), ("password", "long-enough-pw")])
            #expect(twin.status == .unprocessableContent && twin.text.contains("id=\"error-name\"") && twin.text.contains("value=\"Bob\""))

            var bob = Browser()
            try await bob.signIn(client, user: "bob", password: "long-enough-pw")
            let wrongCurrent = try await bob.post(client, "/account/password", [("current", "wrong-password"), ("new", "new-password-1"), ("confirm", "new-password-1")])
            #expect(wrongCurrent.status == .unprocessableContent && wrongCurrent.text.contains("id=\"error-current\""))
            #expect(!wrongCurrent.text.contains("wrong-password") && !wrongCurrent.text.contains("new-password-1"))
            #expect(try await bob.post(client, "/account/password", [("current", "long-enough-pw"), ("new", "new-password-1"), ("confirm", "different-1")]).status == .unprocessableContent)
            #expect(try await bob.post(client, "/account/password", [("current", "long-enough-pw"), ("new", "new-password-1"), ("confirm", "new-password-1")]).status == .seeOther)
            #expect(try await bob.get(client, "/").status == .ok)
            var bobAgain = Browser()
            try await bobAgain.signIn(client, user: "bob", password: "new-password-1")

            #expect(try await admin.post(client, "/staff/admin/delete", []).status == .badRequest)
            #expect(try await admin.post(client, "/staff/bob/delete", []).text.contains("id=\"confirm-form\""))
            #expect(try await bob.get(client, "/").status == .ok)
            #expect(try await admin.post(client, "/staff/bob/delete", [("confirm", "yes")]).status == .seeOther)
            // Removing an account ends its sessions.
            #expect(try await bob.get(client, "/").status == .seeOther)
            #expect(try await admin.post(client, "/staff/bob/delete", [("confirm", "yes")]).status == .notFound)

            #expect(try await admin.post(client, "/logout", []).status == .seeOther)
            #expect(try await admin.get(client, "/").status == .seeOther)
        }
    }

    @Test func jsonAPIWithToken() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.post(client, "/account/token", [("action", "create")])
            let token = try #require(page.text.split(separator: "id=\"api-token\">").last?.split(separator: "<").first.map(String.init))
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]

            let gateways = try await client.execute(uri: "/api/v1/gateways", method: .get, headers: auth)
            #expect(gateways.status == .ok)
            let list = try JSONSerialization.jsonObject(with: Data(buffer: gateways.body)) as? [[String: Any]]
            let gw1 = try #require(list?.first { $0["gateway"] as? String == "gw-1" })
            #expect(gw1["online"] as? Bool == true)
            #expect((gw1["last_seen"] as? String)?.hasSuffix("Z") == true)
            #expect(gw1.keys.contains("customer") && gw1.keys.contains("first_seen"))

            let readings = try await client.execute(uri: "/api/v1/gateways/gw-1/readings?from=2026-11-28T12:00:00Z&to=2026-11-28T12:10:00%2B00:00", method: .get, headers: auth)
            #expect(readings.status == .ok)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(buffer: readings.body)) as? [[String: Any]])
            #expect(rows.count == 20)
            #expect(rows.first?["at"] as? String == "2026-11-28T12:00:00Z")
            #expect(rows.first?["power"] as? Double == 2000)

            for (uri, status) in [("/api/v1/gateways/nope/readings?from=2026-11-29T00:00:00Z&to=2026-11-30T00:00:00Z", 404),
                                  ("/api/v1/gateways/gw-1/readings?from=yesterday&to=2026-11-30T00:00:00Z", 400),
                                  ("/api/v1/gateways/gw-1/readings?from=2026-11-29T00:00:00Z", 400),
                                  ("/api/v1/gateways/gw-1/readings?from=2026-01-01T00:00:00Z&to=2026-11-30T00:00:00Z", 400),
                                  ("/api/v1/reports/energy?from=2026-11-29T00:00:00Z&to=2026-11-30T00:00:00Z&customer=abc", 400),
                                  ("/api/v1/reports/energy?from=2026-11-29T00:00:00Z&to=2026-11-30T00:00:00Z&customer=42", 404),
                                  ("/api/v1/nothing", 404)] {
                let response = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(Int(response.status.code) == status, "\(uri)")
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((object?["error"] as? String)?.isEmpty == false, "\(uri)")
            }

            var postHeaders = auth
            postHeaders[.contentType] = "application/json"
            let created = try await client.execute(uri: "/api/v1/customers", method: .post, headers: postHeaders, body: ByteBuffer(string: #"{"name":"API Co","recipients":["x@example.com"]}"#))
            #expect(created.status == .created)
            #expect(created.text.contains("\"name\":\"API Co\""))
            for body in ["not json", "{\"name\": 5}", "{}", "{\"name\":\"A\",\"recipients\":[\"bad\"]}"] {
                let response = try await client.execute(uri: "/api/v1/customers", method: .post, headers: postHeaders, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.text.contains("\"error\""))
            }
            // The same name again (whatever its case): 409, the API's error format.
            let duplicate = try await client.execute(uri: "/api/v1/customers", method: .post, headers: postHeaders, body: ByteBuffer(string: #"{"name":"api co"}"#))
            #expect(duplicate.status == .conflict && duplicate.text.contains("\"error\""))
            let customers = try await client.execute(uri: "/api/v1/customers", method: .get, headers: auth)
            #expect(customers.text.contains("API Co") && customers.text.contains("Sunny Farm"))

            let energy = try await client.execute(uri: "/api/v1/reports/energy?from=2026-11-28T00:00:00Z&to=2026-11-29T00:00:00Z", method: .get, headers: auth)
            #expect(energy.status == .ok)
            let days = try #require(try JSONSerialization.jsonObject(with: Data(buffer: energy.body)) as? [[String: Any]])
            let day = try #require(days.first { $0["gateway"] as? String == "gw-1" })
            #expect(day["day"] as? String == "2026-11-28")
            #expect(day["peak_w"] as? Double == 4000)
            let expected = SolarExpectation.dayEnergy(sensors: 2, peak: 2000)
            #expect(abs((day["energy_wh"] as? Double ?? 0) - expected) < 0.2)

            // Revoking the token locks the API again.
            #expect(try await browser.post(client, "/account/token", [("action", "revoke")]).status == .seeOther)
            #expect(try await client.execute(uri: "/api/v1/gateways", method: .get, headers: auth).status == .unauthorized)
        }
    }
}

/// Expected values of ``SolarFixture`` computed independently of the app.
enum SolarExpectation {
    /// Energy of one full day of 1-minute readings: the sum of power × 1 min.
    static func dayEnergy(sensors: Int, peak: Double, dayStart: Int64 = 0) -> Double {
        var total = 0.0
        for minute in 0..<1440 {
            total += SolarFixture.power(at: dayStart + Int64(minute) * 60_000, peak: peak) / 60
        }
        return total * Double(sensors)
    }
}
