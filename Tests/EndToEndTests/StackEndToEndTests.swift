import AdminTestSupport
import Foundation
import TenantTestSupport
import Testing

// The whole product end to end: the real image (`make image`), the real Docker engine,
// the tenantctl, tenant-gateway-sim binaries built beside this test bundle, and the admin
// apps reached over their published ports with curl. CI builds the image and sets
// TENANTCTL_INTEGRATION=1; a missing image is then a failure, not a skip.

private let environment = ProcessInfo.processInfo.environment
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1"
private let image = environment["TENANTCTL_E2E_IMAGE"] ?? "tenantctl:0.1.0"
/// Simulated readings start here (the simulator's default start) and span a few days at most.
private let readingsWindow = (from: "2026-06-18T00:00:00Z", to: "2026-06-25T00:00:00Z")

// MARK: - Processes

typealias RunResult = ProgramResult

/// Binaries built with the tests.
private func binary(_ name: String) -> String { builtProduct(name) }

private func docker(_ arguments: [String]) async throws -> RunResult {
    try await run("/usr/bin/docker", arguments)
}


private func jsonArray(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not a JSON array: \(text)")
}

// MARK: - A provisioned provider

/// One provider started through tenantctl: its ports and the admin password it printed once.
struct Provider {
    let id: String
    let gatewayPort: Int
    let adminPort: Int
    let password: String

    /// Creates the keyspace, starts the stack and waits until both health checks pass.
    static func start(_ id: String) async throws -> Provider {
        _ = try await tenantctlOK(["create-keyspace", id, "--image", image])
        let started = try jsonObject(try await tenantctlOK(["start-provider", id, "--image", image, "--json"]))
        let password = try #require(started["admin_password"] as? String, "first start-provider prints the admin password once")
        let status = try await waitUntilHealthy(id)
        return Provider(
            id: id,
            gatewayPort: try #require(status["gateway_port"] as? Int),
            adminPort: try #require(status["admin_port"] as? Int),
            password: password)
    }

