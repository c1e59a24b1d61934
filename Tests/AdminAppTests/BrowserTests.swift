import Foundation
import HummingbirdTesting
import Testing
import TenantStorage
@testable import AdminApp
import AdminTestSupport
import TenantTestSupport

/// Headless Chromium loads the dashboard and a gateway page of a running server, signed in
/// through the real login form (scripts/cdp-snapshot.py drives it over the DevTools protocol).
/// `make screenshots` (TENANTCTL_UPDATE_SCREENSHOTS=1) copies the screenshots to
/// docs/screenshots/; ordinary runs leave the checkout untouched.
@Suite struct BrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func dashboardAndGatewayPageRenderInChromium() async throws {
        let now = Date()
        let harness = try Harness(now: now)
        let nowMillis = TimeFormat.millis(now)
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-roof", from: nowMillis - 3 * 86_400_000, to: nowMillis - 30_000, peak: 2500)
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-shed", readings: [Reading(sensor: "inv-1", at: nowMillis - 7_200_000, power: 300)], receivedAt: nowMillis - 7_200_000)])
        let customer = try await harness.db.store.createCustomer(CustomerDraft(name: "Sunny Farm", recipients: ["farm@example.com"]), at: nowMillis)
        _ = try await harness.db.store.assign(gateway: "gw-roof", customer: customer.id, site: "Barn roof")
        try await harness.db.store.refreshRollup(gateway: "gw-roof")

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }

        try await harness.app().test(.live) { client in
            let port = try #require(client.port)
            // Async and with its output in files: the server keeps the cooperative pool, and a
            // chatty browser never stalls on a full pipe.
            let snapshot = try await runProgram(
                "/usr/bin/python3",
                [Self.repository.appendingPathComponent("scripts/cdp-snapshot.py").path, "/usr/bin/chromium", "http://127.0.0.1:\(port)",
                 "admin", Harness.password, out.path, "dashboard=/", "gateway=/gateways/gw-roof?range=week",
                 "customer=/customers/\(customer.id)", "report=/reports?customer=\(customer.id)", "settings=/settings"],
                timeout: .seconds(120))
            #expect(!snapshot.timedOut, "cdp-snapshot.py did not finish within 120 s")
            #expect(snapshot.code == 0, "\(snapshot.err)")
        }

        let dashboard = try String(contentsOf: out.appendingPathComponent("dashboard.html"), encoding: .utf8)
        #expect(dashboard.contains("<h1>Dashboard</h1>"))
        #expect(dashboard.contains("id=\"online\">1<"))
        #expect(dashboard.contains("id=\"offline\">1<"))
        #expect(dashboard.contains("id=\"unassigned\">1<"))
        #expect(dashboard.contains("gw-shed"))
        let gateway = try String(contentsOf: out.appendingPathComponent("gateway.html"), encoding: .utf8)
        #expect(gateway.contains("<h1>Gateway gw-roof</h1>"))
        #expect(gateway.contains("id=\"power-chart\"><svg"))
        #expect(gateway.contains("Power (W)"))
        #expect(gateway.contains("id=\"energy-bars\"><svg"))
        #expect(gateway.contains("<td>inv-1</td>"))

        let customerPage = try String(contentsOf: out.appendingPathComponent("customer.html"), encoding: .utf8)
        #expect(customerPage.contains("Barn roof") && customerPage.contains("gw-roof"))
        let reportPage = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(reportPage.contains("id=\"report\"") && reportPage.contains("id=\"total-energy\""))
        let settingsPage = try String(contentsOf: out.appendingPathComponent("settings.html"), encoding: .utf8)
        #expect(settingsPage.contains("name=\"gateway_keys_required\""))

        for name in ["dashboard", "gateway", "customer", "report", "settings"] {
            let png = try Data(contentsOf: out.appendingPathComponent("\(name).png"))
            #expect(png.count > 10_000)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // Kept for people to see the panel, refreshed on request.
            if ProcessInfo.processInfo.environment["TENANTCTL_UPDATE_SCREENSHOTS"] == "1" {
                let target = Self.repository.appendingPathComponent("docs/screenshots/\(name).png")
                try png.write(to: target, options: .atomic)
            }
        }
    }
}
