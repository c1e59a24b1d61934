import Foundation
import TenantTestSupport
import Testing

// An idle provider costs almost nothing only if its servers do not wake when there is no
// work. Both servers run as plain processes on loopback, do some work (gateway reports, a
// scrape, a refused sign-in), and are then watched while idle: how often the kernel scheduled
// any of their threads in, from /proc/PID/task/*/schedstat. libdispatch's pool watch, which
// Swift concurrency starts in every process that runs on its default executor, alone wakes a
// server once a second (see EventLoopExecutors).

/// How many times each thread of `pid` was scheduled in so far, by thread id.
private func schedulings(_ pid: Int32) -> [String: Int] {
    let tasks = "/proc/\(pid)/task"
    var counts: [String: Int] = [:]
    for tid in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
        guard let text = try? String(contentsOfFile: "\(tasks)/\(tid)/schedstat", encoding: .utf8) else { continue }
        let fields = text.split(separator: " ")
        if fields.count >= 3, let count = Int(fields[2].trimmingCharacters(in: .whitespacesAndNewlines)) { counts[tid] = count }
    }
    return counts
}

/// For each of `daemons`, the fewest times its threads were scheduled in during any of
/// `count` back-to-back windows of `window`.
private func quietestWindow(_ daemons: [Daemon], count: Int, of window: Duration) async throws -> [Int] {
    var quietest = Array(repeating: Int.max, count: daemons.count)
    var before = daemons.map { schedulings($0.process.processIdentifier) }
    for _ in 0..<count {
        try await Task.sleep(for: window)
        let after = daemons.map { schedulings($0.process.processIdentifier) }
        for index in daemons.indices {
            let wakes = after[index].reduce(0) { $0 + $1.value - (before[index][$1.key] ?? 0) }
            quietest[index] = min(quietest[index], wakes)
        }
        before = after
    }
    return quietest
}

@Suite(.serialized) struct IdleServerTests {
    @Test func serversThatDidWorkDoNotWakeWhenIdle() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = "sqlite:\(directory.path)/idle.db"
        let ingestPort = freeLoopbackPort(), ingestMetrics = freeLoopbackPort(), adminPort = freeLoopbackPort()

        var daemons: [Daemon] = []
        defer { daemons.forEach { $0.stop() } }
        let ingest = try Daemon(
            builtProduct("tenant-ingest"),
            ["--provider", "idle", "--store", store, "--listen", "127.0.0.1:\(ingestPort)", "--metrics-listen", "127.0.0.1:\(ingestMetrics)"],
            environment: ["TENANT_RETENTION_FIRST_PASS_SECONDS": "3600"], log: directory.appendingPathComponent("ingest.log"))
        daemons.append(ingest)
        _ = try await waitFor(.seconds(30), "tenant-ingest's metrics listener", { await get("http://127.0.0.1:\(ingestMetrics)/metrics")?.status }, until: { $0 == 200 })
        let admin = try Daemon(
            builtProduct("tenant-admin"), ["--provider", "idle", "--store", store, "--listen", "127.0.0.1:\(adminPort)"],
            log: directory.appendingPathComponent("admin.log"))
        daemons.append(admin)
        _ = try await waitFor(.seconds(30), "tenant-admin's /health", { await get("http://127.0.0.1:\(adminPort)/health")?.status }, until: { $0 == 200 })

        // Work: reports stored and acknowledged, a scrape, a sign-in checked against a hash.
        let simulator = try await runProgram(
            builtProduct("tenant-gateway-sim"),
            ["--target", "127.0.0.1:\(ingestPort)", "--gateways", "2", "--sensors", "2", "--reports", "5", "--rate", "0", "--duration", "30", "--prefix", "idle-", "--json"],
            timeout: .seconds(60))
        try #require(simulator.code == 0, "simulator: \(simulator.err)")
        #expect(await get("http://127.0.0.1:\(ingestMetrics)/metrics")?.status == 200)
        let jar = directory.appendingPathComponent("cookies").path
        let form = try await runProgram("/usr/bin/curl", ["-s", "-c", jar, "http://127.0.0.1:\(adminPort)/login"], timeout: .seconds(30))
        let csrf = try #require(form.out.firstMatch(of: #/name="csrf" value="([0-9a-f]+)"/#)?.1, "the sign-in form carries a CSRF token")
        let signIn = try await runProgram(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", jar, "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "username=admin",
             "--data-urlencode", "password=not-the-password", "http://127.0.0.1:\(adminPort)/login"],
            timeout: .seconds(30))
        #expect(signIn.out != "303", "a wrong password must not sign in")

        // Idle. The servers' own passes (the admin's mail schedule every 30 s, its outbox every
        // minute) and work a loaded machine finishes late may fall in a window, never in all
        // six; ingest's retention pass is an hour away. The watch would wake a server in every
        // window, 2 or 3 times.
        let quietest = try await quietestWindow([ingest, admin], count: 6, of: .seconds(3))
        #expect(quietest[0] <= 1, "tenant-ingest was scheduled \(quietest[0]) times in its quietest idle 3 s\n\(ingest.output)")
        #expect(quietest[1] <= 1, "tenant-admin was scheduled \(quietest[1]) times in its quietest idle 3 s\n\(admin.output)")
    }
}
