import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

// Many providers on one engine: subnets from tenantctl's pool past the engine's default
// limit (29 bridge networks), readiness, least privilege and probe-based health on the real
// engine. CI runs them (TENANTCTL_INTEGRATION=1).

private let enabled = ProcessInfo.processInfo.environment["TENANTCTL_INTEGRATION"] == "1"
private let realImage = ProcessInfo.processInfo.environment["TENANTCTL_E2E_IMAGE"] ?? TenantctlVersion.defaultImage
/// TCP-only fixture: containers start fast and cost little; it speaks no protocol (`--no-wait`).
private let fixtureImage = "tenantctl-test-listener:latest"


private func docker(_ arguments: String...) async throws -> ProgramResult {
    try await runProgram("/usr/bin/env", ["docker"] + arguments, timeout: .seconds(60))
}

private func runID() -> String { String(UInt32.random(in: 0...UInt32.max), radix: 36) }

/// Runs `body`, then removes the providers `ids` with their data, also when `body` throws.
/// (A Cassandra provider whose cluster is unreachable cannot have its keyspace dropped:
/// `purge: false` removes its containers and network only.)
private func removingAfterwards(_ ids: [String], purge: Bool = true, _ body: () async throws -> Void) async throws {
    let arguments = purge ? ["--purge-data", "--yes"] : ["--yes"]
    func remove() async {
        for id in ids { _ = await tenantctl(["remove", id] + arguments) }
        if !purge { await removeSecretsVolumes(ids) }
    }
    do { try await body() } catch {
        await remove()
        throw error
    }
    await remove()
}

