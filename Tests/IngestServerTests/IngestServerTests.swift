import Foundation
import GatewayProtocol
import GatewaySimulator
import MetricsTestKit
@testable import IngestServer
import NIOCore
import ServerSupport
import TenantAuth
import TenantModel
import TenantSQLite
import TenantStorage
import TenantTestSupport
import Testing

@Suite struct IngestServerTests {
    @Test func hundredGatewaysInParallelStoreEveryReadingExactlyOnce() async throws {
        let metrics = TestMetrics()
        let server = try await RunningServer.start(metrics: metrics)
        let configuration = SimulatorConfiguration(
            port: server.port, gateways: 100, sensors: 10, reportsPerGateway: 20, duration: 60, rate: 0, window: 8)
        var simulator = GatewaySimulator(configuration: configuration)
        simulator.recordAcknowledgedSeqs = true
        let first = try await simulator.run()
        #expect(first.acks == 2000)
        #expect(first.nacks == 0 && first.errors == 0 && first.unacknowledged == 0)
        #expect(first.readingsStored == 20_000)
        #expect(first.readingsDuplicate == 0)
        #expect(try await server.count("SELECT count(*) FROM readings") == 20_000)
        #expect(try await server.count("SELECT count(*) FROM gateways") == 100)
        // Every gateway's seqs were acknowledged once each, in order.
        #expect(first.ackedSeqs.count == 100)
        #expect(first.ackedSeqs.values.allSatisfy { $0 == Array(1...20) })

        // Resending everything (a gateway that lost its acks) stores nothing new.
        let second = try await simulator.run()
        #expect(second.acks == 2000)
        #expect(second.readingsStored == 0)
        #expect(second.readingsDuplicate == 20_000)
        #expect(try await server.count("SELECT count(*) FROM readings") == 20_000)
        try await server.stop()
        // Group commit: reports from many connections shared transactions.
        let commits = try metrics.expectCounter("tenant_ingest_commits_total").totalValue
        #expect(commits > 0 && commits < 4000 / 4, "\(commits) commits for 4000 reports")
        #expect(try metrics.expectCounter("tenant_ingest_readings_stored_total").totalValue == 20_000)
        #expect(try metrics.expectCounter("tenant_ingest_readings_duplicate_total").totalValue == 20_000)
    }

    @Test func faultsFromTheSimulatorLoseNothing() async throws {
        let server = try await RunningServer.start()
        let configuration = SimulatorConfiguration(
            port: server.port, gateways: 10, sensors: 5, gatewayPrefix: "f-", reportsPerGateway: 40, duration: 60, rate: 0,
            window: 4, duplicatePercent: 10, invalidPercent: 10, malformedPercent: 3, splitWrites: true)
        var simulator = GatewaySimulator(configuration: configuration)
        simulator.recordAcknowledgedSeqs = true
        let report = try await simulator.run()
        #expect(report.unacknowledged == 0)
        #expect(report.nacks > 0)
        #expect(report.errors > 0)
        #expect(report.reconnects >= report.errors)
        // Every acknowledged report is stored with all of its readings.
        let acknowledged = Set(report.ackedSeqs.flatMap { gateway, seqs in seqs.map { "\(gateway)/\($0)" } })
        let stored = try await server.count("SELECT count(*) FROM readings")
        #expect(stored == acknowledged.count * 5)
        try await server.stop()
    }

