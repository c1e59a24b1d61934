import FoundationEssentials
import Hummingbird
import TenantMailer

/// Routes without sign-in: health, metrics, the stylesheet.
struct OpenController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/health") { _, _ in try await health() }
        router.get("/metrics") { _, _ in try await metrics() }
        router.get("/static/admin.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
    }

    func health() async throws -> Response {
        do {
            try await services.readings.ping()
            _ = try await services.store.setting(AdminSettings.Key.timeZone)
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        } catch {
            services.logger.warning("health check: store not readable", metadata: ["error": "\(error)"])
            return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "store unavailable\n")))
        }
    }

    func metrics() async throws -> Response {
        let now = services.nowMillis
        let settings = try await services.settings()
        let gateways = try await services.store.gateways()
        let online = gateways.filter { now - $0.lastSeen <= settings.offlineThresholdMillis }.count
        let unassigned = gateways.filter { $0.customerID == nil }.count
        let outbox = try await services.store.outboxCounts()
        let failing = try await services.store.failingMails(minAttempts: OutboxProcessor.failingAfterAttempts).count
        var lines = [
            "# HELP tenant_admin_gateways Gateways by state (online/offline by the provider's threshold; unassigned overlaps both).",
            "# TYPE tenant_admin_gateways gauge",
            "tenant_admin_gateways{state=\"online\"} \(online)",
            "tenant_admin_gateways{state=\"offline\"} \(gateways.count - online)",
            "tenant_admin_gateways{state=\"unassigned\"} \(unassigned)",
            "# HELP tenant_admin_outbox_mails Mails in the outbox.",
            "# TYPE tenant_admin_outbox_mails gauge",
            "tenant_admin_outbox_mails{state=\"pending\"} \(outbox.pending)",
            "tenant_admin_outbox_mails{state=\"failing\"} \(failing)",
            "# HELP tenant_admin_mails_sent_total Mails delivered to the SMTP server.",
            "# TYPE tenant_admin_mails_sent_total counter",
            "tenant_admin_mails_sent_total \(outbox.sent)",
            "# HELP tenant_admin_http_responses_total HTTP responses by status class.",
            "# TYPE tenant_admin_http_responses_total counter",
        ]
        let responses = services.metrics.responsesByClass
        for statusClass in 1...5 { lines.append("tenant_admin_http_responses_total{class=\"\(statusClass)xx\"} \(responses[statusClass] ?? 0)") }
        lines += [
            "# HELP tenant_admin_login_failures_total Refused sign-in attempts.",
            "# TYPE tenant_admin_login_failures_total counter",
            "tenant_admin_login_failures_total \(services.metrics.loginFailures.load(ordering: .relaxed))",
        ]
        if let rss = AdminMetrics.residentBytes {
            lines += ["# HELP process_resident_memory_bytes Resident memory.", "# TYPE process_resident_memory_bytes gauge", "process_resident_memory_bytes \(rss)"]
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
    }
}
