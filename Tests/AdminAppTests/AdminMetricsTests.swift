import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServerSupport
import TenantAuth
import TenantMailer
import TenantModel
import TenantStorage
import Testing
@testable import AdminApp

/// `/metrics` on the panel's port: only with an API token; the names and values Prometheus
/// reads; no store work per scrape.
@Suite struct AdminMetricsTests {
    func app(_ harness: Harness, exporter: PrometheusExporter) async throws -> some ApplicationProtocol {
        var configuration = harness.configuration
        configuration.metricsFactory = exporter.factory
        configuration.renderMetrics = exporter.render
        var logger = Logger(label: "admin-test")
        logger.logLevel = .warning
        return try await buildApplication(configuration: configuration, store: harness.db.store, readings: harness.db.readings, logger: logger)
    }

    /// Gives staff `admin` an API token; returns it.
    func token(_ harness: Harness) async throws -> String {
        // The bootstrap account exists once the app was built.
        let token = SecretGenerator.token()
        #expect(try await harness.db.store.setAPITokenHash(name: "admin", hash: SHA256.hex(token)))
        return token
    }

    @Test func thePublicPortAnswers401WithoutAToken() async throws {
        let harness = try Harness()
        let exporter = PrometheusExporter()
        let app = try await app(harness, exporter: exporter)
        let token = try await token(harness)
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(!response.body.readableBytesView.contains(Array("tenant_admin".utf8)))
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + String(repeating: "b", count: 64)]) {
                #expect($0.status == .unauthorized)
            }
            // A signed-in browser session is not enough either: scrapers use tokens.
            var browser = Browser()
            try await browser.signIn(client)
            #expect(try await browser.get(client, "/metrics").status == .unauthorized)
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(String(buffer: response.body).contains("# TYPE tenant_admin_http_requests_total counter"))
            }
        }
    }

    @Test func requestsAreCountedByRoutePatternAndStatus() async throws {
        let harness = try Harness()
        let exporter = PrometheusExporter()
        let app = try await app(harness, exporter: exporter)
        let token = try await token(harness)
        try await app.test(.router) { client in
            for _ in 0..<3 { try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) } }
            // Two different customer ids: one route pattern, not one series per id.
            try await client.execute(uri: "/customers/1", method: .get) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/customers/2", method: .get) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/no/such/page", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/customers", method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok) }
        }
        let text = String(decoding: exporter.render(), as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in [
            #"tenant_admin_http_requests_total{route="/health",status="200"} 3"#,
            #"tenant_admin_http_requests_total{route="/customers/{id}",status="303"} 2"#,
            #"tenant_admin_http_requests_total{route="unmatched",status="404"} 1"#,
            #"tenant_admin_http_requests_total{route="/api/v1/customers",status="200"} 1"#,
            "# TYPE tenant_admin_http_request_duration_seconds histogram",
            "tenant_admin_http_request_duration_seconds_count 7",
        ] {
            #expect(lines.contains(expected), "missing '\(expected)' in:\n\(text)")
        }
        #expect(!text.contains("/customers/1"))
    }

    /// The outbox records the gauge after its first pass, though no mail server is set and
    /// nothing rings it: queued mails show up without any periodic refresher.
    @Test func outboxPendingIsRecordedByTheOutbox() async throws {
        let harness = try Harness()
        let store = harness.db.store
        for key in ["a", "b"] {
            #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:\(key)", recipients: ["ops@example.com"], subject: key, textBody: "", htmlBody: "", createdAt: 0)))
        }
        let exporter = PrometheusExporter()
        let app = try await app(harness, exporter: exporter)
        // The outbox runs with the app's services: wait for its first pass.
        try await app.test(.live) { _ in
            var text = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                text = String(decoding: exporter.render(), as: UTF8.self)
                if text.contains("tenant_admin_outbox_pending 2.0\n") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(text.contains("tenant_admin_outbox_pending 2.0\n"), "\(text)")
        }
    }

    struct RefusingTransport: MailTransport {
        struct Refused: Error {}
        func send(_ message: String, from: String, to recipients: [String]) async throws { throw Refused() }
    }

    struct AcceptingTransport: MailTransport {
        func send(_ message: String, from: String, to recipients: [String]) async throws {}
    }

    @Test func deliveryFailuresAndSentMailsAreCounted() async throws {
        let harness = try Harness()
        let store = harness.db.store
        for key in ["a", "b", "c"] {
            #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:\(key)", recipients: ["ops@example.com"], subject: key, textBody: "", htmlBody: "", createdAt: 0)))
        }
        let exporter = PrometheusExporter()
        let logger = Logger(label: "admin-test")
        let refusing = OutboxProcessor(store: store, logger: logger, metricsFactory: exporter.factory) { (RefusingTransport(), "panel@example.com") }
        #expect(try await refusing.processDue(now: Date(timeIntervalSince1970: 1)) == 0)
        let accepting = OutboxProcessor(store: store, logger: logger, metricsFactory: exporter.factory) { (AcceptingTransport(), "panel@example.com") }
        // After the backoff, all three go out.
        #expect(try await accepting.processDue(now: Date(timeIntervalSince1970: 86_400)) == 3)
        let lines = Set(String(decoding: exporter.render(), as: UTF8.self).split(separator: "\n").map(String.init))
        #expect(lines.contains("tenant_admin_mail_failures_total 3"))
        #expect(lines.contains("tenant_admin_mails_sent_total 3"))
    }
}