    @Test func aReportWithOneBadReadingStoresNothing() async throws {
        let server = try await RunningServer.start()
        let port = server.port
        let lines = try await blocking {
            let client = try LineClient(port: port)
            client.send(
                "<report gateway=\"gw-1\" seq=\"1\">" + reading("a") + reading("b", power: "NaN") + reading("c") + "</report>\n"
                    + "<report gateway=\"gw-1\" seq=\"2\">" + reading("a") + "<unknown/></report>"
                    + "<report gateway=\"gw-1\" seq=\"3\">" + reading("d") + reading("e", extra: " energy=\"-3\"") + "</report>"
                    + "<report gateway=\"gw-1\" seq=\"4\" future=\"x\">" + reading("f", extra: " colour=\"red\"") + "</report>")
            return [client.line(), client.line(), client.line(), client.line()]
        }
        #expect(lines[0] == "<nack gateway=\"gw-1\" seq=\"1\" code=\"invalid\" reason=\"reading 2: invalid power (finite decimal)\"/>")
        #expect(lines[1] == "<nack gateway=\"gw-1\" seq=\"2\" code=\"invalid\" reason=\"unknown element &lt;unknown&gt; in report\"/>")
        #expect(lines[2] == "<nack gateway=\"gw-1\" seq=\"3\" code=\"invalid\" reason=\"reading 2: invalid energy (finite decimal &gt;= 0)\"/>")
        #expect(lines[3] == "<ack gateway=\"gw-1\" seq=\"4\" stored=\"1\" duplicates=\"0\"/>")
        #expect(try await server.count("SELECT count(*) FROM readings") == 1)
        #expect(try await server.count("SELECT count(*) FROM readings WHERE sensor = 'f'") == 1)
        try await server.stop()
    }

    @Test func streamErrorsComeAfterEarlierRepliesAndClose() async throws {
        let server = try await RunningServer.start()
        let port = server.port
        let cases: [(String, String)] = [
            ("<report gateway=\"g\" seq=\"1\"><reading</report>", "malformed"),
            ("<status/>", "malformed"),
            ("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><report gateway=\"&x;\" seq=\"1\"/>", "forbidden"),
        ]
        for (bad, code) in cases {
            let lines = try await blocking {
                let client = try LineClient(port: port)
                client.send("<report gateway=\"ok\" seq=\"9\">" + reading("s") + "</report>" + bad + "<report gateway=\"ok\" seq=\"10\"/>")
                return [client.line(), client.line(), client.isClosedByServer() ? "closed" : "open"]
            }
            #expect(lines[0]?.hasPrefix("<ack gateway=\"ok\" seq=\"9\"") == true, "\(lines)")
            #expect(lines[1]?.hasPrefix("<error code=\"\(code)\"") == true, "\(lines)")
            #expect(lines[2] == "closed")
        }
        // Nothing after a fault was read: seq 10 was never stored as a heartbeat of a new gateway.
        #expect(try await server.count("SELECT count(*) FROM readings") == 1)
        try await server.stop()
    }

    @Test func aStuckOrBrokenGatewayDoesNotHurtAnother() async throws {
        let server = try await RunningServer.start()
        let port = server.port
        let stuck = try LineClient(port: port)
        stuck.send("<report gateway=\"stuck\" seq=\"1\">" + reading("a"))  // never finished
        let broken = try LineClient(port: port)
        broken.send("<report gateway=\"broken\" seq=\"1\"><<<")
        let line = try await blocking {
            let client = try LineClient(port: port)
            client.send("<report gateway=\"fine\" seq=\"1\">" + reading("a") + "</report>")
            return client.line()
        }
        #expect(line == "<ack gateway=\"fine\" seq=\"1\" stored=\"1\" duplicates=\"0\"/>")
        let brokenLine = try await blocking { broken.line() }
        #expect(brokenLine?.hasPrefix("<error code=\"malformed\"") == true)
        _ = stuck
        try await server.stop()
    }

    @Test func tooLargeElementIsRefused() async throws {
        var configuration = IngestConfiguration(host: "127.0.0.1", port: 0)
        configuration.limits = GatewayLimits(maxElementBytes: 4096)
        let server = try await RunningServer.start(configuration: configuration)
        let port = server.port
        let line = try await blocking {
            let client = try LineClient(port: port)
            client.send("<report gateway=\"g\" seq=\"1\">" + String(repeating: reading("s"), count: 200))
            return client.line()
        }
        #expect(line?.hasPrefix("<error code=\"too-large\"") == true)
        try await server.stop()
    }

