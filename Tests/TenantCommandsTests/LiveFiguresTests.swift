import Foundation
import Testing

@testable import TenantCommands

@Suite struct LiveFiguresTests {
    /// What the servers print with --print-metrics (shape as swift-prometheus writes it).
    static let ingestText = """
        # TYPE tenant_ingest_reports_total counter
        tenant_ingest_reports_total{result="ack"} 120
        tenant_ingest_reports_total{result="nack"} 3
        # TYPE tenant_ingest_readings_stored_last_minute gauge
        tenant_ingest_readings_stored_last_minute 480.0
        # TYPE tenant_ingest_last_reading_timestamp_seconds gauge
        tenant_ingest_last_reading_timestamp_seconds 1764065700.5
        tenant_ingest_commit_duration_seconds_bucket{le="+Inf"} 7
        # TYPE tenant_ingest_readings_stored_total counter
        tenant_ingest_readings_stored_total 1200
        # TYPE tenant_ingest_connections gauge
        tenant_ingest_connections 4.0
        """
    static let adminText = """
        tenant_admin_http_requests_total{route="/customers/{id}",status="200"} 9
        tenant_admin_outbox_pending 2.0
        tenant_admin_mail_failures_total 5
        """

    @Test func parsesNamesLabelsAndValues() {
        let samples = PrometheusText.parse(Self.ingestText + "\nbroken{line 1\n" + Self.adminText)
        #expect(samples.count == 10)
        #expect(samples.value("tenant_ingest_reports_total", ["result": "ack"]) == 120)
        #expect(samples.value("tenant_ingest_reports_total", ["result": "nack"]) == 3)
        #expect(samples.value("tenant_ingest_reports_total") == nil)
        #expect(samples.value("tenant_ingest_commit_duration_seconds_bucket", ["le": "+Inf"]) == 7)
        #expect(samples.value("tenant_admin_http_requests_total", ["route": "/customers/{id}", "status": "200"]) == 9)
        #expect(PrometheusText.sample(#"x{a="q\"uote",b="back\\slash"} 1"#) == MetricSample(name: "x", labels: ["a": "q\"uote", "b": "back\\slash"], value: 1))
    }

    @Test func figuresFromBothServers() {
        let figures = LiveFigures(
            ingest: PrometheusText.parse(Self.ingestText), admin: PrometheusText.parse(Self.adminText), now: 1_764_065_742.9)
        #expect(figures.gatewaysConnected == 4)
        #expect(figures.readingsLastMinute == 480)
        #expect(figures.readingsStored == 1200)
        #expect(figures.lastReadingAgeSeconds == 42)
        #expect(figures.mailsPending == 2)
        #expect(figures.mailFailures == 5)
        #expect(figures.summary == "4 gateways connected, 480 readings in the last minute, last reading 42s ago, 2 mails pending")
    }

    @Test func missingServersAndNoReadingsYet() {
        let fresh = LiveFigures(ingest: PrometheusText.parse("tenant_ingest_readings_stored_total 0\ntenant_ingest_last_reading_timestamp_seconds 0.0"), admin: nil, now: 100)
        #expect(fresh.lastReadingAgeSeconds == nil)
        #expect(fresh.mailsPending == nil)
        #expect(fresh.summary == "? gateways connected, ? readings in the last minute, last reading none since start, ? mails pending")
        #expect(LiveFigures.age(59, known: true) == "59s ago")
        #expect(LiveFigures.age(600, known: true) == "10m ago")
        #expect(LiveFigures.age(7200, known: true) == "2h ago")
        #expect(LiveFigures.age(3 * 86_400, known: true) == "3d ago")
        #expect(LiveFigures.age(nil, known: false) == "?")
    }

    @Test func topRowsAsTableAndJSON() throws {
        var figures = LiveFigures(ingest: PrometheusText.parse(Self.ingestText), admin: nil, now: 1_764_065_710)
        figures.problems = ["admin_panel_obs_a: exited"]
        let rows = [TenantCtl.ProviderTop.Row(provider: "obs_a", state: "partial", figures: figures)]
        #expect(TenantCtl.ProviderTop.table(rows) == """
            PROVIDER  STATE    GATEWAYS  READINGS/MIN  LAST READING  MAILS PENDING  MAIL FAILURES
            obs_a     partial  4         480           9s ago        ?              ?
            """)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONOutput.render(rows).utf8)) as? [[String: Any]])
        #expect(json.count == 1)
        #expect(json[0]["provider"] as? String == "obs_a")
        #expect(json[0]["gateways_connected"] as? Int == 4)
        #expect(json[0]["readings_last_minute"] as? Int == 480)
        #expect(json[0]["last_reading_age_seconds"] as? Int == 9)
        #expect(json[0]["mails_pending"] == nil)
        #expect(json[0]["problems"] as? [String] == ["admin_panel_obs_a: exited"])
        #expect(TenantCtl.ProviderTop.table([]) == "no providers")
    }
}
