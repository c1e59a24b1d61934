import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TenantStorage
@testable import AdminApp
import AdminTestSupport

/// Read-only staff and customer logins: what each may reach, through the real router and store.
@Suite struct RolesTests {
    static let now = Date(timeIntervalSince1970: 1_795_953_600)  // 2026-11-29T12:00:00Z
    static var nowMillis: Int64 { TimeFormat.millis(now) }

    /// Two customers with a gateway each.
    func seed(_ harness: Harness) async throws -> (farm: Customer, mill: Customer) {
        let store = harness.db.store
        for gateway in ["gw-farm", "gw-mill"] {
            let readings = (0..<10).map { i in Reading(sensor: "a", at: Self.nowMillis - 3_600_000 + Int64(i) * 60_000, power: 10) }
            _ = try await harness.db.readings.commit([GatewayReport(gateway: gateway, readings: readings, receivedAt: Self.nowMillis - 60_000)])
        }
        let farm = try await store.createCustomer(CustomerDraft(name: "Sunny Farm"), at: Self.nowMillis)
        let mill = try await store.createCustomer(CustomerDraft(name: "Old Mill"), at: Self.nowMillis)
        _ = try await store.assign(gateway: "gw-farm", customer: farm.id, site: "Barn")
        _ = try await store.assign(gateway: "gw-mill", customer: mill.id, site: "Wheel")
        return (farm, mill)
    }