@Suite(.serialized, .enabled(if: enabled, "needs a Docker engine: set TENANTCTL_INTEGRATION=1"))
struct DensityIntegrationTests {
    /// A default engine runs out of address pools at the 30th bridge network; with a /28 each
    /// from tenantctl's pool, 60 providers fit, each in its own subnet. A private pool range
    /// keeps this test apart from other providers on the engine.
    @Test func sixtyProvidersPastTheEnginesDefaultPoolsEachGetTheirOwnSubnet() async throws {
        let run = runID()
        let ids = (0..<60).map { "dn_\(run)_\($0)" }
        let pool = "10.254.0.0/22"  // 64 subnets of /28
        try await removingAfterwards(ids) {
        let failures = await withTaskGroup(of: String?.self) { group in
            var failures: [String] = []
            var next = ids.makeIterator()
            func add() -> Bool {
                guard let id = next.next() else { return false }
                group.addTask {
                    let result = await tenantctl(["start-provider", id, "--image", fixtureImage, "--no-wait", "--subnet-pool", pool])
                    return result.code == 0 ? nil : "\(id): \(result.err)"
                }
                return true
            }
            for _ in 0..<6 { _ = add() }
            for await failure in group {
                if let failure { failures.append(failure) }
                _ = add()
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
        let client = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
        var subnets: [String] = []
        for id in ids {
            let network = try await client.inspectNetwork(id: "tenantctl_\(id)")
            subnets += network.subnets
            #expect(try await client.inspectContainer(id: "remote_server_\(id)").State.Running == true)
        }
        #expect(subnets.count == 60)
        #expect(Set(subnets).count == 60, "every provider has a subnet of its own")
        #expect(subnets.allSatisfy { $0.hasPrefix("10.254.") && $0.hasSuffix("/28") }, "\(subnets)")
        let doctor = await tenantctl(["doctor", "--image", fixtureImage, "--subnet-pool", pool])
        #expect(doctor.out.contains("subnet pool: 10.254.0.0/22 in /28s: 60 of 64 in use"), "\(doctor.out)")
        }
    }

    /// The real servers under least privilege: start-provider returns when both answer, a
    /// write outside /data and /tmp fails, and a hung server shows as unhealthy at once.
    @Test func aReadyProviderRunsLockedDownAndAHungServerShowsUnhealthy() async throws {
        let id = "dn_ready_\(runID())"
        try await removingAfterwards([id]) {
        let started = ContinuousClock.now
        let start = await tenantctl(["start-provider", id, "--image", realImage, "--json"])
        let took = ContinuousClock.now - started
        #expect(start.code == 0, "\(start.err)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(start.out.utf8)) as? [String: Any])
        #expect(result["ready"] as? Bool == true)
        let gatewayPort = try #require(result["gateway_port"] as? Int)
        let adminPort = try #require(result["admin_port"] as? Int)
        #expect(result["gateway_address"] as? String == "127.0.0.1:\(gatewayPort)")
        #expect(result["admin_url"] as? String == "http://127.0.0.1:\(adminPort)/")
        // Ready means serving: the probes pass from here, independently of tenantctl's waiter.
        #expect(await ServerProbe.gateway(host: "127.0.0.1", port: gatewayPort, timeout: .seconds(30)) == .ready)
        #expect(await ServerProbe.admin(host: "127.0.0.1", port: adminPort, timeout: .seconds(30)) == .ready)
        print("start-provider until ready: \(took)")

        let client = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
        for name in ["remote_server_\(id)", "admin_panel_\(id)"] {
            let host = try #require(try await client.inspectContainer(id: name).HostConfig)
            #expect(host.CapDrop == ["ALL"])
            #expect(host.SecurityOpt == ["no-new-privileges"])
            #expect(host.ReadonlyRootfs == true)
            #expect(host.PidsLimit == 512)
            #expect(host.LogConfig?.Config?["max-size"] == "10m")
            let outside = try await docker("exec", name, "sh", "-c", "echo x > /etc/tenant-probe")
            #expect(outside.code != 0)
            #expect(outside.err.contains("Read-only file system"), "\(outside.err)")
            #expect(try await docker("exec", name, "sh", "-c", "echo x > /tmp/probe && rm /tmp/probe").code == 0)
            #expect(try await docker("exec", name, "sh", "-c", "echo x > /data/probe && rm /data/probe").code == 0)
            #expect(try await docker("inspect", "-f", "{{.State.Health}}", name).out.trimmingCharacters(in: .whitespacesAndNewlines) == "<nil>")
        }

        // A hung ingest server (its process stopped, the container still "running" and its
        // socket still accepting in the kernel) is unhealthy within the probe's 2 s, with the
        // reason; the admin stays healthy.
        #expect(try await docker("kill", "--signal", "STOP", "remote_server_\(id)").code == 0)
        // Asked again while the admin's own 2 s probe loses to a loaded machine: the admin must
        // be seen healthy beside the hung ingest server in one answer.
        var containers: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(90)
        repeat {
            let asked = ContinuousClock.now
            let status = await tenantctl(["status", id, "--json"])
            #expect(ContinuousClock.now - asked < .seconds(30), "status is bounded by its probes")
            containers = try #require((try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])?["containers"] as? [[String: Any]])
        } while containers.first(where: { $0["role"] as? String == "admin" })?["health"] as? String != "healthy" && ContinuousClock.now < deadline
        #expect(try await docker("kill", "--signal", "CONT", "remote_server_\(id)").code == 0)
        let ingest = try #require(containers.first { $0["role"] as? String == "ingest" })
        let admin = try #require(containers.first { $0["role"] as? String == "admin" })
        #expect(ingest["health"] as? String == "unhealthy")
        #expect(ingest["health_detail"] as? String == "no reply in 2.0 seconds")
        #expect(admin["health"] as? String == "healthy")

        // Back to healthy once it runs again.
        var again = await tenantctl(["status", id])
        var ingestLine: Substring?
        let healthyBy = ContinuousClock.now + .seconds(60)
        while true {
            ingestLine = again.out.split(separator: "\n").first { $0.contains("ingest remote_server_\(id): Up ") }
            guard ingestLine?.contains(", healthy,") != true, ContinuousClock.now < healthyBy else { break }
            try await Task.sleep(for: .milliseconds(500))
            again = await tenantctl(["status", id])
        }
        #expect(ingestLine?.contains(", healthy,") == true, "\(again.out)")
        }
    }

    /// A provider whose servers cannot start fails fast with the server's own reason, instead of
    /// "running" while they crash-loop.
    @Test func aCrashLoopingProviderFailsWithTheServersReason() async throws {
        let id = "dn_crash_\(runID())"
        try await removingAfterwards([id], purge: false) {
        let started = ContinuousClock.now
        let result = await tenantctl(["start-provider", id, "--image", realImage, "--store", "cassandra", "--cassandra", "127.0.0.1:9", "--wait-timeout", "180"])
        #expect(ContinuousClock.now - started < .seconds(120), "failed at once, not after the timeout")
        #expect(result.code == 1, "\(result.out) \(result.err)")
        #expect(result.err.contains("provider \(id) is not ready: "), "\(result.err)")
        #expect(result.err.contains("container"), "\(result.err)")
        }
    }
}
