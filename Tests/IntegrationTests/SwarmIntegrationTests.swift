import DockerAPI
import DockerClient
import Foundation
import TenantModel
import Testing

@testable import TenantCommands

// Providers on a real single-node swarm: the engine `scripts/swarm-engine.sh up` starts in its
// own network namespace (never the engine at /var/run/docker.sock). Provider ids start with `sw_`.

private let environment = ProcessInfo.processInfo.environment
private let swarmHost = environment["TENANTCTL_SWARM_HOST"] ?? ""
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1" && !swarmHost.isEmpty
/// Any image whose servers listen (runs pass --no-wait: the fixture speaks no protocol).
private let image = environment["TENANTCTL_TEST_IMAGE"] ?? "tenantctl-test-listener:latest"
/// The real image, for the run that waits until both servers answer (skipped if the swarm lacks it).
private let realImage = environment["TENANTCTL_E2E_IMAGE"] ?? TenantctlVersion.defaultImage

private func swarm(_ arguments: [String], variables: [String: String]? = nil) async -> TenantctlRun {
    let arguments = arguments + ["--docker-host", swarmHost]
    guard let variables else { return await tenantctl(arguments) }
    return await DockerEnvironment.$variables.withValue(variables) { await tenantctl(arguments) }
}

private func client() async throws -> DockerClient {
    try await DockerClient.connect(transport: CurlTransport(dockerHost: swarmHost))
}

