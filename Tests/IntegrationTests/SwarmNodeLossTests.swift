import DockerAPI
import DockerClient
import Foundation
import Glibc
import TenantModel
import Testing

@testable import TenantCommands

// Node loss on a real three-node swarm (`scripts/swarm-cluster.sh up`): a drained manager that
// tenantctl talks to and two workers, each engine in its own network namespace. The test stops a
// worker's engine as a failing host would and restarts it afterwards. Provider ids start with `sl_`.

private let environment = ProcessInfo.processInfo.environment
private let clusterHost = environment["TENANTCTL_SWARM_CLUSTER_HOST"] ?? ""
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1" && !clusterHost.isEmpty
private let image = environment["TENANTCTL_TEST_IMAGE"] ?? "tenantctl-test-listener:latest"
private let managerAddress = "10.209.2.2"
private let engineScriptPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/swarm-engine.sh").path

private func cluster(_ arguments: [String]) async -> TenantctlRun {
    await tenantctl(arguments + ["--docker-host", clusterHost])
}

private func client() async throws -> DockerClient {
    try await DockerClient.connect(transport: CurlTransport(dockerHost: clusterHost))
}

private func providerID() -> String { "sl_" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

/// `scripts/swarm-engine.sh ACTION` for node `number` of the cluster; throws unless it exits 0.
/// Spawned and reaped directly, with no descriptor of this process but stdin and stderr: the
/// dockerd that `up` leaves running would hold open whatever it inherits, and Foundation's
/// `Process` learns that a child exited from a descriptor closing, so a `Process` waited on here
/// (this one's, or an SMTP sink's of another suite) would never see its child exit.
private func engineScript(_ action: String, node number: Int) async throws {
    var variables = environment
    variables["SWARM_NODE"] = String(number)
    variables["SWARM_JOIN"] = managerAddress
    variables["IMAGES"] = image
    // bash closes every descriptor above 2 before it runs the script (glibc's closefrom action
    // for posix_spawn is not visible from Swift).
    let closeInherited = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec /bin/bash "$0" "$@""#
    let arguments: [UnsafeMutablePointer<CChar>?] = [String](["/bin/bash", "-c", closeInherited, engineScriptPath, action]).map { strdup($0) } + [nil]
    let environ: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0)=\($1)") } + [nil]
    defer { (arguments + environ).forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var pid = pid_t()
    let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, arguments, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    let child = pid
    let status: Int32 = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            continuation.resume(returning: (status >> 8) & 0xff)
        }
    }
    #expect(status == 0, "swarm-engine.sh \(action) for node \(number) exited \(status)")
}

/// Polls `condition` every 250 ms until it holds or `bound` passes; returns whether it held.
private func eventually(within bound: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + bound
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(250))
    }
    return try await condition()
}

private func entries() async throws -> [String: [String: Any]] {
    let run = await cluster(["list", "--json"])
    #expect(run.code == 0, "\(run.err)")
    let all = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
    return Dictionary(all.compactMap { entry in (entry["provider"] as? String).map { ($0, entry) } }, uniquingKeysWith: { a, _ in a })
}

@Suite(.enabled(if: enabled, "needs TENANTCTL_INTEGRATION=1 and TENANTCTL_SWARM_CLUSTER_HOST (scripts/swarm-cluster.sh up prints it)"), .serialized)
struct SwarmNodeLossTests {
    /// Two SQLite providers (least-loaded first: one per worker) and a Cassandra one. The worker
    /// running the Cassandra provider's gateway server is lost: its tasks start on the other
    /// worker, the SQLite provider pinned there is reported down with that node named and is not
    /// started anywhere else (its data is on that node); once the node is back, so is the provider.
    @Test func aLostNodesCassandraTasksMoveAndItsSQLiteProviderIsReportedDown() async throws {
        let sqlite = [providerID(), providerID()]
        let cassandra = providerID()
        var stopped: Int?
        do {
            try await loseANode(sqlite: sqlite, cassandra: cassandra, stopped: &stopped)
        } catch {
            await cleanUp(sqlite + [cassandra], restarting: stopped)
            throw error
        }
        await cleanUp(sqlite + [cassandra], restarting: stopped)
    }

