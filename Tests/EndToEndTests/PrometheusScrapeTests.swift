import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TenantTestSupport
import Testing

// A real Prometheus (Debian's `prometheus`, installed by scripts/setup-host.sh) scrapes a
// running tenant-ingest and tenant-admin, all on loopback with a temporary storage directory;
// after a known load from tenant-gateway-sim, its query API must report exactly the readings
// the server acknowledged. No Docker: the servers run as plain processes.

private let prometheusPath = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.serialized) struct PrometheusScrapeTests {
    /// The value of an instant query's single sample, or nil when it has none.
    static func query(_ port: Int, _ promQL: String) async -> Double? {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "+&=")))!
        guard let (status, body) = await get("http://127.0.0.1:\(port)/api/v1/query?query=\(encoded)"), status == 200,
            let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]], result.count == 1,
            let value = result[0]["value"] as? [Any], value.count == 2, let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    @Test(.enabled(if: prometheusPath != nil, "prometheus is not installed (scripts/setup-host.sh installs Debian's package)"))
    func prometheusSeesExactlyTheAcknowledgedReadings() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("obs-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = "sqlite:\(directory.path)/obs_prom.db"
        let ingestPort = freeLoopbackPort(), ingestMetrics = freeLoopbackPort()
        let adminPort = freeLoopbackPort(), adminMetrics = freeLoopbackPort(), prometheusPort = freeLoopbackPort()

        var daemons: [Daemon] = []
        defer { daemons.forEach { $0.stop() } }
        let ingest = try Daemon(
            builtProduct("tenant-ingest"),
            ["--provider", "obs_prom", "--store", store, "--listen", "127.0.0.1:\(ingestPort)", "--metrics-listen", "127.0.0.1:\(ingestMetrics)",
             "--log-format", "json"],
            log: directory.appendingPathComponent("ingest.log"))
        daemons.append(ingest)
        // The admin app migrates the same store; start it after the ingest server created it.
        _ = try await waitFor(.seconds(30), "tenant-ingest's metrics listener", { await get("http://127.0.0.1:\(ingestMetrics)/metrics")?.status }, until: { $0 == 200 })
        let admin = try Daemon(
            builtProduct("tenant-admin"),
            ["--provider", "obs_prom", "--store", store, "--listen", "127.0.0.1:\(adminPort)", "--metrics-listen", "127.0.0.1:\(adminMetrics)"],
            log: directory.appendingPathComponent("admin.log"))
        daemons.append(admin)

        let config = directory.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: ingest
                static_configs: [{targets: ["127.0.0.1:\(ingestMetrics)"], labels: {provider: obs_prom}}]
              - job_name: admin
                static_configs: [{targets: ["127.0.0.1:\(adminMetrics)"], labels: {provider: obs_prom}}]
            """.write(to: config, atomically: true, encoding: .utf8)
        let prometheus = try Daemon(
            prometheusPath!,
            ["--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("tsdb").path)",
             "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn"],
            log: directory.appendingPathComponent("prometheus.log"))
        daemons.append(prometheus)

        // Both targets up, as Prometheus sees them.
        for job in ["ingest", "admin"] {
            let up = try await waitFor(.seconds(60), "\(job) target up", { await Self.query(prometheusPort, "up{job=\"\(job)\"}") }, until: { $0 == 1 })
            #expect(up == 1, "\(job): \(prometheus.output)\n\(ingest.output)\n\(admin.output)")
        }

        // A known load: 5 gateways x 12 reports x 4 sensors, nothing refused.
        let simulator = try await runProgram(
            builtProduct("tenant-gateway-sim"),
            ["--target", "127.0.0.1:\(ingestPort)", "--gateways", "5", "--sensors", "4", "--reports", "12", "--rate", "0", "--duration", "30",
             "--prefix", "obs-", "--json"],
            timeout: .seconds(60))
        try #require(simulator.code == 0, "simulator: \(simulator.err)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(simulator.out.utf8)) as? [String: Any])
        let acks = try #require(summary["acks"] as? Int)
        let ackedReadings = try #require(summary["readingsStored"] as? Int)
        #expect(acks == 60)
        #expect(ackedReadings == 5 * 12 * 4)

        // Prometheus scrapes every second: wait until its sample shows the load, then it must equal it.
        let stored = try await waitFor(
            .seconds(60), "the stored counter to reach \(ackedReadings)", { await Self.query(prometheusPort, "tenant_ingest_readings_stored_total") },
            until: { $0 >= Double(ackedReadings) })
        #expect(stored == Double(ackedReadings))
        // Each series is its own sample: one scrape may show the stored readings before the acks
        // that followed them, or the connections before the server saw them close.
        let acked = try await waitFor(
            .seconds(60), "the ack counter to reach \(acks)", { await Self.query(prometheusPort, "tenant_ingest_reports_total{result=\"ack\"}") },
            until: { $0 >= Double(acks) })
        #expect(acked == Double(acks))
        #expect(await Self.query(prometheusPort, "tenant_ingest_reports_total{result=\"nack\"}") == 0)
        #expect(await Self.query(prometheusPort, "tenant_ingest_readings_duplicate_total") == 0)
        let open = try await waitFor(
            .seconds(60), "no open gateway connections", { await Self.query(prometheusPort, "tenant_ingest_connections") }, until: { $0 == 0 })
        #expect(open == 0)
        let commits = try #require(await Self.query(prometheusPort, "tenant_ingest_commit_duration_seconds_count"))
        #expect(commits >= 1 && commits <= Double(acks))
        // The admin app's outbox gauge is exported (nothing queued in a new store).
        #expect(await Self.query(prometheusPort, "tenant_admin_outbox_pending") == 0)
        #expect(await Self.query(prometheusPort, "tenant_admin_mail_failures_total") == 0)
    }

    /// docs/prometheus/*.yml, the example for a host with many providers, is what Prometheus accepts.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is not installed (scripts/setup-host.sh installs Debian's prometheus)"))
    func documentedScrapeConfigAndAlertRulesAreValid() async throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/prometheus")
        let config = try await runProgram("/usr/bin/promtool", ["check", "config", docs.appendingPathComponent("prometheus.yml").path], timeout: .seconds(60))
        #expect(config.code == 0, "\(config.out)\(config.err)")
        #expect(config.out.contains("SUCCESS: 3 rules found"), "\(config.out)")
        let rules = try await runProgram("/usr/bin/promtool", ["check", "rules", docs.appendingPathComponent("alerts.yml").path], timeout: .seconds(60))
        #expect(rules.code == 0, "\(rules.out)\(rules.err)")
        let text = try String(contentsOf: docs.appendingPathComponent("alerts.yml"), encoding: .utf8)
        for name in ["ProviderReceivesNothing", "ProviderMailsFailing", "tenant_ingest_readings_stored_total[15m]", "tenant_admin_mail_failures_total"] {
            #expect(text.contains(name))
        }
    }
}
