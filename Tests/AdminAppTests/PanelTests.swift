import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TenantMailer
import TenantStorage
@testable import AdminApp
import AdminTestSupport
import TenantTime
import TextFormat

/// What issue 16 asked of the panel, through the real router (HummingbirdTesting, in process).
@Suite struct PanelTests {
    static let now = RouterTests.now  // 2026-11-29T12:00:00Z
    static var nowMillis: Int64 { TimeFormat.millis(now) }

    @Test func aRefusedFormComesBackWholeWithTheValuesAndTheMessageAtItsField() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let refused = try await browser.post(client, "/customers", [("name", "Shade <Farm>"), ("email", "shade@example.com"), ("recipients", "a@b.example, nonsense")])
            #expect(refused.status == .unprocessableContent)
            let page = refused.text
            #expect(page.contains("<nav") && page.contains("<h1>Customers</h1>"))
            #expect(page.contains("value=\"Shade &lt;Farm&gt;\"") && page.contains("value=\"shade@example.com\"") && page.contains("value=\"a@b.example, nonsense\""))
            // The message sits in the recipients field's label, which is marked invalid.
            let field = try #require(page.range(of: "name=\"recipients\""))
            let message = try #require(page.range(of: "id=\"error-recipients\""))
            #expect(field.lowerBound < message.lowerBound)
            #expect(page.contains("aria-invalid=\"true\" aria-describedby=\"error-recipients\""))
            #expect(page.contains("recipient &#39;nonsense&#39; is not a mail address"))
            #expect(try await harness.db.store.customers().isEmpty)