    @Test func theRulesNameWhatEachRoleReaches() throws {
        func decide(_ method: HTTPRequest.Method, _ uri: String, _ role: StaffRole) throws -> AccessPolicy.Decision {
            let parts = uri.split(separator: "?", maxSplits: 1)
            return AccessPolicy.decide(method, path: String(parts[0]), query: try FormData(parsing: parts.count > 1 ? parts[1] : ""), role: role)
        }
        for (method, uri) in [(HTTPRequest.Method.post, "/customers/7/delete"), (.post, "/staff"), (.put, "/api/v1/limits"), (.get, "/settings")] {
            #expect(try decide(method, uri, .admin) == .allow)
        }
        // Viewers read everything and change only their own account.
        for uri in ["/", "/customers", "/gateways/gw-1", "/settings", "/staff", "/api/v1/customers", "/metrics"] {
            #expect(try decide(.get, uri, .viewer) == .allow, "\(uri)")
        }
        for (method, uri) in [(HTTPRequest.Method.post, "/customers"), (.post, "/settings"), (.delete, "/api/v1/gateways/g"), (.get, "/gateways/new"), (.get, "/gateways/g/delete")] {
            #expect(try decide(method, uri, .viewer) != .allow, "\(method) \(uri)")
        }
        for uri in ["/account/password", "/account/token", "/logout"] { #expect(try decide(.post, uri, .viewer) == .allow) }
        // A customer login: its own customer, gateways and reports only.
        let carl = StaffRole.customer(7)
        #expect(try decide(.get, "/", carl) == .redirect("/customers/7"))
        #expect(try decide(.get, "/customers/7", carl) == .allow)
        #expect(try decide(.get, "/customers/7/", carl) == .allow)
        #expect(try decide(.get, "/gateways/g", carl) == .allowIfGatewayOf(customer: 7, gateway: "g"))
        #expect(try decide(.get, "/gateways/g/chart.svg", carl) == .allowIfGatewayOf(customer: 7, gateway: "g"))
        #expect(try decide(.get, "/reports", carl) == .redirect("/reports?customer=7"))
        #expect(try decide(.get, "/reports?customer=7&format=csv", carl) == .allow)
        #expect(try decide(.get, "/reports?customer=7&gateway=x", carl) == .allowIfGatewayOf(customer: 7, gateway: "x"), "the report reads gateway first")
        #expect(try decide(.post, "/account/password", carl) == .allow)
        for (method, uri) in [
            (HTTPRequest.Method.get, "/customers"), (.get, "/customers/8"), (.get, "/customers/70"), (.get, "/gateways"), (.get, "/gateways/new"),
            (.get, "/reports?customer=8"), (.get, "/reports?customer=7&scope=all"), (.get, "/reports?scope=all"), (.get, "/settings"), (.get, "/staff"),
            (.get, "/limits"), (.get, "/alarms"), (.get, "/metrics"), (.post, "/customers/7"), (.post, "/gateways/g/key"), (.post, "/account/token"),
        ] {
            guard case .deny = try decide(method, uri, carl) else { Issue.record("\(method) \(uri) is not refused to a customer login"); continue }
        }
    }

    @Test func aViewerSeesEverythingAndChangesNothing() async throws {
        let harness = try Harness(now: Self.now)
        let (farm, _) = try await seed(harness)
        try await harness.app().test(.router) { client in
            _ = try await harness.db.store.createStaff(name: "vera", passwordHash: Harness.bootstrapHash, role: .viewer, at: Self.nowMillis)
            var browser = Browser()
            try await browser.signIn(client, user: "vera")
            for uri in ["/", "/customers", "/customers/\(farm.id)", "/gateways", "/gateways/gw-farm", "/reports?scope=all", "/settings", "/limits", "/staff"] {
                let page = try await browser.get(client, uri)
                #expect(page.status == .ok, "\(uri)")
                #expect(!page.text.contains("method=\"post\" action=\"/customers") && !page.text.contains("id=\"gateway-assign-form\"")
                        && !page.text.contains("id=\"staff-form\"") && !page.text.contains("id=\"register-link\""), "\(uri) offers no change")
            }
            #expect(try await browser.get(client, "/settings").text.contains("<fieldset disabled>"), "settings are shown, not editable")
            #expect(try await browser.get(client, "/staff").text.contains("viewer (read-only)"))
            #expect(try await browser.get(client, "/gateways/new").status == .forbidden)
            let refused = try await browser.post(client, "/customers", [("name", "Shade Farm")])
            #expect(refused.status == .forbidden && refused.text.contains("can look but not change"))
            #expect(try await browser.post(client, "/settings", [("report_hour", "3")]).status == .forbidden)
            #expect(try await browser.post(client, "/customers/\(farm.id)/delete", [("confirm", "yes")]).status == .forbidden)
            #expect(try await harness.db.store.customers().count == 2)
            // An API token for scripts that read; writes are refused there too.
            let page = try await browser.post(client, "/account/token", [("action", "create")])
            let token = try #require(GatewayOperationsPanelTests.field(page.text, id: "api-token"))
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            #expect(try await client.execute(uri: "/api/v1/customers", method: .get, headers: headers).status == .ok)
            let write = try await client.execute(uri: "/api/v1/customers", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"X"}"#))
            #expect(write.status == .forbidden && write.text.contains("\"error\""))
            #expect(try await harness.db.store.customers().count == 2)
        }
    }