    /// A silent connection times out and is closed; so does one that falls silent after a
    /// report was answered. A test client the machine stalls past the timeout between
    /// connecting and sending sees only the timeout (which must close the connection too), so
    /// that part tries again on a new connection.
    @Test func idleConnectionsTimeOut() async throws {
        var configuration = IngestConfiguration(host: "127.0.0.1", port: 0)
        configuration.idleTimeout = .milliseconds(300)
        let server = try await RunningServer.start(configuration: configuration)
        let port = server.port
        let timeout = "<error code=\"timeout\" reason=\"idle for too long\"/>"
        let silent = try await blocking {
            let client = try LineClient(port: port)
            return [client.line(), client.isClosedByServer() ? "closed" : "open"]
        }
        #expect(silent == [timeout, "closed"])
        var answered: [String?] = []
        for _ in 1...10 {
            let lines = try await blocking {
                let client = try LineClient(port: port)
                client.send("<report gateway=\"g\" seq=\"1\"/>")
                let first = client.line()
                let second = first == timeout ? nil : client.line()
                return [first, second, client.isClosedByServer() ? "closed" : "open"]
            }
            if lines[0] == timeout {
                #expect(lines[2] == "closed")
                continue
            }
            answered = lines
            break
        }
        #expect(answered == ["<ack gateway=\"g\" seq=\"1\" stored=\"0\" duplicates=\"0\"/>", timeout, "closed"])
        try await server.stop()
    }

    @Test func overloadedWhenStorageFallsBehind() async throws {
        var configuration = IngestConfiguration(host: "127.0.0.1", port: 0)
        configuration.maxQueuedReadings = 5
        let store = GateStore()
        let metrics = TestMetrics()
        let server = try await RunningServer.start(configuration: configuration, store: store, metrics: metrics)
        let port = server.port
        func chunk(_ gateway: String) -> String {
            (1...3).map { "<report gateway=\"\(gateway)\" seq=\"\($0)\">" + reading("s\($0)") + reading("t\($0)") + "</report>" }.joined()
        }
        // A's reports are being committed (the store is stuck), B's wait in the queue,
        // so C's do not fit: C is told to retry later.
        let a = try LineClient(port: port)
        a.send(chunk("a"))
        while !store.started { try await Task.sleep(for: .milliseconds(10)) }
        let b = try LineClient(port: port)
        b.send(chunk("b"))
        // B's three reports (two readings each, weight 3) are queued: the queue is over its limit.
        try await waitUntil("B's reports are queued") { (try? metrics.expectMeter(MetricName.Ingest.queuedReadings).lastValue) == 9 }
        let c = try LineClient(port: port)
        c.send(chunk("c"))
        let cLine = try await blocking { c.line() }
        #expect(cLine == "<error code=\"overloaded\" reason=\"server overloaded, retry later\"/>")
        store.release()
        let aLines = try await blocking { (0..<3).map { _ in a.line() } }
        let bLines = try await blocking { (0..<3).map { _ in b.line() } }
        #expect(aLines == (1...3).map { "<ack gateway=\"a\" seq=\"\($0)\" stored=\"2\" duplicates=\"0\"/>" })
        #expect(bLines == (1...3).map { "<ack gateway=\"b\" seq=\"\($0)\" stored=\"2\" duplicates=\"0\"/>" })
        try await server.stop()
    }