            let settings = try await browser.post(client, "/settings", [("offline_threshold_minutes", "0"), ("low_production_percent", "30"), ("report_frequency", "daily"), ("report_hour", "7"), ("time_zone", "Europe/Berlin")])
            #expect(settings.status == .unprocessableContent)
            #expect(settings.text.contains("id=\"error-offline_threshold_minutes\"") && settings.text.contains("value=\"Europe/Berlin\""))
            #expect(settings.text.contains("<option selected>daily</option>"))
            let mail = try await browser.post(client, "/settings/mail", [("smtp_url", "http://nope"), ("mail_from", "ops@example.com")])
            #expect(mail.status == .unprocessableContent && mail.text.contains("id=\"error-smtp_url\"") && mail.text.contains("value=\"http://nope\""))
        }
    }

    @Test func duplicateCustomerNamesAreRefusedWhateverTheirCase() async throws {
        let harness = try Harness(now: Self.now)
        let existing = try await harness.db.store.createCustomer(CustomerDraft(name: "Sunny Farm", recipients: []), at: Self.nowMillis)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            for name in ["Sunny Farm", "sunny farm", "  SUNNY FARM "] {
                let response = try await browser.post(client, "/customers", [("name", name)])
                #expect(response.status == .unprocessableContent, "\(name)")
                #expect(response.text.contains("id=\"error-name\""))
            }
            let other = try await browser.post(client, "/customers", [("name", "Shady Farm")])
            #expect(other.status == .seeOther)
            let otherID = try #require(try await harness.db.store.customers().first { $0.name == "Shady Farm" }?.id)
            // Saving a customer under its own name is fine; under another's is not.
            #expect(try await browser.post(client, "/customers/\(existing.id)", [("name", "Sunny Farm"), ("email", "x@example.com")]).status == .seeOther)
            let clash = try await browser.post(client, "/customers/\(otherID)", [("name", "sunny farm")])
            #expect(clash.status == .unprocessableContent && clash.text.contains("value=\"sunny farm\""))
            #expect(try await harness.db.store.customers().count == 2)
        }
    }

    @Test func parallelSavesOfOneNewNameCreateOneCustomerAndOneStaffAccount() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let signedIn = browser
            // The same new name 12 times at once, in different cases: the check and the write
            // of one save must not interleave with another's.
            let customers = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        var browser = signedIn
                        return try await browser.post(client, "/customers", [("name", i % 2 == 0 ? "Rush Farm" : "RUSH farm")]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(customers.filter { $0 == .seeOther }.count == 1 && customers.filter { $0 == .unprocessableContent }.count == 11, "\(customers)")
            #expect(try await harness.db.store.customers().filter { $0.name.lowercased() == "rush farm" }.count == 1)

            let staff = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        var browser = signedIn
                        return try await browser.post(client, "/staff", [("name", i % 2 == 0 ? "carol" : "Carol"), ("password", "long-enough-pw")]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(staff.filter { $0 == .seeOther }.count == 1, "\(staff)")
            #expect(try await harness.db.store.staffAccounts().filter { $0.name.lowercased() == "carol" }.count == 1)
        }
    }

    @Test func needsAttentionHasOneRowPerGatewayWorstFirst() async throws {
        let harness = try Harness(now: Self.now)
        let store = harness.db.store
        let readings = harness.db.readings
        // a: online, unassigned; b: offline, unassigned, no key; c: offline, assigned; d: online, assigned, no key.
        for (id, age) in [("gw-a", 60_000), ("gw-b", 3 * 3_600_000), ("gw-c", 7_200_000), ("gw-d", 60_000)] as [(String, Int64)] {
            _ = try await readings.commit([GatewayReport(gateway: id, readings: [], receivedAt: Self.nowMillis - age)])
        }
        let customer = try await store.createCustomer(CustomerDraft(name: "Farm", recipients: []), at: Self.nowMillis)
        _ = try await store.assign(gateway: "gw-c", customer: customer.id, site: nil)
        _ = try await store.assign(gateway: "gw-d", customer: customer.id, site: nil)
        _ = try await store.setKeyHash(gateway: "gw-a", hash: "$y$x")
        _ = try await store.setKeyHash(gateway: "gw-c", hash: "$y$x")
        try await store.setSettings(["gateway_keys_required": "true"])
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.get(client, "/").text
            let table = try #require(page.split(separator: "id=\"attention\"").last?.split(separator: "</table>").first.map(String.init))
            let rows = table.components(separatedBy: "<tr class=").dropFirst()
            #expect(rows.count == 4)
            let order = rows.map { row in row.split(separator: "href=\"/gateways/").last!.split(separator: "\"").first.map(String.init)! }
            // Offline first (longest offline first), then the refused one, then the unassigned.
            #expect(order == ["gw-b", "gw-c", "gw-d", "gw-a"])
            let b = try #require(rows.first)
            #expect(b.hasPrefix("\"severity-1\""))
            #expect(b.contains("offline, last seen 3 h ago") && b.contains("not assigned to a customer") && b.contains("no gateway key"))
            #expect(rows.dropFirst(2).first?.hasPrefix("\"severity-2\"") == true && rows.last?.hasPrefix("\"severity-3\"") == true)
            // Times say their zone.
            #expect(page.contains("2026-11-29 09:00 UTC") && page.contains("Power and energy as of 2026-11-29 12:00:00 UTC"))
            try await store.setSettings(["time_zone": "Europe/Berlin"])
            #expect(try await browser.get(client, "/").text.contains("2026-11-29 10:00 UTC+1"))
        }
    }

    @Test func theGatewayPageOpensOnTheLast24HoursWithRoundDistinctTicks() async throws {
        // 03:00 UTC, before sunrise: "today" would be empty.
        let early = Date(timeIntervalSince1970: 1_795_921_200)  // 2026-11-29T03:00:00Z
        let harness = try Harness(now: early)
        let nowMillis = TimeFormat.millis(early)
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-1", from: nowMillis - 2 * 86_400_000, to: nowMillis - 60_000)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.get(client, "/gateways/gw-1").text
            #expect(page.contains("Power of gw-1, last 24 hours"))
            #expect(page.contains("class=\"active\">last 24 h</a>"))
            #expect(page.contains("class=\"total-line\""))
            #expect(!page.contains("no readings in this period"))
            // One line per sensor plus the total, and values on hover.
            #expect(page.components(separatedBy: "class=\"sensor-line\"").count - 1 == 4)  // 2 sensors × wide and narrow
            #expect(page.contains("<title>inv-1</title>") && page.contains(": total "))
            let ticks = page.components(separatedBy: "class=\"y-tick\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            #expect(!ticks.isEmpty)
            // The date range picker shows the chart's days.
            #expect(page.contains("id=\"chart-range-picker\"") && page.contains("name=\"from\" value=\"2026-11-28\""))
            let custom = try await browser.get(client, "/gateways/gw-1?from=2026-11-20&to=2026-11-28")
            #expect(custom.status == .ok && custom.text.contains("2026-11-20 to 2026-11-28 (hourly means)"))
            // Longer ranges draw each sensor's hourly means too.
            #expect(custom.text.components(separatedBy: "class=\"sensor-line\"").count - 1 == 4 && custom.text.contains("<title>inv-2</title>"))
            // An empty day: the axis still reads distinct values.
            let empty = try await browser.get(client, "/gateways/gw-1?range=day&end=2026-11-01").text
            let powerChart = try #require(empty.split(separator: "id=\"power-chart\"").last?.split(separator: "id=\"energy-bars\"").first.map(String.init))
            let emptyTicks = powerChart.components(separatedBy: "class=\"y-tick\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            #expect(Set(emptyTicks).count * 2 == emptyTicks.count)  // wide and narrow chart: each label twice
        }
    }

    @Test func timesOnPagesCarryTheirOffset() throws {
        let noon: Int64 = 1_795_953_600_000  // 2026-11-29T12:00:00Z
        #expect(TimeFormat.stamp(noon, in: .utc) == "2026-11-29 12:00 UTC")
        #expect(TimeFormat.stamp(noon, in: try #require(TimeZoneRules.named("Europe/Berlin")), seconds: true) == "2026-11-29 13:00:00 UTC+1")
        #expect(TimeFormat.stamp(noon, in: try #require(TimeZoneRules.named("Asia/Kolkata"))) == "2026-11-29 17:30 UTC+5:30")
        #expect(TimeFormat.stamp(noon, in: try #require(TimeZoneRules.named("America/St_Johns"))) == "2026-11-29 08:30 UTC-3:30")
    }

    @Test(arguments: [0.0, 0.3, 1, 7, 10, 99, 999, 1000, 1234, 2500, 9999, 10_000, 12_345, 99_999, 1_000_000, 3.3e6])
    func axisTicksAreDistinctAndRound(_ maximum: Double) {
        let (top, step) = SVGChart.niceScale(max(maximum, 10))
        #expect(top >= maximum)
        let mantissa = step / pow(10, floor(log10(step)))
        #expect([1, 2, 2.5, 5].contains { abs($0 - mantissa) < 1e-9 }, "step \(step)")
        let kilo = maximum >= 10_000
        let labels = SVGChart.axisLabels(max: top, step: step, kilo: kilo).map(\.label)
        #expect(Set(labels).count == labels.count, "\(labels)")
        #expect(labels.count >= 3 && labels.count <= 7, "\(labels)")
        #expect(Double(labels.first ?? "") == 0)
    }

    @Test func gatewaysListSearchesFiltersSortsAndPages() async throws {
        let harness = try Harness(now: Self.now)
        let store = harness.db.store
        var reports: [GatewayReport] = []
        for index in 0..<120 {
            let id = "gw-\(pad(index, 3))"
            let age: Int64 = index % 4 == 0 ? 3_600_000 : 60_000  // every fourth is offline
            reports.append(GatewayReport(gateway: id, readings: [Reading(sensor: "inv", at: Self.nowMillis - age, power: Double(index * 10))], receivedAt: Self.nowMillis - age))
        }
        _ = try await harness.db.readings.commit(reports)
        let customer = try await store.createCustomer(CustomerDraft(name: "Hill Farm", recipients: []), at: Self.nowMillis)
        _ = try await store.assign(gateway: "gw-007", customer: customer.id, site: "North barn")
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let first = try await browser.get(client, "/gateways")
            #expect(first.text.contains("120 of 120 gateways") && first.text.contains("page 1 of 3") && first.text.contains("http-equiv=\"refresh\""))
            #expect(first.text.contains(">gw-000<") && !first.text.contains(">gw-050<"))
            let third = try await browser.get(client, "/gateways?page=3").text
            #expect(third.contains(">gw-119<") && !third.contains("rel=\"next\""))
            let offline = try await browser.get(client, "/gateways?state=offline").text
            #expect(offline.contains("30 of 120 gateways") && !offline.contains(">gw-001<"))
            // Search by customer name or site.
            let search = try await browser.get(client, "/gateways?q=north").text
            #expect(search.contains("1 of 120 gateways") && search.contains(">gw-007<") && search.contains("Hill Farm"))
            // Sorted by power, highest first: gw-119 (1190 W) leads; offline gateways show no power.
            let byPower = try await browser.get(client, "/gateways?sort=power&order=desc").text
            let firstRow = try #require(byPower.split(separator: "<tr><td><a href=\"/gateways/").dropFirst().first)
            #expect(firstRow.hasPrefix("gw-119") && firstRow.contains("1190 W"))
            // Those figures are the dashboard's, shared and stamped: the list says how old they are.
            #expect(byPower.contains("id=\"figures-at\"") && !first.text.contains("id=\"figures-at\""))
            let byEnergy = try await browser.get(client, "/gateways?sort=energy&order=asc&state=online").text
            #expect(byEnergy.contains("90 of 120 gateways") && byEnergy.contains("id=\"figures-at\""))
            #expect(try await browser.get(client, "/gateways?refresh=off").text.contains("http-equiv=\"refresh\"") == false)
            #expect(try await browser.get(client, "/gateways?sort=colour").status == .unprocessableContent)
        }
    }

    @Test func fleetReportAndCSVWithByteOrderMark() async throws {
        let harness = try Harness(now: Self.now)
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-1", from: Self.nowMillis - 2 * 86_400_000, to: Self.nowMillis - 60_000)
        try await SolarFixture.write(to: harness.db.readings, gateway: "gw-2", from: Self.nowMillis - 2 * 86_400_000, to: Self.nowMillis - 60_000)
        let customer = try await harness.db.store.createCustomer(CustomerDraft(name: "Müller Solar", recipients: []), at: Self.nowMillis)
        _ = try await harness.db.store.assign(gateway: "gw-1", customer: customer.id, site: nil)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.get(client, "/reports?scope=all&from=2026-11-28&to=2026-11-28").text
            #expect(page.contains("Report: All gateways") && page.contains("<td>gw-1</td>") && page.contains("<td>gw-2</td>"))
            let csv = try await browser.get(client, "/reports?scope=all&from=2026-11-28&to=2026-11-28&format=csv")
            let bytes = Array(csv.body.readableBytesView)
            #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
            #expect(String(decoding: bytes.dropFirst(3), as: UTF8.self).contains("gw-1,Müller Solar,2026-11-28,"))
        }
    }

    @Test func testMailGoesThroughTheConfiguredServerAtOnce() async throws {
        let harness = try Harness(now: Self.now)
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            // No server yet: the message says so next to the address, which is kept.
            let none = try await browser.post(client, "/settings/test-mail", [("to", "ops@example.com")])
            #expect(none.status == .unprocessableContent && none.text.contains("id=\"error-to\"") && none.text.contains("no mail server is set"))
            #expect(none.text.contains("value=\"ops@example.com\""))
            #expect(try await browser.post(client, "/settings/test-mail", [("to", "nobody")]).status == .unprocessableContent)
            #expect(try await browser.post(client, "/settings/mail", [("smtp_url", "smtp://127.0.0.1:\(sink.port)"), ("mail_from", "panel@acme.example")]).status == .seeOther)
            let sent = try await browser.post(client, "/settings/test-mail", [("to", "ops@example.com")])
            #expect(sent.status == .seeOther)
            let messages = try await sink.waitForMessages(1)
            #expect(messages.first?.contains("Subject: Test mail from tenantctl (acme)") == true)
            #expect(messages.first?.hasPrefix("X-Envelope-To: ops@example.com") == true)
        }
    }

    @Test func thePanelShowsWhereGatewaysConnectAndAFirstRunChecklist() async throws {
        let harness = try Harness(now: Self.now)
        try await harness.app({ $0.gatewayPort = 6001 }).test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            // The test client reaches the app as "localhost".
            let dashboard = try await browser.get(client, "/").text
            #expect(dashboard.contains("id=\"first-run-checklist\""))
            #expect(dashboard.contains("<code>localhost:6001</code>"))
            #expect(dashboard.contains("class=\"todo\"") && dashboard.contains("No gateways yet."))
            #expect(try await browser.get(client, "/settings").text.contains("id=\"gateway-address\">localhost:6001<"))
        }
        // The host comes from the request: only a plain name or address is repeated.
        var configuration = harness.configuration
        configuration.gatewayPort = 6001
        let services = AdminServices(configuration: configuration, store: harness.db.store, readings: harness.db.readings, logger: Logger(label: "t"))
        #expect(services.gatewayAddress(requestHost: "solar.example.net:8081") == "solar.example.net:6001")
        #expect(services.gatewayAddress(requestHost: "[2001:db8::1]:8081") == "[2001:db8::1]:6001")
        #expect(services.gatewayAddress(requestHost: "<script>") == "this server's address:6001")
        #expect(harness.services.gatewayAddress(requestHost: "solar.example.net") == nil)
        try await harness.app({ $0.gatewayAddress = "ingest.example.net:7000" }).test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            #expect(try await browser.get(client, "/settings").text.contains("id=\"gateway-address\">ingest.example.net:7000<"))
            _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-1", readings: [], receivedAt: Self.nowMillis)])
            #expect(!(try await browser.get(client, "/").text.contains("first-run-checklist")))
        }
    }

    @Test func noReportForACustomerWithoutGatewaysAndOneOfflineMailForSix() async throws {
        let harness = try Harness(now: Self.now)
        let store = harness.db.store
        let empty = try await store.createCustomer(CustomerDraft(name: "Empty Co", recipients: ["empty@example.com"]), at: Self.nowMillis)
        let farm = try await store.createCustomer(CustomerDraft(name: "Six Farm", recipients: ["six@example.com"]), at: Self.nowMillis)
        let ids = (1...6).map { "gw-s\($0)" }
        _ = try await harness.db.readings.commit(ids.map { GatewayReport(gateway: $0, readings: [], receivedAt: Self.nowMillis - 60_000) })
        for id in ids { _ = try await store.assign(gateway: id, customer: farm.id, site: "Hill") }
        try await store.setSettings(["report_frequency": "daily", "report_hour": "7", "offline_threshold_minutes": "15", "low_production_percent": "0"])
        let scheduler = MailScheduler(services: harness.services, interval: .seconds(3600))
        // The first pass: the farm's report only (Empty Co has no gateways), states recorded.
        #expect(try await scheduler.tick(now: Self.nowMillis) == 1)
        let reports = try await store.dueMails(now: Self.nowMillis, limit: 10)
        #expect(reports.map(\.dedupeKey) == ["report:\(farm.id):daily:2026-11-28"])
        #expect(!reports.contains { $0.recipients.contains("empty@example.com") })
        _ = empty
        // All six go silent together: one mail listing them, and only once.
        let later = Self.nowMillis + 30 * 60_000
        #expect(try await scheduler.tick(now: later) == 1)
        #expect(try await scheduler.tick(now: later + 60_000) == 0)
        let alerts = try await store.dueMails(now: later, limit: 10).filter { $0.dedupeKey.hasPrefix("alert:") }
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.subject == "[alert] 6 gateways of Six Farm went offline")
        #expect(alert.dedupeKey.hasPrefix("alert:offline:group:"))
        #expect(ids.allSatisfy { alert.textBody.contains($0) })
        // One comes back: a single-gateway mail, as before grouping.
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-s3", readings: [], receivedAt: later + 120_000)])
        #expect(try await scheduler.tick(now: later + 180_000) == 1)
        let back = try await store.dueMails(now: later + 180_000, limit: 10).filter { $0.dedupeKey.hasPrefix("alert:online:") }
        #expect(back.map(\.subject) == ["[alert] Gateway gw-s3 (Six Farm) is back online"])
    }
}