    /// `status --json` once every container is running and healthy.
    @discardableResult
    static func waitUntilHealthy(_ id: String, timeout: Duration = .seconds(90)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let result = try await tenantctl(["status", id, "--json"])
            last = result.out + result.err
            if result.code == 0, let status = try? jsonObject(result.out),
                let containers = status["containers"] as? [[String: Any]], containers.count == 2,
                containers.allSatisfy({ $0["state"] as? String == "running" && $0["health"] as? String == "healthy" })
            {
                return status
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("provider \(id) did not become healthy: \(last)")
        throw CancellationError()
    }

    /// Plays `gateways` gateways sending `reports` reports each; returns the simulator's JSON summary.
    func simulate(prefix: String, gateways: Int = 4, sensors: Int = 3, reports: Int = 30, rate: Double = 0, extra: [String] = []) async throws -> [String: Any] {
        let result = try await run(binary("tenant-gateway-sim"), [
            "--target", "127.0.0.1:\(gatewayPort)", "--prefix", prefix, "--gateways", "\(gateways)",
            "--sensors", "\(sensors)", "--reports", "\(reports)", "--rate", "\(rate)", "--duration", "60",
            "--drain", "30", "--json",
        ] + extra)
        try #require(result.code == 0, "simulator failed: \(result.err)")
        return try jsonObject(result.out)
    }

    /// How many readings of gateways named `prefix*` are in the provider's SQLite file, read
    /// directly from its data volume (independent of the servers).
    func storedReadings(prefix: String) async throws -> Int {
        let inspect = try await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", "tenantctl_\(id)_data"])
        let mountpoint = inspect.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await run("/usr/bin/sqlite3", [
            "\(mountpoint)/\(id).db", "SELECT count(*) FROM readings WHERE gateway LIKE '\(prefix)%'",
        ])
        try #require(result.code == 0, "sqlite3: \(result.err)")
        return try #require(Int(result.out.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

// MARK: - The admin app over HTTP

/// A signed-in staff session against one provider's published admin port, driven with curl
/// through the real sign-in form (CSRF token and cookies included).
struct AdminSession {
    let base: String
    let jar: String
    var token: String = ""

    static func signIn(port: Int, user: String = "admin", password: String) async throws -> AdminSession? {
        var session = AdminSession(
            base: "http://127.0.0.1:\(port)",
            jar: FileManager.default.temporaryDirectory.appendingPathComponent("jar-\(UUID().uuidString)").path)
        let form = try await session.curl(["\(session.base)/login"])
        let csrf = try #require(Self.csrf(in: form.out), "the sign-in form carries a CSRF token")
        let signedIn = try await session.curl([
            "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
            "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "username=\(user)",
            "--data-urlencode", "password=\(password)", "--data-urlencode", "next=/",
            "\(session.base)/login",
        ])
        guard signedIn.out.hasPrefix("303"), !signedIn.out.contains("/login") else { return nil }
        // An API token for this staff account, created through the account page.
        let account = try await session.curl(["\(session.base)/account"])
        let accountCSRF = try #require(Self.csrf(in: account.out))
        let created = try await session.curl([
            "--data-urlencode", "csrf=\(accountCSRF)", "--data-urlencode", "action=create", "\(session.base)/account/token",
        ])
        session.token = try #require(Self.match(#"id="api-token">([0-9a-f]+)<"#, in: created.out), "the account page shows the new token once")
        return session
    }

    /// GET an API path with the bearer token; returns the status and parsed body.
    func api(_ path: String) async throws -> (status: Int, body: Any) {
        let result = try await curl(["-H", "Authorization: Bearer \(token)", "-w", "\n%{http_code}", "\(base)\(path)"])
        let lines = result.out.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let body = lines.dropLast().joined(separator: "\n")
        return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) ?? body)
    }

    /// GET a page with the session cookie.
    func page(_ path: String) async throws -> String {
        try await curl(["\(base)\(path)"]).out
    }

    func curl(_ arguments: [String]) async throws -> RunResult {
        try await run("/usr/bin/curl", ["-sS", "--max-time", "20", "-c", jar, "-b", jar] + arguments)
    }

    static func csrf(in html: String) -> String? { match(#"name="csrf" value="([0-9a-f]+)""#, in: html) }

    static func match(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let found = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(found.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    /// Gateway ids the API lists for this provider.
    func gateways() async throws -> [String] {
        let (status, body) = try await api("/api/v1/gateways")
        try #require(status == 200, "GET /api/v1/gateways: \(status) \(body)")
        return try #require(body as? [[String: Any]]).compactMap { $0["gateway"] as? String }.sorted()
    }

    /// Number of readings the API returns for `gateway` over the simulated window.
    func readingCount(_ gateway: String) async throws -> Int {
        let (status, body) = try await api("/api/v1/gateways/\(gateway)/readings?from=\(readingsWindow.from)&to=\(readingsWindow.to)")
        try #require(status == 200, "readings of \(gateway): \(status) \(body)")
        if let array = body as? [Any] { return array.count }
        let object = try #require(body as? [String: Any])
        return try #require(object["readings"] as? [Any]).count
    }
}

// MARK: - Scenarios

@Suite(.serialized, .enabled(if: enabled, "needs the Docker engine and the image: set TENANTCTL_INTEGRATION=1"))
struct StackEndToEndTests {
    private static func uniqueID(_ stem: String) -> String {
        "e2e_\(stem)_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    private static func cleanup(_ ids: [String]) async {
        for id in ids { _ = try? await tenantctl(["remove", id, "--purge-data", "--yes"]) }
        _ = try? await docker(["image", "rm", "-f", "tenantctl:e2e-upgrade"])
    }

    @Test func imageIsPresent() async throws {
        let inspect = try await docker(["image", "inspect", "-f", "{{.Config.User}}", image])
        try #require(inspect.code == 0, "image \(image) is missing: run `make image` first")
        #expect(inspect.out.trimmingCharacters(in: .whitespacesAndNewlines) == "tenant", "the image runs as a non-root user")
    }

    /// Two providers side by side, fed through their published gateway ports, each admin app
    /// seeing only its own data; then stop/start, an upgrade to a rebuilt image, a killed
    /// ingest container under load, and a purge that leaves the other provider working.
    @Test func providersLiveSideBySideThroughTheirWholeLife() async throws {
        let a = Self.uniqueID("a"), b = Self.uniqueID("b")
        do {
            try await scenario(a, b)
        } catch {
            await Self.cleanup([a, b])
            throw error
        }
        await Self.cleanup([a, b])
    }

    private func scenario(_ a: String, _ b: String) async throws {
        let providerA = try await Provider.start(a)
        let providerB = try await Provider.start(b)
        #expect(Set([providerA.gatewayPort, providerA.adminPort]).isDisjoint(with: [providerB.gatewayPort, providerB.adminPort]))

        // Each provider's gateways reach its own ingest server and keyspace.
        let fedA = try await providerA.simulate(prefix: "a-gw-")
        let fedB = try await providerB.simulate(prefix: "b-gw-", gateways: 3)
        #expect(fedA["acks"] as? Int == 4 * 30)
        #expect(fedB["acks"] as? Int == 3 * 30)
        #expect(try await providerA.storedReadings(prefix: "a-gw-") == 4 * 30 * 3)
        #expect(try await providerB.storedReadings(prefix: "b-gw-") == 3 * 30 * 3)
        #expect(try await providerA.storedReadings(prefix: "b-gw-") == 0)

        // Live figures from each provider's own servers, read through the engine (their metrics
        // listeners are not published): status for one, top for all.
        let statusA = try jsonObject(try await tenantctlOK(["status", a, "--json"]))
        let liveA = try #require(statusA["live"] as? [String: Any], "status --json has live figures: \(statusA)")
        #expect(liveA["readings_stored"] as? Int == 4 * 30 * 3, "\(liveA)")
        #expect((liveA["last_reading_age_seconds"] as? Int).map { $0 >= 0 && $0 < 300 } == true, "\(liveA)")
        #expect(liveA["mails_pending"] is Int, "\(liveA)")
        #expect(liveA["problems"] == nil, "\(liveA)")
        var top = try jsonArray(try await tenantctlOK(["top", a, b, "--no-stream", "--json"]))
        #expect(top.map { $0["provider"] as? String } == [a, b].sorted().map { $0 })
        #expect(top.first { $0["provider"] as? String == b }?["readings_stored"] as? Int == 3 * 30 * 3, "\(top)")
        // The simulators have hung up (and status's own readiness probe, which connects to the
        // gateway port, is gone too): wait until the servers have seen the connections close.
        let deadline = ContinuousClock.now + .seconds(15)
        while top.contains(where: { $0["gateways_connected"] as? Int != 0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            top = try jsonArray(try await tenantctlOK(["top", a, b, "--no-stream", "--json"]))
        }
        #expect(top.map { $0["gateways_connected"] as? Int } == [0, 0], "\(top)")
        let published = try await docker(["port", "admin_panel_\(a)"])
        #expect(!published.out.contains("9464"), "the metrics listener is not published: \(published.out)")

        // Each admin app, signed in over its published port, shows only its own gateways.
        let adminA = try #require(try await AdminSession.signIn(port: providerA.adminPort, password: providerA.password))
        let adminB = try #require(try await AdminSession.signIn(port: providerB.adminPort, password: providerB.password))
        #expect(try await adminA.gateways() == (0..<4).map { String(format: "a-gw-%05d", $0) })
        #expect(try await adminB.gateways() == (0..<3).map { String(format: "b-gw-%05d", $0) })
        #expect(try await adminA.readingCount("a-gw-00000") == 30 * 3)
        #expect(try await adminA.api("/api/v1/gateways/b-gw-00000/readings?from=\(readingsWindow.from)&to=\(readingsWindow.to)").status == 404)
        #expect(try await adminB.api("/api/v1/gateways").status == 200)
        // One provider's credentials and token open nothing at the other.
        #expect(try await AdminSession.signIn(port: providerB.adminPort, password: providerA.password) == nil)
        let crossToken = AdminSession(base: "http://127.0.0.1:\(providerB.adminPort)", jar: "/dev/null", token: adminA.token)
        #expect(try await crossToken.api("/api/v1/gateways").status == 401)
        try await mailGoesOutThroughTheChildProcess(providerB, adminB)
        let dashboard = try await adminA.page("/")
        // A's four gateways, none assigned yet: counted and each listed as needing attention.
        #expect(dashboard.contains("id=\"unassigned\">4<"), "the dashboard counts A's four unassigned gateways")
        for gateway in (0..<4).map({ String(format: "a-gw-%05d", $0) }) {
            #expect(dashboard.contains(">\(gateway)</a></td><td class=\"sev-3\">notice</td><td>not assigned to a customer<"), "\(gateway) is listed as unassigned")
        }
        #expect(!dashboard.contains("b-gw-"))

        // stop, then start again: every reading is still there.
        _ = try await tenantctlOK(["stop", a])
        #expect(try await tenantctl(["stop", a]).code == 0, "stopping a stopped provider exits 0")
        _ = try await tenantctlOK(["start-provider", a, "--image", image])
        try await Provider.waitUntilHealthy(a)
        #expect(try await providerA.storedReadings(prefix: "a-gw-") == 4 * 30 * 3)
        let afterRestart = try #require(try await AdminSession.signIn(port: providerA.adminPort, password: providerA.password))
        #expect(try await afterRestart.readingCount("a-gw-00001") == 30 * 3)

        // Upgrade to a rebuilt image: containers are replaced, data stays.
        let idsBefore = try await containerIDs(a)
        let rebuilt = try await run("/bin/sh", ["-c", "printf 'FROM \(image)\\nLABEL io.tenantctl.e2e=upgrade\\n' | docker build -q -t tenantctl:e2e-upgrade -"])
        try #require(rebuilt.code == 0, "rebuilding the image: \(rebuilt.err)")
        _ = try await tenantctlOK(["start-provider", a, "--image", "tenantctl:e2e-upgrade"])
        try await Provider.waitUntilHealthy(a)
        #expect(try await containerIDs(a).isDisjoint(with: idsBefore), "the upgrade recreated the containers")
        #expect(try await providerA.storedReadings(prefix: "a-gw-") == 4 * 30 * 3)
        let upgraded = try #require(try await AdminSession.signIn(port: providerA.adminPort, password: providerA.password))
        #expect(try await upgraded.gateways().count == 4)

        // The ingest server dies (SIGKILL to its process, as a crash or the OOM killer would) while
        // gateways send: the restart policy brings it back, and the simulator's resends leave
        // every acked reading stored exactly once. (`docker kill` itself counts as a manual stop
        // for the engine, whose unless-stopped policy then leaves the container down; that case
        // is the operator's, and `start-provider` repairs it below.)
        async let load = providerA.simulate(prefix: "k-gw-", gateways: 5, sensors: 4, reports: 400, rate: 40)
        // The kill lands once the load is being stored, not after a guessed time.
        try await waitUntil("the first k-gw- readings are stored", timeout: .seconds(60)) { try await providerA.storedReadings(prefix: "k-gw-") > 0 }
        let pid = try await docker(["inspect", "-f", "{{.State.Pid}}", "remote_server_\(a)"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        // A container that is not running reports pid 0, and `kill 0` means this process group.
        try #require((Int(pid) ?? 0) > 1, "remote_server_\(a) runs with a pid: '\(pid)'")
        let crashed = try await run("/bin/kill", ["-KILL", pid])
        #expect(crashed.code == 0, "kill -9 \(pid): \(crashed.err)")
        let summary = try await load
        #expect(summary["unacknowledged"] as? Int == 0, "every report was eventually acknowledged: \(summary)")
        #expect((summary["reconnects"] as? Int ?? 0) > 0, "the gateways had to reconnect: \(summary)")
        #expect(try await providerA.storedReadings(prefix: "k-gw-") == 5 * 400 * 4)
        let restarts = try await docker(["inspect", "-f", "{{.RestartCount}} {{.State.Running}}", "remote_server_\(a)"])
        #expect(restarts.out.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("true"))
        #expect(Int(restarts.out.split(separator: " ").first ?? "0") ?? 0 >= 1, "the engine restarted the crashed container")

        // docker kill: the provider is half up until start-provider repairs it, data intact.
        #expect(try await docker(["kill", "remote_server_\(a)"]).code == 0)
        let half = try jsonObject(try await tenantctlOK(["status", a, "--json"]))
        #expect(half["state"] as? String == "partial")
        _ = try await tenantctlOK(["start-provider", a, "--image", "tenantctl:e2e-upgrade"])
        try await Provider.waitUntilHealthy(a)
        #expect(try await providerA.storedReadings(prefix: "k-gw-") == 5 * 400 * 4)

        // remove --purge-data leaves nothing labelled with that provider; the other keeps working.
        _ = try await tenantctlOK(["remove", a, "--purge-data", "--yes"])
        for kind in [["ps", "-aq"], ["volume", "ls", "-q"], ["network", "ls", "-q"]] {
            let left = try await docker(kind + ["--filter", "label=io.tenantctl.provider=\(a)"])
            #expect(left.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "left behind: \(kind) \(left.out)")
        }
        let stillB = try await providerB.simulate(prefix: "b-gw-", gateways: 3, reports: 10, extra: ["--start", "2026-06-20T00:00:00Z"])
        #expect(stillB["acks"] as? Int == 3 * 10)
        #expect(try await adminB.readingCount("b-gw-00002") == (30 + 10) * 3)
    }

    /// Staff set a mail server in the settings; a queued mail reaches it from inside the
    /// container through `tenant-admin --deliver-mail`, and the server process itself never
    /// loads libcurl.
    private func mailGoesOutThroughTheChildProcess(_ provider: Provider, _ admin: AdminSession) async throws {
        let sink = try await SMTPSink.start(host: "0.0.0.0")
        defer { sink.stop() }
        // A network created with only a subnet (tenantctl's pool) shows no gateway in its IPAM
        // config; the engine then gives the bridge the subnet's first address.
        let gateway = try await docker(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}} {{(index .IPAM.Config 0).Subnet}}", "tenantctl_\(provider.id)"])
        let fields = gateway.out.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        var hostIP = fields.count == 2 ? fields[0] : ""
        if hostIP.isEmpty, let subnet = fields.last, let base = subnet.split(separator: "/").first {
            let octets = base.split(separator: ".").compactMap { UInt32($0) }
            if octets.count == 4 {
                let next = (octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]) + 1
                hostIP = [next >> 24, next >> 16 & 255, next >> 8 & 255, next & 255].map(String.init).joined(separator: ".")
            }
        }
        try #require(gateway.code == 0 && !hostIP.isEmpty, "the provider network's gateway address: \(gateway.out) \(gateway.err)")
        let settings = try await admin.page("/settings")
        let csrf = try #require(AdminSession.csrf(in: settings))
        let saved = try await admin.curl([
            "-o", "/dev/null", "-w", "%{http_code}", "--data-urlencode", "csrf=\(csrf)",
            "--data-urlencode", "smtp_url=smtp://\(hostIP):\(sink.port)", "--data-urlencode", "mail_from=panel@\(provider.id).example",
            "\(admin.base)/settings/mail",
        ])
        #expect(saved.out == "303", "saving the mail server: \(saved.out) \(saved.err)")
        // Queue a mail the way the scheduler does: a row in the provider's outbox.
        let mountpoint = try await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", "tenantctl_\(provider.id)_data"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let queued = try await run("/usr/bin/sqlite3", [
            "\(mountpoint)/\(provider.id).db",
            "INSERT INTO outbox (dedupe_key, recipients, subject, text_body, html_body, created_at, next_attempt_at) VALUES ('e2e:mail', 'ops@example.com', 'E2E power report', 'text', '<p>html</p>', 0, 0)",
        ])
        try #require(queued.code == 0, "sqlite3: \(queued.err)")
        // Another writer of the store cannot ring the outbox: it re-reads an empty queue every minute.
        let received = try await sink.waitForMessages(1, timeout: 120)
        #expect(received.first?.contains("Subject: E2E power report") == true)
        #expect(received.first?.contains("From: panel@\(provider.id).example") == true)
        let maps = try await docker(["exec", "admin_panel_\(provider.id)", "cat", "/proc/1/maps"])
        #expect(maps.code == 0 && !maps.out.isEmpty)
        #expect(!maps.out.contains("libcurl") && !maps.out.contains("libssl"), "libcurl stays out of the server process")
    }

    private func containerIDs(_ id: String) async throws -> Set<String> {
        let result = try await docker(["ps", "-aq", "--no-trunc", "--filter", "label=io.tenantctl.provider=\(id)"])
        return Set(result.out.split(separator: "\n").map(String.init))
    }
}
