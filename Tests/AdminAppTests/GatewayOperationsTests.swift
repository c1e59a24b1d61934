import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TenantAuth
import TenantSQLite
import TenantStorage
@testable import AdminApp
import AdminTestSupport

/// Onboarding (register, disable, delete), refused connections on the dashboard, limits and
/// retention: panel forms and JSON API over a real SQLite store.
@Suite struct GatewayOperationsPanelTests {
    static let now = Date(timeIntervalSince1970: 1_795_953_600)  // 2026-11-29T12:00:00Z
    static var nowMillis: Int64 { TimeFormat.millis(now) }

    func seed(_ harness: Harness) async throws {
        let readings = (0..<10).map { i in Reading(sensor: "a", at: Self.nowMillis - 3 * 86_400_000 + Int64(i) * 60_000, power: 10) }
        _ = try await harness.db.readings.commit([GatewayReport(gateway: "gw-1", readings: readings, receivedAt: Self.nowMillis - 60_000)])
        _ = try await harness.db.store.createCustomer(CustomerDraft(name: "Sunny Farm"), at: Self.nowMillis)
    }

    static func field(_ text: String, id: String) -> String? {
        text.split(separator: "id=\"\(id)\">").last?.split(separator: "<").first.map(String.init)
    }

    @Test func refusedGatewaysAreRegisteredWithOneClickAndGetAKeyShownOnce() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        // What tenant-ingest records when it refuses a gateway.
        try await SQLiteGatewayAuthStore(database: harness.db.database).recordRefusals([
            GatewayRefusal(kind: .refused, gateway: "gw-new", reason: "no key registered for this gateway", attempts: 4, lastAttempt: Self.nowMillis - 5000),
            GatewayRefusal(kind: .rateLimited, gateway: "gw-1", reason: "over 100 readings/s (burst 500), retry later", attempts: 2, lastAttempt: Self.nowMillis - 1000),
        ])
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let dashboard = try await browser.get(client, "/").text
            #expect(dashboard.contains("Refused connections") && dashboard.contains("no key registered for this gateway"))
            #expect(dashboard.contains("href=\"/gateways/new?id=gw-new\""))
            #expect(dashboard.contains("Rate-limited gateways") && dashboard.contains("over 100 readings/s"))

            let form = try await browser.get(client, "/gateways/new?id=gw-new")
            #expect(form.status == .ok && form.text.contains("value=\"gw-new\""))
            let customer = try #require(try await harness.db.store.customers().first)
            let keyPage = try await browser.post(client, "/gateways/new", [("gateway", "gw-new"), ("customer", "\(customer.id)"), ("site", "Shed"), ("credential", "key")])
            #expect(keyPage.status == .ok)
            let key = try #require(Self.field(keyPage.text, id: "gateway-key"))
            #expect(key.count == 64)
            let hash = try #require(try await harness.db.database.read { db in try db.query("SELECT key_hash FROM gateways WHERE id = 'gw-new'").first?.string(0) })
            #expect(hash.hasPrefix("$y$") && PasswordHasher.verify(key, against: hash) && !hash.contains(key))
            let registered = try #require(try await harness.db.store.gateway(id: "gw-new"))
            #expect(registered.customerID == customer.id && registered.site == "Shed" && !registered.hasReported)
            // Registered: off the refused list, waiting for its first report (not offline).
            let after = try await browser.get(client, "/").text
            #expect(!after.contains("href=\"/gateways/new?id=gw-new\""))
            #expect(after.contains("registered, waiting for its first report"))
            // The key is never shown again.
            #expect(!(try await browser.get(client, "/gateways/gw-new").text.contains(key)))