    private func loseANode(sqlite: [String], cassandra: String, stopped: inout Int?) async throws {
        let engine = try await client()
        for id in sqlite {
            let run = await cluster(["start-provider", id, "--image", image, "--no-wait"])
            #expect(run.code == 0, "\(run.err)")
        }
        let pins = try await sqlite.asyncMap { try await engine.inspectService(id: "admin_panel_\($0)").Spec.Labels?["io.tenantctl.node"] }
        let workers = try await engine.listNodes().filter { $0.Spec?.Role == "worker" }
        #expect(Set(pins.compactMap { $0 }) == Set(workers.map(\.ID)), "one SQLite provider per worker: \(pins)")

        let run = await cluster(["start-provider", cassandra, "--image", image, "--store", "cassandra", "--cassandra", "127.0.0.1:9", "--no-wait"])
        #expect(run.code == 0, "\(run.err)")
        let services = ["remote_server_\(cassandra)", "admin_panel_\(cassandra)"]
        let serviceIDs = try await services.asyncMap { try await engine.inspectService(id: $0).ID }
        func nodeOfRunningTask(_ serviceID: String) async throws -> String? {
            try await engine.listTasks(filters: ["service": [serviceID], "desired-state": ["running"]])
                .first { $0.Status?.State == "running" }?.NodeID
        }
        let started = try await eventually(within: .seconds(60)) {
            try await serviceIDs.asyncMap { try await nodeOfRunningTask($0) }.allSatisfy { $0 != nil }
        }
        #expect(started, "the Cassandra provider's tasks did not start")
        let lost = try #require(try await nodeOfRunningTask(serviceIDs[0]))
        let lostNode = try #require(workers.first { $0.ID == lost })
        let lostAddress = try #require(lostNode.Status?.Addr)
        let number = try #require(Int(lostAddress.split(separator: ".")[2]))
        let onLost = try #require(zip(sqlite, pins).first { $0.1 == lost }?.0)
        let elsewhere = try #require(sqlite.first { $0 != onLost })

        try await engineScript("stop", node: number)
        stopped = number
        #expect(try await eventually(within: .seconds(60)) { try await engine.listNodes().first { $0.ID == lost }?.Status?.State == "down" })

        // The Cassandra provider's tasks run again, on the worker that is left.
        let moved = try await eventually(within: .seconds(90)) {
            let nodes = try await serviceIDs.asyncMap { try await nodeOfRunningTask($0) }
            return nodes.allSatisfy { $0 != nil && $0 != lost }
        }
        #expect(moved, "the Cassandra provider's tasks did not start on another node")
        #expect(try await eventually(within: .seconds(30)) { try await entries()[cassandra]?["state"] as? String == "running" })

        // The SQLite provider on the lost node: down, its node named, nothing started elsewhere.
        let entry = try #require(try await entries()[onLost])
        #expect(entry["state"] as? String == "down", "\(entry)")
        let reasons = (entry["containers"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("pinned to node tenantctl-swarm\(number) (\(lostAddress)), which is down") }, "\(reasons)")
        let status = await cluster(["status", onLost])
        #expect(status.out.contains("tenantctl-swarm\(number) (\(lostAddress), down)"), "\(status.out)")
        for service in ["remote_server_\(onLost)", "admin_panel_\(onLost)"] {
            let tasks = try await engine.listTasks(filters: ["service": [service]])
            #expect(!tasks.contains { $0.NodeID != lost && $0.Status?.State == "running" }, "\(service) runs on another node")
        }
        #expect(try await entries()[elsewhere]?["state"] as? String == "running")

        // Back: the provider runs again where its data is.
        try await engineScript("up", node: number)
        stopped = nil
        #expect(try await eventually(within: .seconds(90)) { try await entries()[onLost]?["state"] as? String == "running" })
        let back = try await ["remote_server_\(onLost)", "admin_panel_\(onLost)"].asyncMap { try await nodeOfRunningTask(engine.inspectService(id: $0).ID) }
        #expect(back == [lost, lost])

        // Its data can only be purged on its node: reported left behind, precisely.
        let removed = await cluster(["remove", onLost, "--purge-data", "--yes", "--json"])
        #expect(removed.code == 0, "\(removed.err)")
        let leftBehind = try #require(try JSONSerialization.jsonObject(with: Data(removed.out.utf8)) as? [String: Any])["left_behind"] as? [String]
        #expect(leftBehind?.count == 1 && leftBehind?.first?.contains("tenantctl_\(onLost)_data on node tenantctl-swarm\(number) (\(lostAddress)") == true, "\(removed.out)")
    }

    private func cleanUp(_ ids: [String], restarting stopped: Int?) async {
        if let stopped { try? await engineScript("up", node: stopped) }
        for id in ids { _ = await cluster(["remove", id, "--purge-data", "--yes"]) }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