    @Test func gatewayKeysWhenRequired() async throws {
        let server = try await RunningServer.start()
        let hash = try PasswordHasher.hash("s3cret")
        try await server.database.write { db in
            try db.run("INSERT INTO settings (key, value) VALUES ('gateway_keys_required', 'true')")
            try db.run("INSERT INTO gateways (id, key_hash, first_seen, last_seen) VALUES ('gw-k', ?, 0, 0)", [.text(hash)])
            try db.run("INSERT INTO gateways (id, first_seen, last_seen) VALUES ('gw-nokey', 0, 0)")
        }
        // A fresh server reads the policy on start; this one caches it for 5 s, so restart.
        try await server.stop()
        let path = server.database.path
        let keyed = try await RunningServer.start(path: path)
        let port = keyed.port
        let lines = try await blocking {
            let client = try LineClient(port: port)
            client.send(
                "<report gateway=\"gw-k\" seq=\"1\" key=\"s3cret\">" + reading("a") + "</report>"
                    + "<report gateway=\"gw-k\" seq=\"2\" key=\"wrong\">" + reading("b") + "</report>"
                    + "<report gateway=\"gw-k\" seq=\"3\">" + reading("c") + "</report>"
                    + "<report gateway=\"gw-new\" seq=\"4\" key=\"s3cret\">" + reading("d") + "</report>"
                    + "<report gateway=\"gw-nokey\" seq=\"5\" key=\"x\"/>"
                    + "<report gateway=\"gw-k\" seq=\"6\" key=\"s3cret\">" + reading("e") + "</report>")
            return (0..<6).map { _ in client.line() }
        }
        #expect(lines[0] == "<ack gateway=\"gw-k\" seq=\"1\" stored=\"1\" duplicates=\"0\"/>")
        #expect(lines[1] == "<nack gateway=\"gw-k\" seq=\"2\" code=\"unauthorized\" reason=\"wrong gateway key\"/>")
        #expect(lines[2] == "<nack gateway=\"gw-k\" seq=\"3\" code=\"unauthorized\" reason=\"gateway key required\"/>")
        #expect(lines[3] == "<nack gateway=\"gw-new\" seq=\"4\" code=\"unauthorized\" reason=\"unknown gateway\"/>")
        #expect(lines[4] == "<nack gateway=\"gw-nokey\" seq=\"5\" code=\"unauthorized\" reason=\"no key registered for this gateway\"/>")
        #expect(lines[5] == "<ack gateway=\"gw-k\" seq=\"6\" stored=\"1\" duplicates=\"0\"/>")
        // A fault right behind a report whose key is still being checked: the report keeps its reply.
        let faulted = try await blocking {
            let client = try LineClient(port: port)
            client.send("<report gateway=\"gw-k\" seq=\"7\" key=\"s3cret\">" + reading("g") + "</report><bad<")
            return [client.line(), client.line()]
        }
        #expect(faulted[0] == "<ack gateway=\"gw-k\" seq=\"7\" stored=\"1\" duplicates=\"0\"/>")
        #expect(faulted[1]?.hasPrefix("<error code=\"malformed\"") == true)
        #expect(try await keyed.count("SELECT count(*) FROM readings") == 3)
        #expect(try await keyed.count("SELECT count(*) FROM gateways WHERE id = 'gw-new'") == 0)
        try await keyed.stop()
    }

    @Test func gracefulShutdownInProcessAcknowledgesAcceptedReports() async throws {
        let server = try await RunningServer.start()
        let port = server.port
        let lines = try await blocking {
            let client = try LineClient(port: port)
            var text = ""
            for seq in 1...200 { text += "<report gateway=\"g\" seq=\"\(seq)\">" + reading("s", at: "2026-11-24T10:\(String(format: "%02d", seq % 60)):\(String(format: "%02d", seq / 60))Z") + "</report>" }
            client.send(text)
            return (client, client.line())  // at least one reply: the server is working on them
        }
        try await server.stop()
        let rest = try await blocking { () -> [String] in
            var rest: [String] = []
            while let line = lines.0.line() { rest.append(line) }
            return rest
        }
        // The replies are acks of seq 1, 2, 3, ... with no gap and nothing else, and exactly
        // the acked readings are stored: nothing committed went unacknowledged.
        let replies = [lines.1 ?? "(connection closed)"] + rest
        let acked = replies.count
        #expect(replies == (1...acked).map { "<ack gateway=\"g\" seq=\"\($0)\" stored=\"1\" duplicates=\"0\"/>" })
        #expect(try await server.count("SELECT count(*) FROM readings") == acked)
    }
}

extension LineClient: @unchecked Sendable {}

/// A store whose commits wait until the test releases them: storage falling behind.
final class GateStore: ReadingStore, @unchecked Sendable {
    private let lock = NSLock()
    private var _started = false
    private var _released = false
    var started: Bool { lock.withLock { _started } }
    func release() { lock.withLock { _released = true } }