    @Test func aCustomerLoginSeesOnlyItsOwnSitesAndReports() async throws {
        let harness = try Harness(now: Self.now)
        let (farm, mill) = try await seed(harness)
        try await harness.app().test(.router) { client in
            _ = try await harness.db.store.createStaff(name: "carl", passwordHash: Harness.bootstrapHash, role: .customer(farm.id), at: Self.nowMillis)
            var browser = Browser()
            try await browser.signIn(client, user: "carl")
            let start = try await browser.get(client, "/")
            #expect(start.status == .seeOther && start.headers[.location] == "/customers/\(farm.id)")
            let own = try await browser.get(client, "/customers/\(farm.id)")
            #expect(own.status == .ok && own.text.contains("gw-farm") && !own.text.contains("gw-mill"))
            #expect(own.text.contains("My sites") && !own.text.contains("href=\"/settings\"") && !own.text.contains("id=\"customer-form\""))
            let gateway = try await browser.get(client, "/gateways/gw-farm")
            #expect(gateway.status == .ok && !gateway.text.contains("id=\"gateway-assign-form\"") && !gateway.text.contains("/key\""))
            #expect(try await browser.get(client, "/gateways/gw-farm/chart.svg").status == .ok)
            #expect(try await browser.get(client, "/reports?customer=\(farm.id)").status == .ok)
            let csv = try await browser.get(client, "/reports?gateway=gw-farm&format=csv")
            #expect(csv.status == .ok && csv.text.contains("gw-farm"))
            let account = try await browser.get(client, "/account").text
            #expect(account.contains("Change password") && !account.contains("API token"))
            // Someone else's customer, gateway or report, an unknown gateway, and staff pages.
            for uri in [
                "/customers/\(mill.id)", "/customers", "/gateways/gw-mill", "/gateways/gw-mill/chart.svg", "/gateways/gw-none", "/gateways",
                "/reports?customer=\(mill.id)", "/reports?gateway=gw-mill&format=csv", "/reports?customer=\(farm.id)&gateway=gw-mill", "/reports?scope=all",
                "/settings", "/staff", "/limits",
            ] {
                let page = try await browser.get(client, uri)
                #expect(page.status == .forbidden, "\(uri): \(page.status)")
                #expect(!page.text.contains("gw-mill") && !page.text.contains("Old Mill"), "\(uri) shows nothing of the other customer")
            }
            #expect(try await browser.post(client, "/customers/\(farm.id)", [("name", "Renamed")]).status == .forbidden)
            #expect(try await browser.post(client, "/account/token", [("action", "create")]).status == .forbidden)
            #expect(try await harness.db.store.customer(id: farm.id)?.name == "Sunny Farm")
        }
    }

    @Test func adminsAddViewersAndCustomerLoginsAndACustomersLoginsEndWithIt() async throws {
        let harness = try Harness(now: Self.now)
        let (farm, _) = try await seed(harness)
        try await harness.app().test(.router) { client in
            var admin = Browser()
            try await admin.signIn(client)
            let password = Harness.password
            #expect(try await admin.post(client, "/staff", [("name", "vera"), ("password", password), ("role", "viewer")]).status == .seeOther)
            #expect(try await admin.post(client, "/staff", [("name", "carl"), ("password", password), ("role", "customer"), ("customer", String(farm.id))]).status == .seeOther)
            // Mistakes come back as the form with the message at the field.
            let noCustomer = try await admin.post(client, "/staff", [("name", "cora"), ("password", password), ("role", "customer")])
            #expect(noCustomer.status == .unprocessableContent && noCustomer.text.contains("id=\"error-customer\""))
            let badRole = try await admin.post(client, "/staff", [("name", "rob"), ("password", password), ("role", "root")])
            #expect(badRole.status == .unprocessableContent && badRole.text.contains("is not admin, viewer or customer") && badRole.text.contains("id=\"error-role\""))
            #expect(try await harness.db.store.staffAccount(name: "vera")?.role == .viewer)
            #expect(try await harness.db.store.staffAccount(name: "carl")?.role == .customer(farm.id))
            #expect(try await admin.get(client, "/staff").text.contains("customer login: <a href=\"/customers/\(farm.id)\">Sunny Farm</a>"))

            var carl = Browser()
            try await carl.signIn(client, user: "carl")
            #expect(try await carl.get(client, "/customers/\(farm.id)").status == .ok)
            // The customer goes, and its login with it, signed in or not.
            #expect(try await admin.post(client, "/customers/\(farm.id)/delete", [("confirm", "yes")]).status == .seeOther)
            #expect(try await harness.db.store.staffAccount(name: "carl") == nil)
            let after = try await carl.get(client, "/customers/\(farm.id)")
            #expect(after.status == .seeOther && after.headers[.location]?.hasPrefix("/login") == true)
        }
    }
}
