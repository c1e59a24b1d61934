import Foundation
import HummingbirdTesting
import Testing
import TenantStorage
@testable import AdminApp
import AdminTestSupport
import TenantTestSupport

/// Headless Chromium signs in through the real login form (scripts/cdp-snapshot.py drives
/// it over the DevTools protocol), visits every page at phone and desktop widths and
/// measures the layout in the browser, submits forms with bad input, walks the
/// confirmation steps, and fires parallel wrong-password sign-ins.
/// `make screenshots` (TENANTCTL_UPDATE_SCREENSHOTS=1) copies the screenshots to
/// docs/screenshots/; ordinary runs leave the checkout untouched.
@Suite struct BrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The narrowest phones in use, a common one, and a desktop.
    static let widths = [360, 390, 1280]

    struct Layout: Decodable {
        var scrollWidth: Int
        var clientWidth: Int
        var overflowing: [String]
        var chartFontPx: Double?
    }

    @Test func everyPageFitsPhonesAndDesktopsInChromium() async throws {
        let now = Date()
        let harness = try Harness(now: now)
        let nowMillis = TimeFormat.millis(now)
        let store = harness.db.store
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-roof", from: nowMillis - 3 * 86_400_000, to: nowMillis - 30_000, peak: 2500)
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-shed", readings: [Reading(sensor: "inv-1", at: nowMillis - 7_200_000, power: 300)], receivedAt: nowMillis - 7_200_000)])
        // A long unbroken name: it must wrap or scroll inside its table, not widen the page.
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-with-a-rather-long-identifier-0123456789", readings: [], receivedAt: nowMillis - 60_000)])
        let customer = try await store.createCustomer(CustomerDraft(name: "Sunny Farm", recipients: ["farm@example.com"]), at: nowMillis)
        _ = try await store.assign(gateway: "gw-roof", customer: customer.id, site: "Barn roof")
        _ = try await store.setKeyHash(gateway: "gw-roof", hash: "$y$not-a-real-hash")
        try await store.refreshRollup(gateway: "gw-roof")
        // Alarms to draw: gw-shed offline (critical), and a warning with a long unbroken detail.
        let alarm = try #require(try await store.openAlarm(
            gateway: "gw-shed", customerID: nil, kind: .offline, detail: "no report since two hours ago", at: nowMillis - 3_600_000))
        _ = try await store.openAlarm(
            gateway: "gw-with-a-rather-long-identifier-0123456789", customerID: customer.id, kind: .lowProduction,
            detail: "mean power 40 W in the last hour, 12% of 330 W on a recent clear day; " + String(repeating: "x", count: 80), at: nowMillis - 60_000)

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }

        let pages = [
            "dashboard=/", "gateways=/gateways", "gateways-offline=/gateways?state=offline&sort=power&order=desc",
            "gateway=/gateways/gw-roof", "gateway-week=/gateways/gw-roof?range=week", "gateway-range=/gateways/gw-roof?from=2026-11-01&to=2026-11-30",
            "alarms=/alarms", "alarm=/alarms/\(alarm.id)", "customers=/customers", "customer=/customers/\(customer.id)", "reports=/reports", "report=/reports?customer=\(customer.id)",
            "fleet-report=/reports?scope=all", "settings=/settings", "staff=/staff", "account=/account",
        ]
        let forms = [
            // A customer with one bad recipient: the form again, as typed, the message at the field.
            "submit:customer-error=/customers|customer-form|name=Shade+Farm&email=shade%40example.com&recipients=a%40b.example%2C+nonsense",
            "submit:settings-error=/settings|settings-form|time_zone=Mars%2FOlympus&report_hour=7",
            "submit:staff-error=/staff|staff-form|name=BOB&password=long-enough-pw",
            "submit:report-error=/reports|report-form|from=2026-11-30&to=2026-11-01",
            "submit:range-error=/gateways/gw-roof|chart-range-picker|from=2026-11-30&to=2026-11-01",
            "submit:confirm-delete=/customers/\(customer.id)|delete-customer|",
            "submit:confirm-key=/gateways/gw-roof|remove-key|",
            "submit:confirm-staff=/staff|remove-bob|",
            // Last: the sign-in limit for one account under parallel posts from the browser.
            "burst:signin-burst=bob|60",
        ]
        try await harness.app().test(.live) { client in
            // After the app made the first account, admin: a store with staff gets none.
            _ = try await store.createStaff(name: "bob", passwordHash: Harness.bootstrapHash, at: nowMillis)
            let port = try #require(client.port)
            // Async and with its output in files: the server keeps the cooperative pool, and a
            // chatty browser never stalls on a full pipe.
            let snapshot = try await runProgram(
                "/usr/bin/python3",
                [Self.repository.appendingPathComponent("scripts/cdp-snapshot.py").path, "/usr/bin/chromium", "http://127.0.0.1:\(port)",
                 "admin", Harness.password, out.path, "--widths=" + Self.widths.map(String.init).joined(separator: ",")] + pages + forms,
                timeout: .seconds(300))
            #expect(!snapshot.timedOut, "cdp-snapshot.py did not finish within 300 s")
            #expect(snapshot.code == 0, "\(snapshot.err)")
            // What the browser saw fail below HTTP, kept in the log even when a resend made up for it.
            if snapshot.code == 0 && !snapshot.err.isEmpty { print("cdp-snapshot.py: \(snapshot.err)") }
        }

        func page(_ name: String) throws -> String { try String(contentsOf: out.appendingPathComponent("\(name).html"), encoding: .utf8) }

        // No page is wider than the window at any width; charts stay readable on phones.
        let names = ["login"] + (pages + forms.filter { $0.hasPrefix("submit:") }).map { String($0.split(separator: "=")[0].split(separator: ":").last!) }
        for name in names {
            let data = try Data(contentsOf: out.appendingPathComponent("\(name).layout.json"))
            let layouts = try JSONDecoder().decode([String: Layout].self, from: data)
            for width in Self.widths {
                let layout = try #require(layouts[String(width)], "\(name) at \(width)")
                #expect(layout.scrollWidth <= layout.clientWidth, "\(name) at \(width) px: page \(layout.scrollWidth) px wide; \(layout.overflowing)")
                if let font = layout.chartFontPx { #expect(font >= 9, "\(name) at \(width) px: chart labels \(font) px") }
            }
            #expect(try page(name).contains("<nav") || name == "login", "\(name) has the navigation")
        }

        let dashboard = try page("dashboard")
        #expect(dashboard.contains("<h1>Dashboard</h1>"))
        #expect(dashboard.contains("id=\"online\">2<") && dashboard.contains("id=\"offline\">1<") && dashboard.contains("id=\"unassigned\">2<"))
        #expect(dashboard.contains("http-equiv=\"refresh\""))
        let gateway = try page("gateway")
        #expect(gateway.contains("<h1>Gateway gw-roof</h1>"))
        #expect(gateway.contains("Power of gw-roof, last 24 hours"))
        #expect(gateway.contains("class=\"total-line\"") && gateway.contains("Power (W)"))
        #expect(gateway.contains("id=\"energy-bars\"") && gateway.contains("<td>inv-1</td>"))
        #expect(try page("gateway-week").contains("(hourly means)"))
        #expect(try page("customer").contains("Barn roof"))
        let alarms = try page("alarms")
        #expect(alarms.contains("data-alarm=\"\(alarm.id)\"") && alarms.contains("class=\"severity-1\"") && alarms.contains("class=\"severity-2\""))
        #expect(try page("alarm").contains("id=\"alarm-history\""))
        #expect(try page("report").contains("id=\"total-energy\""))
        #expect(try page("fleet-report").contains("Report: All gateways"))
        #expect(try page("settings").contains("name=\"gateway_keys_required\""))

        // Form errors: the whole page with the form as typed and the message at its field.
        let customerError = try page("customer-error")
        #expect(customerError.contains("<h1>Customers</h1>"))
        #expect(customerError.contains("value=\"a@b.example, nonsense\"") && customerError.contains("value=\"Shade Farm\""))
        #expect(customerError.contains("id=\"error-recipients\"") && customerError.contains("recipient 'nonsense' is not a mail address"))
        #expect(try page("settings-error").contains("id=\"error-time_zone\""))
        #expect(try page("settings-error").contains("value=\"Mars/Olympus\""))
        #expect(try page("staff-error").contains("a staff account named 'bob' exists already"))
        #expect(try page("report-error").contains("id=\"error-to\""))
        #expect(try page("range-error").contains("id=\"error-to\"") && page("range-error").contains("value=\"2026-11-30\""))
        #expect(try await store.customers().count == 1)

        // Destructive actions ask first; nothing is gone yet.
        #expect(try page("confirm-delete").contains("id=\"confirm-form\""))
        #expect(try page("confirm-key").contains("Remove key"))
        #expect(try page("confirm-staff").contains("Remove account"))
        #expect(try await store.customer(id: customer.id) != nil)
        #expect(try await store.gateway(id: "gw-roof")?.hasKey == true)
        #expect(try await store.staffAccount(name: "bob") != nil)

        // 60 parallel wrong passwords for one account: exactly 5 are evaluated.
        // (`resent`: posts that got no answer at all and were sent again; the script's stderr
        // names Chromium's reason for each.)
        struct Burst: Decodable { var statuses: [String: Int]; var resent: Int; var ms: Int }
        let burst = try JSONDecoder().decode(Burst.self, from: Data(contentsOf: out.appendingPathComponent("signin-burst.json")))
        #expect(burst.statuses == ["401": 5, "429": 55], "\(burst.statuses) in \(burst.ms) ms, \(burst.resent) resent")

        for name in ["dashboard", "gateway", "customer", "report", "settings", "gateways"] {
            let png = try Data(contentsOf: out.appendingPathComponent("\(name).png"))
            #expect(png.count > 10_000)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // Kept for people to see the panel, refreshed on request.
            if ProcessInfo.processInfo.environment["TENANTCTL_UPDATE_SCREENSHOTS"] == "1" {
                try png.write(to: Self.repository.appendingPathComponent("docs/screenshots/\(name).png"), options: .atomic)
                let phone = try Data(contentsOf: out.appendingPathComponent("\(name)@390.png"))
                try phone.write(to: Self.repository.appendingPathComponent("docs/screenshots/\(name)-phone.png"), options: .atomic)
            }
        }
    }
}