            let cert = try await browser.post(client, "/gateways/new", [("gateway", "gw-cert"), ("customer", "none"), ("credential", "certificate")])
            #expect(cert.status == .seeOther)
            #expect(try await harness.db.store.gateway(id: "gw-cert")?.credential == .certificate)
            #expect(try await harness.db.store.gateway(id: "gw-cert")?.hasKey == false)
            for (fields, status) in [([("gateway", "gw-new"), ("credential", "key")], HTTPResponse.Status.conflict),
                                     ([("gateway", "bad id!"), ("credential", "key")], .badRequest),
                                     ([("gateway", "gw-x"), ("credential", "password")], .badRequest),
                                     ([("gateway", "gw-x"), ("credential", "key"), ("customer", "999")], .notFound)] {
                #expect(try await browser.post(client, "/gateways/new", fields).status == status, "\(fields)")
            }
        }
    }

    @Test func disableAndDeleteAskWhatHappensToTheReadings() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            #expect(try await browser.post(client, "/gateways/gw-1/disable", [("action", "disable")]).status == .seeOther)
            #expect(try await harness.db.store.gateway(id: "gw-1")?.disabled == true)
            #expect(try await browser.get(client, "/gateways/gw-1").text.contains("Disabled: its reports are refused."))
            #expect(try await browser.get(client, "/").text.contains("disabled: its reports are refused"))
            #expect(try await browser.post(client, "/gateways/gw-1/disable", [("action", "enable")]).status == .seeOther)
            #expect(try await harness.db.store.gateway(id: "gw-1")?.disabled == false)
            #expect(try await browser.post(client, "/gateways/nope/disable", [("action", "disable")]).status == .notFound)

            let confirm = try await browser.get(client, "/gateways/gw-1/delete")
            #expect(confirm.text.contains("name=\"readings\" value=\"keep\"") && confirm.text.contains("value=\"purge\""))
            #expect(try await browser.post(client, "/gateways/gw-1/delete", []).status == .badRequest)
            #expect(try await harness.db.store.gateway(id: "gw-1") != nil)
            #expect(try await browser.post(client, "/gateways/gw-1/delete", [("readings", "keep")]).status == .seeOther)
            #expect(try await harness.db.store.gateway(id: "gw-1") == nil)
            let kept = try await harness.db.database.read { db in try db.query("SELECT count(*) FROM readings WHERE gateway = 'gw-1'").first?.int(0) }
            #expect(kept == 10)
        }
    }

    @Test func limitsAndRetentionShowTheStore() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.get(client, "/limits")
            #expect(page.status == .ok)
            #expect(Self.field(page.text, id: "store-size")?.hasSuffix("KiB") == true)
            #expect(Self.field(page.text, id: "oldest-reading")?.hasPrefix("2026-11-26") == true)
            let fields = [("max_gateways", "50"), ("readings_per_second", "100"), ("readings_burst", "500"), ("retention_days", "365"), ("rollup_retention_days", "730")]
            #expect(try await browser.post(client, "/limits", fields).status == .seeOther)
            let stored = ProviderLimits(stored: try await harness.db.store.settings())
            #expect(stored == ProviderLimits(maxGateways: 50, readingsPerSecond: 100, readingsBurst: 500, retentionDays: 365, rollupRetentionDays: 730))
            for bad in [("max_gateways", "-1"), ("readings_per_second", "fast"), ("retention_days", "1.5"), ("rollup_retention_days", "10")] {
                let fields = fields.filter { $0.0 != bad.0 } + [bad]
                #expect(try await browser.post(client, "/limits", fields).status == .badRequest, "\(bad)")
            }
            #expect(try await browser.post(client, "/limits", [("readings_burst", "5")]).status == .badRequest)
            // Empty fields clear every limit.
            #expect(try await browser.post(client, "/limits", []).status == .seeOther)
            #expect(ProviderLimits(stored: try await harness.db.store.settings()) == ProviderLimits())
            // The gateway limit applies to registration.
            #expect(try await browser.post(client, "/limits", [("max_gateways", "1")]).status == .seeOther)
            #expect(try await browser.post(client, "/gateways/new", [("gateway", "gw-2"), ("credential", "key")]).status == .conflict)
        }
    }

    @Test func jsonAPIRegistersDeletesAndSetsLimits() async throws {
        let harness = try Harness(now: Self.now)
        try await seed(harness)
        try await SQLiteGatewayAuthStore(database: harness.db.database).recordRefusals([
            GatewayRefusal(kind: .refused, gateway: "gw-x", reason: "wrong gateway key", attempts: 1, lastAttempt: Self.nowMillis - 1000)
        ])
        try await harness.app().test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let page = try await browser.post(client, "/account/token", [("action", "create")])
            let token = try #require(Self.field(page.text, id: "api-token"))
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            headers[.contentType] = "application/json"
            func json(_ response: TestResponse) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }

            let created = try await client.execute(uri: "/api/v1/gateways", method: .post, headers: headers, body: ByteBuffer(string: #"{"gateway":"gw-api","site":"Mast"}"#))
            #expect(created.status == .created)
            let body = try json(created)
            #expect(body["credential"] as? String == "key" && (body["key"] as? String)?.count == 64 && body["site"] as? String == "Mast")
            let cert = try await client.execute(uri: "/api/v1/gateways", method: .post, headers: headers, body: ByteBuffer(string: #"{"gateway":"gw-c","credential":"certificate"}"#))
            #expect(cert.status == .created)
            let certBody = try json(cert)
            #expect(certBody["key"] is NSNull)
            for (text, status) in [("not json", 400), (#"{"gateway":"gw-api"}"#, 409), (#"{"gateway":""}"#, 400), (#"{"gateway":"g","credential":"x"}"#, 400),
                                   (#"{"gateway":"g","customer":42}"#, 404)] {
                let response = try await client.execute(uri: "/api/v1/gateways", method: .post, headers: headers, body: ByteBuffer(string: text))
                #expect(Int(response.status.code) == status, "\(text)")
                let error = try json(response)
                #expect(error["error"] is String)
            }

            #expect(try await client.execute(uri: "/api/v1/gateways/gw-api/disable", method: .post, headers: headers).status == .noContent)
            #expect(try await harness.db.store.gateway(id: "gw-api")?.disabled == true)
            #expect(try await client.execute(uri: "/api/v1/gateways/gw-api/enable", method: .post, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/gateways/nope/disable", method: .post, headers: headers).status == .notFound)

            #expect(try await client.execute(uri: "/api/v1/gateways/gw-1", method: .delete, headers: headers).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/gateways/gw-1?readings=purge", method: .delete, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/gateways/gw-1?readings=purge", method: .delete, headers: headers).status == .notFound)
            let left = try await harness.db.database.read { db in try db.query("SELECT count(*) FROM readings WHERE gateway = 'gw-1'").first?.int(0) }
            #expect(left == 0)

            let refusals = try json(try await client.execute(uri: "/api/v1/refusals", method: .get, headers: headers))
            let refused = try #require(refusals["refused"] as? [[String: Any]])
            #expect(refused.first?["gateway"] as? String == "gw-x" && refused.first?["last_attempt"] as? String == "2026-11-29T11:59:59Z")
            #expect((refusals["rate_limited"] as? [Any])?.isEmpty == true)

            let put = try await client.execute(uri: "/api/v1/limits", method: .put, headers: headers,
                                               body: ByteBuffer(string: #"{"max_gateways":10,"readings_per_second":2.5,"readings_burst":null,"retention_days":30,"rollup_retention_days":null}"#))
            #expect(put.status == .ok)
            let limits = try json(put)
            #expect(limits["max_gateways"] as? Int == 10 && limits["readings_per_second"] as? Double == 2.5 && limits["readings_burst"] is NSNull)
            #expect(limits["retention_days"] as? Int == 30 && limits["rollup_retention_days"] is NSNull && (limits["store_size_bytes"] as? Int ?? 0) > 0 && limits["store_size_estimated"] as? Bool == false)
            #expect(ProviderLimits(stored: try await harness.db.store.settings()) == ProviderLimits(maxGateways: 10, readingsPerSecond: 2.5, retentionDays: 30))
            let bad = try await client.execute(uri: "/api/v1/limits", method: .put, headers: headers, body: ByteBuffer(string: #"{"max_gateways":-5}"#))
            #expect(bad.status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/limits", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .ok)
        }
    }
}
