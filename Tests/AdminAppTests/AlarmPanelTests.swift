import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TenantStorage
@testable import AdminApp
import AdminTestSupport

/// The alarms page, one alarm's page, acknowledging, the links from gateway and customer
/// pages, and the JSON API, over a real SQLite store.
@Suite struct AlarmPanelTests {
    static let now = Date(timeIntervalSince1970: 1_795_953_600)  // 2026-11-29T12:00:00Z
    static var nowMillis: Int64 { TimeFormat.millis(now) }

    struct Seeded {
        var customer: Customer
        var offline: Alarm
        var low: Alarm
    }

    /// gw-1 (customer Farm) offline for two hours, found by the scheduler's pass; a low
    /// production warning on gw-2 (unassigned) whose detail needs escaping.
    func seed(_ harness: Harness) async throws -> Seeded {
        let store = harness.db.store
        try await store.setSettings(["offline_threshold_minutes": "15", "low_production_percent": "0", "time_zone": "Europe/Berlin"])
        _ = try await harness.db.readings.commit([
            GatewayReport(gateway: "gw-1", readings: [Reading(sensor: "s", at: Self.nowMillis - 7_200_000, power: 1)], receivedAt: Self.nowMillis - 7_200_000),
            GatewayReport(gateway: "gw-2", readings: [Reading(sensor: "s", at: Self.nowMillis - 60_000, power: 1)], receivedAt: Self.nowMillis - 60_000),
        ])
        let customer = try await store.createCustomer(CustomerDraft(name: "Farm"), at: Self.nowMillis)
        #expect(try await store.assign(gateway: "gw-1", customer: customer.id, site: nil))
        try await MailScheduler(services: harness.services, interval: .seconds(3600)).tick(now: Self.nowMillis)
        let offline = try #require(try await store.activeAlarms().first)
        let low = try #require(try await store.openAlarm(gateway: "gw-2", customerID: nil, kind: .lowProduction, detail: "<b>40 W</b>", at: Self.nowMillis - 1000))
        return Seeded(customer: customer, offline: offline, low: low)
    }

    static func rowOrder(_ text: String, _ ids: [Int64]) -> [Int] {
        ids.map { id in text.range(of: "data-alarm=\"\(id)\"").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? -1 }
    }