private func swarmID() -> String { "sw_" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

/// Runs `body` with a fresh provider id and removes everything of it afterwards.
private func withProvider(_ body: (String) async throws -> Void) async throws {
    let id = swarmID()
    do { try await body(id) } catch {
        _ = await swarm(["remove", id, "--purge-data", "--yes"])
        throw error
    }
    _ = await swarm(["remove", id, "--purge-data", "--yes"])
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

/// The list entry of `id`.
private func listed(_ id: String) async throws -> [String: Any]? {
    let run = await swarm(["list", "--json"])
    #expect(run.code == 0, "\(run.err)")
    let all = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
    return all.first { $0["provider"] as? String == id }
}

/// Whether a TCP connection to `host:port` is accepted (the fixture accepts and closes).
/// Whether `host`:`port` accepts a connection within a minute (a task started with `--no-wait`
/// may not be running yet).
private func accepts(_ host: String, _ port: Int) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    repeat {
        guard case .notReady(let reason) = await ServerProbe.gateway(host: host, port: port, timeout: .seconds(2)) else { return true }
        if !reason.lowercased().contains("refused") && !reason.lowercased().contains("timed out") { return true }
        try? await Task.sleep(for: .milliseconds(250))
    } while ContinuousClock.now < deadline
    return false
}

@Suite(.enabled(if: enabled, "needs TENANTCTL_INTEGRATION=1 and TENANTCTL_SWARM_HOST (scripts/swarm-engine.sh up prints it)"), .serialized)
struct SwarmIntegrationTests {
    @Test func detectsTheManagerAndDoctorSaysSo() async throws {
        let run = await swarm(["doctor", "--image", image])
        #expect(run.out.contains("ok   orchestrator: swarm: this node"), "\(run.out)")
        #expect(run.out.contains("is a manager; 1 nodes (1 ready), 1 managers"), "\(run.out)")
        // A command without a swarm path refuses in one line instead of acting on containers.
        let backup = await swarm(["backup", "sw_none", "--output", "/tmp/sw_none.tar"])
        #expect(backup.code == ExitStatus.usage)
        #expect(backup.err.contains("does not run on a swarm yet"), "\(backup.err)")
        #expect(backup.err.split(separator: "\n").count == 1)
    }

    /// start (services, labels, pinned node, overlay, secret) → idempotent re-run → stop →
    /// start again → restart → logs → remove --purge-data, with the data volume gone.
    @Test func lifecycle() async throws {
        try await withProvider { id in
            let start = await swarm(["start-provider", id, "--image", image, "--no-wait", "--json"])
            #expect(start.code == 0, "\(start.err)")
            let result = try object(start.out)
            let gatewayPort = try #require(result["gateway_port"] as? Int)
            let gatewayAddress = try #require(result["gateway_address"] as? String)
            #expect((result["changes"] as? [String])?.contains("create service remote_server_\(id)") == true)
            #expect(result["admin_password"] as? String != nil)

            let engine = try await client()
            let info = try await engine.info()
            let node = try #require(info.Swarm?.NodeID)
            for (name, role) in [("remote_server_\(id)", "ingest"), ("admin_panel_\(id)", "admin")] {
                let service = try await engine.inspectService(id: name)
                #expect(service.Spec.Labels?["io.tenantctl.provider"] == id)
                #expect(service.Spec.Labels?["io.tenantctl.role"] == role)
                #expect(service.Spec.Labels?["io.tenantctl.config-hash"]?.count == 16)
                #expect(service.Spec.Labels?["io.tenantctl.node"] == node)
                #expect(service.Spec.TaskTemplate.ContainerSpec.Labels?["io.tenantctl.provider"] == id)
                #expect(service.Spec.TaskTemplate.Placement?.Constraints == ["node.id==\(node)"])
                #expect(service.Spec.UpdateConfig?.Order == "stop-first")
                #expect(service.Spec.UpdateConfig?.FailureAction == "rollback")
            }
            let network = try await engine.inspectNetwork(id: "tenantctl_\(id)")
            #expect(network.Driver == "overlay")
            #expect(network.subnets.first?.hasPrefix("10.200.") == true)
            let secrets = try await engine.listSecrets(labels: ["io.tenantctl.provider=\(id)"])
            #expect(secrets.map(\.Spec.Name).allSatisfy { $0.hasPrefix("tc_\(id)_sk_") } && secrets.count == 1)
            // Host-mode publishing: the node's address answers on the gateway port.
            let host = String(gatewayAddress.split(separator: ":").first ?? "")
            #expect(await accepts(host, gatewayPort))

            let entry = try #require(try await listed(id))
            #expect(entry["state"] as? String == "running")
            let containers = try #require(entry["containers"] as? [[String: Any]])
            #expect(containers.allSatisfy { ($0["node"] as? String)?.contains("ready") == true })

            let again = await swarm(["start-provider", id, "--image", image, "--no-wait"])
            #expect(again.code == 0, "\(again.err)")
            #expect(again.out.contains("was already running"), "\(again.out)")

            let status = await swarm(["status", id])
            #expect(status.code == 0, "\(status.err)")
            #expect(status.out.contains("node: "), "\(status.out)")
            #expect(status.out.contains("volume: tenantctl_\(id)_data on node"), "\(status.out)")

            let stop = await swarm(["stop", id])
            #expect(stop.code == 0, "\(stop.err)")
            #expect(try await listed(id)?["state"] as? String == "stopped")
            #expect(await swarm(["stop", id]).out.contains("already stopped"))
            #expect(try await engine.listVolumes(labels: ["io.tenantctl.provider=\(id)"]).map(\.Name) == ["tenantctl_\(id)_data"])

            let restart = await swarm(["start-provider", id, "--image", image, "--no-wait"])
            #expect(restart.code == 0, "\(restart.err)")
            #expect(restart.out.contains("update service remote_server_\(id)"), "\(restart.out)")
            #expect(try await listed(id)?["state"] as? String == "running")

            let before = try await engine.listTasks(filters: ["service": ["remote_server_\(id)"], "desired-state": ["running"]]).map(\.ID)
            let restarted = await swarm(["restart", id])
            #expect(restarted.code == 0, "\(restarted.err)")
            let after = try await engine.listTasks(filters: ["service": ["remote_server_\(id)"], "desired-state": ["running"]]).map(\.ID)
            #expect(!after.isEmpty && Set(after).isDisjoint(with: before))

            let logs = await swarm(["logs", id, "--tail", "5"])
            #expect(logs.code == 0, "\(logs.err)")
            #expect(logs.out.contains("ingest | test-listener"), "\(logs.out)")
            #expect(logs.out.contains("admin  | test-listener"), "\(logs.out)")

            let removed = await swarm(["remove", id, "--purge-data", "--yes", "--json"])
            #expect(removed.code == 0, "\(removed.err)")
            #expect(try object(removed.out)["volumes"] as? [String] == ["tenantctl_\(id)_data"])
            #expect(try await engine.listServices(labels: ["io.tenantctl.provider=\(id)"]).isEmpty)
            #expect(try await engine.listNetworks(labels: ["io.tenantctl.provider=\(id)"]).isEmpty)
            #expect(try await engine.listSecrets(labels: ["io.tenantctl.provider=\(id)"]).isEmpty)
            #expect(try await engine.listVolumes(labels: ["io.tenantctl.provider=\(id)"]).isEmpty)
            #expect(await swarm(["status", id]).code == ExitStatus.notFound)
        }
    }

    /// A secret is immutable: a new password is a new secret, swapped in by an update; the old
    /// one is removed. The value reaches the task as the same file the secrets volume held.
    @Test func rotatingASecretSwapsInANewVersion() async throws {
        try await withProvider { id in
            let smtp = ["--smtp-url", "smtp://relay.invalid:25", "--mail-from", "ops@example.org"]
            let first = await swarm(["start-provider", id, "--image", image, "--no-wait"] + smtp, variables: ["TENANT_SMTP_PASSWORD": "first"])
            #expect(first.code == 0, "\(first.err)")
            let engine = try await client()
            let names = { try await engine.listSecrets(labels: ["io.tenantctl.provider=\(id)"]).map(\.Spec.Name).sorted() }
            let before = try await names()
            #expect(before.count == 2 && before.contains { $0.hasPrefix("tc_\(id)_sm_") }, "\(before)")
            let second = await swarm(["start-provider", id, "--image", image, "--no-wait"] + smtp, variables: ["TENANT_SMTP_PASSWORD": "second"])
            #expect(second.code == 0, "\(second.err)")
            #expect(second.out.contains("update service admin_panel_\(id)"), "\(second.out)")
            #expect(!second.out.contains("update service remote_server_\(id)"), "the ingest server reads no SMTP secret: \(second.out)")
            let after = try await names()
            #expect(after.count == 2)
            #expect(after.filter { $0.contains("_sk_") } == before.filter { $0.contains("_sk_") }, "the settings key is kept")
            #expect(Set(after.filter { $0.contains("_sm_") }).isDisjoint(with: before.filter { $0.contains("_sm_") }))
            let spec = try await engine.inspectService(id: "admin_panel_\(id)").Spec.TaskTemplate.ContainerSpec
            #expect(spec.Secrets?.map(\.File.Name).sorted() == ["/run/secrets/tenant/settings-key", "/run/secrets/tenant/smtp-password"])
            #expect(spec.Env?.contains("TENANT_SMTP_PASSWORD_FILE=/run/secrets/tenant/smtp-password") == true)
            #expect(!(spec.Env ?? []).joined().contains("second"), "values never in the spec")
        }
    }

    /// `plan` records the swarm run's changing calls (secret values redacted) and changes nothing;
    /// after start-provider it is empty.
    @Test func planShowsTheSwarmCallsAndChangesNothing() async throws {
        try await withProvider { id in
            let smtp = ["--image", image, "--smtp-url", "smtp://relay.invalid:25", "--mail-from", "ops@example.org"]
            let variables = ["TENANT_SMTP_PASSWORD": "plan-secret-value"]
            let plan = await swarm(["plan", id] + smtp, variables: variables)
            #expect(plan.code == 0, "\(plan.err)")
            #expect(!plan.out.contains("plan-secret-value"))
            let requests = try #require(try JSONSerialization.jsonObject(with: Data(plan.out.utf8)) as? [[String: Any]])
            #expect(requests.compactMap { ($0["path"] as? String)?.split(separator: "/").dropFirst().joined(separator: "/") } == [
                "networks/create", "secrets/create", "secrets/create", "services/create", "services/create",
            ])
            #expect(try await client().listServices(labels: ["io.tenantctl.provider=\(id)"]).isEmpty)
            #expect(await swarm(["start-provider", id, "--no-wait"] + smtp, variables: variables).code == 0)
            let again = await swarm(["plan", id] + smtp, variables: variables)
            #expect(again.out.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(again.out)")
        }
    }

    /// The engine's task error is printed and the run ends at its bound with 75, never hangs.
    @Test func missingImageTimesOutWithTheTasksError() async throws {
        try await withProvider { id in
            let clock = ContinuousClock()
            let started = clock.now
            let run = await swarm(["start-provider", id, "--image", "tenantctl-no-such-image:0", "--no-wait", "--wait-timeout", "30"])
            #expect(started.duration(to: clock.now) < .seconds(120), "ended at its bound, did not hang")
            #expect(run.code == ExitStatus.timeout, "\(run.err)")
            #expect(run.err.contains("not ready after"), "\(run.err)")
            #expect(run.err.lowercased().contains("no such image"), "\(run.err)")
            // No task ever ran, so there is no volume to purge, and none is reported removed.
            let removed = await swarm(["remove", id, "--purge-data", "--yes", "--json"])
            #expect(removed.code == 0, "\(removed.err)")
            let removedJSON = try object(removed.out)
            #expect(removedJSON["volumes"] as? [String] == [])
        }
    }

    /// A fleet file on the swarm: `diff` names what `apply` then does, per provider, with the
    /// changed settings; a second `apply` changes nothing; `--prune` removes an unlisted one.
    @Test func diffAndApplyConvergeAFleetOfServices() async throws {
        let (a, b) = (swarmID(), swarmID())
        let fleet = "fl-sw-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(fleet).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func file(_ providers: [(String, String)]) throws {
            let text = "fleet: \(fleet)\ndefaults:\n  image: \(image)\n  memory: 64m\nproviders:\n"
                + providers.map { "  \($0.0): {\($0.1)}\n" }.joined()
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        func cleanUp() async { for id in [a, b] { _ = await swarm(["remove", id, "--purge-data", "--yes"]) } }
        do { try await converge() } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()

        func converge() async throws {
        try file([(a, ""), (b, "")])
        let before = await swarm(["diff", "-f", path])
        #expect(before.code == 2 && before.out.contains("create    \(a)") && before.out.contains("create    \(b)"), "\(before.out)\(before.err)")
        let applied = await swarm(["apply", "-f", path, "--no-wait", "--json"])
        #expect(applied.code == 0, "\(applied.err)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(applied.out.utf8)) as? [[String: Any]])
        #expect(results.map { $0["action"] as? String } == ["create", "create"], "\(applied.out)")
        let ports = results.compactMap { $0["gateway_port"] as? Int } + results.compactMap { $0["admin_port"] as? Int }
        #expect(Set(ports).count == 4, "every port chosen once across the batch: \(ports)")
        let engine = try await client()
        for id in [a, b] {
            let service = try await engine.inspectService(id: "admin_panel_\(id)")
            #expect(service.Spec.Labels?["io.tenantctl.fleet"] == fleet && service.Spec.TaskTemplate.Resources?.Limits?.MemoryBytes == 64 << 20)
        }
        #expect(await swarm(["diff", "-f", path]).code == 0, "in sync after apply")
        let again = await swarm(["apply", "-f", path, "--no-wait"])
        #expect(again.code == 0 && again.out.contains("\(a): unchanged") && again.out.contains("\(b): unchanged"), "\(again.out)")

        try file([(a, ""), (b, "memory: 96m")])
        let changed = await swarm(["diff", "-f", path])
        #expect(changed.code == 2 && changed.out.contains("update    \(b): memory: 64m -> 96m") && changed.out.contains("unchanged \(a)"), "\(changed.out)")
        #expect(await swarm(["apply", "-f", path, "--no-wait"]).code == 0)
        #expect(try await engine.inspectService(id: "remote_server_\(b)").Spec.TaskTemplate.Resources?.Limits?.MemoryBytes == 96 << 20)

        // A stopped provider is repaired; an unlisted one is pruned, and only with --prune.
        #expect(await swarm(["stop", a]).code == 0)
        try file([(a, "")])
        let pruning = await swarm(["diff", "-f", path, "--prune"])
        #expect(pruning.out.contains("repair    \(a)") && pruning.out.contains("remove    \(b)"), "\(pruning.out)")
        let pruned = await swarm(["apply", "-f", path, "--prune", "--purge-data", "--no-wait"])
        #expect(pruned.code == 0, "\(pruned.out)\(pruned.err)")
        #expect(try await engine.listServices(labels: ["io.tenantctl.provider=\(b)"]).isEmpty)
        #expect(try await engine.inspectService(id: "admin_panel_\(a)").Spec.replicas == 1)
        }
    }

    /// A port another provider publishes on the swarm is refused before anything is created.
    @Test func portTakenOnTheSwarmIsAConflict() async throws {
        try await withProvider { first in
            let run = await swarm(["start-provider", first, "--image", image, "--no-wait", "--json"])
            #expect(run.code == 0, "\(run.err)")
            let port = try #require(try object(run.out)["gateway_port"] as? Int)
            let second = swarmID()
            let clash = await swarm(["start-provider", second, "--image", image, "--no-wait", "--gateway-port", String(port)])
            #expect(clash.code == ExitStatus.conflict, "\(clash.err)")
            #expect(try await client().listNetworks(labels: ["io.tenantctl.provider=\(second)"]).isEmpty)
        }
    }

    /// With the real image: start-provider returns once both servers answer on the node.
    @Test(.enabled("the swarm engine does not answer or has no \(realImage) (scripts/swarm-engine.sh loads it when the main engine has it)") {
        (try? await client().inspectImage(name: realImage)) != nil
    })
    func realImageIsReadyOnTheNode() async throws {
        try await withProvider { id in
            let run = await swarm(["start-provider", id, "--image", realImage, "--wait-timeout", "90", "--json"])
            #expect(run.code == 0, "\(run.err)")
            let result = try object(run.out)
            #expect(result["ready"] as? Bool == true)
            let status = try object(await swarm(["status", id, "--json"]).out)
            #expect(status["health"] as? String == "healthy", "\(status)")
        }
    }
}