    func commit(_ reports: [GatewayReport]) async throws -> [ReportOutcome] {
        lock.withLock { _started = true }
        while !lock.withLock({ _released }) { try await Task.sleep(for: .milliseconds(10)) }
        return reports.map { ReportOutcome(stored: $0.readings.count, duplicates: 0) }
    }
    func readings(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [Reading] { [] }
    func ping() async throws {}
}

@Suite struct IngestMetricsTests {
    @Test func countsStoredDuplicatesNacksErrorsAndConnections() async throws {
        let metrics = TestMetrics()
        let server = try await RunningServer.start(metrics: metrics)
        let port = server.port
        _ = try await blocking {
            let client = try LineClient(port: port)
            let good = "<report gateway=\"m\" seq=\"1\">" + reading("a") + reading("b") + "</report>"
            client.send(good + good + "<report gateway=\"m\" seq=\"2\">" + reading("c", power: "x") + "</report>")
            return [client.line(), client.line(), client.line()]
        }
        _ = try await blocking {
            let client = try LineClient(port: port)
            client.send("<oops/>")
            return client.line()
        }
        try await server.stop()
        #expect(try metrics.expectCounter("tenant_ingest_readings_stored_total").totalValue == 2)
        #expect(try metrics.expectCounter("tenant_ingest_readings_duplicate_total").totalValue == 2)
        #expect(try metrics.expectCounter("tenant_ingest_reports_total", [("result", "ack")]).totalValue == 2)
        #expect(try metrics.expectCounter("tenant_ingest_reports_total", [("result", "nack")]).totalValue == 1)
        #expect(try metrics.expectCounter("tenant_ingest_reports_total", [("result", "error")]).totalValue == 1)
        let open = try metrics.expectMeter("tenant_ingest_connections")
        #expect(open.values.max() == 1 || open.values.max() == 2)
        #expect(open.lastValue == 0)
    }
}

/// The names and values as Prometheus scrapes them: the real registry, not a test double.
@Suite struct IngestPrometheusTests {
    @Test func exportsTheDocumentedNamesWithTheirValues() async throws {
        let exporter = PrometheusExporter()
        let server = try await RunningServer.start(metrics: exporter.factory)
        let port = server.port
        let before = Int64(Date().timeIntervalSince1970)
        _ = try await blocking {
            let client = try LineClient(port: port)
            // Two readings stored, the same two again (duplicates), one refused report.
            let good = "<report gateway=\"p\" seq=\"1\">" + reading("a") + reading("b") + "</report>"
            client.send(good + good + "<report gateway=\"p\" seq=\"2\">" + reading("c", power: "x") + "</report>")
            return [client.line(), client.line(), client.line()]
        }
        _ = try await blocking {
            let client = try LineClient(port: port)
            client.send("<oops/>")
            return client.line()
        }
        server.server.refreshMetrics()
        let text = String(decoding: exporter.render(), as: UTF8.self)
        try await server.stop()
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in [
            "# TYPE tenant_ingest_readings_stored_total counter", "tenant_ingest_readings_stored_total 2",
            "tenant_ingest_readings_duplicate_total 2",
            "# TYPE tenant_ingest_reports_total counter",
            #"tenant_ingest_reports_total{result="ack"} 2"#, #"tenant_ingest_reports_total{result="nack"} 1"#,
            #"tenant_ingest_reports_total{result="error"} 1"#,
            "# TYPE tenant_ingest_connections gauge",
            "# TYPE tenant_ingest_commit_duration_seconds histogram",
            "# TYPE tenant_ingest_last_reading_timestamp_seconds gauge",
            "tenant_ingest_readings_stored_last_minute 2.0",
        ] {
            #expect(lines.contains(expected), "missing '\(expected)' in:\n\(text)")
        }
        // The last reading's time is the wall clock of its commit.
        let stamp = try #require(lines.first { $0.hasPrefix("tenant_ingest_last_reading_timestamp_seconds ") })
        let seconds = try #require(Double(stamp.split(separator: " ")[1]))
        #expect(seconds >= Double(before) && seconds <= Date().timeIntervalSince1970 + 1, "\(stamp)")
        // No per-gateway series: the gateway id appears nowhere.
        #expect(!text.contains("\"p\""))
    }

    @Test func recentCountsSlideOverSixtySeconds() {
        var recent = RecentCounts(window: 60)
        recent.add(5, atSecond: 1000)
        recent.add(7, atSecond: 1030)
        recent.add(1, atSecond: 1030)
        #expect(recent.total(atSecond: 1030) == 13)
        #expect(recent.total(atSecond: 1059) == 13)
        #expect(recent.total(atSecond: 1060) == 8)
        #expect(recent.total(atSecond: 1089) == 8)
        #expect(recent.total(atSecond: 1090) == 0)
        // A slot reused a minute later starts from zero.
        recent.add(2, atSecond: 1060)
        #expect(recent.total(atSecond: 1060) == 10)
    }
}