    @Test func thePageListsFiltersAndAcknowledges() async throws {
        let harness = try Harness(now: Self.now)
        let seeded = try await seed(harness)
        let (offline, low) = (seeded.offline, seeded.low)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let list = try await browser.get(client, "/alarms")
            #expect(list.status == .ok)
            let text = list.text
            #expect(text.contains("<a href=\"/alarms\" class=\"active\">Alarms</a>"))
            // Critical first, coloured as on the dashboard; times with their zone; text escaped.
            let order = Self.rowOrder(text, [offline.id, low.id])
            #expect(order[0] >= 0 && order[1] > order[0], "\(order)")
            #expect(text.contains("<tr class=\"severity-1\" data-alarm=\"\(offline.id)\"><td class=\"sev-1\">critical</td>"))
            #expect(text.contains("<tr class=\"severity-2\" data-alarm=\"\(low.id)\"><td class=\"sev-2\">warning</td>"))
            #expect(text.contains("2026-11-29 13:00 UTC+1"))
            #expect(text.contains("&lt;b&gt;40 W&lt;/b&gt;") && !text.contains("<b>40 W</b>"))
            #expect(text.contains("id=\"acknowledge-\(offline.id)\""))

            // Filters: gateway, customer, state.
            let byGateway = try await browser.get(client, "/alarms?gateway=gw-2").text
            #expect(Self.rowOrder(byGateway, [offline.id, low.id]).map { $0 >= 0 } == [false, true])
            let byCustomer = try await browser.get(client, "/alarms?customer=\(seeded.customer.id)").text
            #expect(Self.rowOrder(byCustomer, [offline.id, low.id]).map { $0 >= 0 } == [true, false])
            #expect(try await browser.get(client, "/alarms?state=cleared").text.contains("No alarm matches."))
            for (uri, field) in [("/alarms?state=bogus", "state"), ("/alarms?customer=abc", "customer"), ("/alarms?page=0", "page")] {
                let refused = try await browser.get(client, uri)
                #expect(refused.status == .unprocessableContent, "\(uri)")
                #expect(refused.text.contains(field == "page" ? "page must be a number" : "id=\"error-\(field)\""), "\(uri)")
            }

            // One alarm with its history.
            let detail = try await browser.get(client, "/alarms/\(offline.id)")
            #expect(detail.status == .ok && detail.text.contains("id=\"alarm-history\"") && detail.text.contains("<td>monitor</td>"))
            #expect(try await browser.get(client, "/alarms/424242").status == .notFound)
            #expect(try await browser.get(client, "/alarms/abc").status == .badRequest)

            // Acknowledge: CSRF required; back to the list it came from.
            #expect(try await browser.post(client, "/alarms/\(offline.id)/acknowledge", [("return", "/alarms")], csrf: false).status == .forbidden)
            #expect(try await harness.db.store.alarm(id: offline.id)?.state == .open)
            let done = try await browser.post(client, "/alarms/\(offline.id)/acknowledge", [("return", "/alarms?state=all")])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/alarms?state=all&ok=Alarm+\(offline.id)+acknowledged")
            let acknowledged = try #require(try await harness.db.store.alarm(id: offline.id))
            #expect(acknowledged.state == .acknowledged && acknowledged.acknowledgedBy == "admin")
            #expect(try await browser.get(client, "/alarms/\(offline.id)").text.contains("<td>acknowledged</td><td>admin</td>"))

            // Again: the alarm's page with the reason, not a second acknowledgement.
            let twice = try await browser.post(client, "/alarms/\(offline.id)/acknowledge", [])
            #expect(twice.status == .unprocessableContent)
            #expect(twice.text.contains("alarm \(offline.id) was acknowledged already by admin"))
            #expect(try await harness.db.store.alarmHistory(id: offline.id).count == 2)
            // A return address elsewhere, or one that would break the header, is ignored.
            #expect(AlarmsController.returnPath("/alarms?state=all\r\nSet-Cookie: x=y") == nil)
            #expect(AlarmsController.returnPath("//example.com/alarms") == nil)
            let elsewhere = try await browser.post(client, "/alarms/\(low.id)/acknowledge", [("return", "https://example.com/")])
            #expect(elsewhere.headers[.location] == "/alarms/\(low.id)?ok=Alarm+\(low.id)+acknowledged")
            #expect(try await browser.post(client, "/alarms/424242/acknowledge", []).status == .notFound)

            // The gateway's and the customer's pages link to their alarms.
            let gateway = try await browser.get(client, "/gateways/gw-1").text
            #expect(gateway.contains("id=\"alarm-summary\"") && gateway.contains("href=\"/alarms?gateway=gw%2D1\">1 active alarm</a>"))
            let customer = try await browser.get(client, "/customers/\(seeded.customer.id)").text
            #expect(customer.contains("href=\"/alarms?customer=\(seeded.customer.id)\">1 active alarm</a>"))
        }
    }

    @Test func viewersReadAlarmsAndCustomerLoginsDoNotSeeThem() async throws {
        let harness = try Harness(now: Self.now)
        let seeded = try await seed(harness)
        let offline = seeded.offline
        _ = try await harness.db.store.createStaff(name: "vera", passwordHash: Harness.bootstrapHash, role: .viewer, at: Self.nowMillis)
        _ = try await harness.db.store.createStaff(name: "carl", passwordHash: Harness.bootstrapHash, role: .customer(seeded.customer.id), at: Self.nowMillis)
        try await harness.app().test(.router) { client in
            var vera = Browser()
            try await vera.signIn(client, user: "vera")
            let list = try await vera.get(client, "/alarms")
            #expect(list.status == .ok && list.text.contains("data-alarm=\"\(offline.id)\""))
            #expect(!list.text.contains("id=\"acknowledge-"), "no button a viewer would only be refused")
            #expect(try await vera.get(client, "/alarms/\(offline.id)").text.contains("id=\"alarm-history\""))
            #expect(!(try await vera.get(client, "/alarms/\(offline.id)").text.contains("id=\"acknowledge-")))
            #expect(try await vera.post(client, "/alarms/\(offline.id)/acknowledge", []).status == .forbidden)
            #expect(try await harness.db.store.alarm(id: offline.id)?.state == .open)

            var carl = Browser()
            try await carl.signIn(client, user: "carl")
            #expect(try await carl.get(client, "/alarms").status == .forbidden)
            #expect(try await carl.get(client, "/alarms/\(offline.id)").status == .forbidden)
            let own = try await carl.get(client, "/customers/\(seeded.customer.id)")
            #expect(own.status == .ok && !own.text.contains("alarm-summary"))
            let gateway = try await carl.get(client, "/gateways/gw-1")
            #expect(gateway.status == .ok && !gateway.text.contains("alarm-summary"))
        }
    }

    @Test func theListPages() async throws {
        let harness = try Harness(now: Self.now)
        // Gateways that report (the app's own alert pass clears alarms of gateways it does not watch).
        _ = try await harness.db.readings.commit((0..<55).map { index in
            GatewayReport(gateway: "gw-\(index)", readings: [Reading(sensor: "s", at: Self.nowMillis - 1000, power: 1)], receivedAt: Self.nowMillis - 1000)
        })
        for index in 0..<55 {
            _ = try await harness.db.store.openAlarm(gateway: "gw-\(index)", customerID: nil, kind: .lowProduction, detail: "d\(index)", at: Self.nowMillis - Int64(index) * 1000)
        }
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let first = try await browser.get(client, "/alarms").text
            #expect(first.components(separatedBy: "data-alarm=").count - 1 == 50)
            #expect(first.contains("55 alarms") && first.contains("href=\"/alarms?page=2\" rel=\"next\""))
            let second = try await browser.get(client, "/alarms?page=2").text
            #expect(second.components(separatedBy: "data-alarm=").count - 1 == 5)
            #expect(second.contains("<td>d54</td>") && !second.contains("<td>d0</td>"))
        }
    }

    @Test func theJSONAPIListsShowsAndAcknowledges() async throws {
        let harness = try Harness(now: Self.now)
        let seeded = try await seed(harness)
        let (offline, low) = (seeded.offline, seeded.low)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.post(client, "/account/token", [("action", "create")])
            let token = try #require(GatewayOperationsPanelTests.field(page.text, id: "api-token"))
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]
            func json(_ response: TestResponse) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }

            #expect(try await client.execute(uri: "/api/v1/alarms", method: .get).status == .unauthorized)
            let list = try json(try await client.execute(uri: "/api/v1/alarms", method: .get, headers: auth))
            #expect(list["total"] as? Int == 2 && list["page"] as? Int == 1 && list["pages"] as? Int == 1)
            let alarms = try #require(list["alarms"] as? [[String: Any]])
            #expect(alarms.map { $0["id"] as? Int64 } == [offline.id, low.id])
            #expect(alarms[0]["severity"] as? String == "critical" && alarms[0]["kind"] as? String == "offline" && alarms[0]["state"] as? String == "open")
            #expect(alarms[0]["customer"] as? Int64 == seeded.customer.id && alarms[1]["customer"] is NSNull)
            #expect(alarms[0]["opened_at"] as? String == "2026-11-29T12:00:00Z" && alarms[0]["acknowledged_by"] is NSNull && alarms[0]["history"] == nil)
            let filtered = try json(try await client.execute(uri: "/api/v1/alarms?gateway=gw-2&state=all", method: .get, headers: auth))
            #expect((filtered["alarms"] as? [[String: Any]])?.map { $0["id"] as? Int64 } == [low.id])

            let acknowledged = try await client.execute(uri: "/api/v1/alarms/\(offline.id)/acknowledge", method: .post, headers: auth)
            #expect(acknowledged.status == .ok)
            let body = try json(acknowledged)
            #expect(body["state"] as? String == "acknowledged" && body["acknowledged_by"] as? String == "admin")
            let history = try #require(body["history"] as? [[String: Any]])
            #expect(history.map { $0["state"] as? String } == ["open", "acknowledged"] && history[0]["by"] is NSNull && history[1]["by"] as? String == "admin")

            let shown = try json(try await client.execute(uri: "/api/v1/alarms/\(offline.id)", method: .get, headers: auth))
            #expect(shown["state"] as? String == "acknowledged" && (shown["history"] as? [Any])?.count == 2)

            for (method, uri, status) in [
                (HTTPRequest.Method.post, "/api/v1/alarms/\(offline.id)/acknowledge", HTTPResponse.Status.conflict),
                (.post, "/api/v1/alarms/424242/acknowledge", .notFound), (.get, "/api/v1/alarms/424242", .notFound),
                (.get, "/api/v1/alarms/abc", .badRequest), (.get, "/api/v1/alarms?state=bogus", .badRequest),
                (.get, "/api/v1/alarms?customer=x", .badRequest), (.get, "/api/v1/alarms?page=-1", .badRequest),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: auth)
                #expect(response.status == status, "\(method) \(uri)")
                #expect(try json(response)["error"] is String, "\(uri)")
            }
            #expect(try await harness.db.store.alarmHistory(id: offline.id).count == 2)
        }
    }
}
