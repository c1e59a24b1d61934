import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

// Against the real Docker engine (CI starts one and sets TENANTCTL_INTEGRATION=1) and the
// real image (`make image`); TENANTCTL_TEST_IMAGE=tenantctl-test-listener:latest runs them
// on the TCP-only fixture instead. Tests depend on running state and TCP accept, not on
// health (the end-to-end tests cover health). Serialized: each run chooses
// free ports, and one test deliberately occupies one.

private let enabled = ProcessInfo.processInfo.environment["TENANTCTL_INTEGRATION"] == "1"
private let image = ProcessInfo.processInfo.environment["TENANTCTL_TEST_IMAGE"] ?? TenantctlVersion.defaultImage


private func engine() async throws -> DockerClient {
    try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
}

private func uniqueID() -> String { "it_" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

/// Runs `body` with a fresh provider id and removes everything labelled with it afterwards.
private func withProvider(_ body: (String) async throws -> Void) async throws {
    let id = uniqueID()
    do {
        try await body(id)
    } catch {
        _ = await tenantctl(["remove", id, "--purge-data", "--yes"])
        throw error
    }
    _ = await tenantctl(["remove", id, "--purge-data", "--yes"])
}

/// Objects of any kind carrying the provider's label.
private func labelledObjects(_ id: String) async throws -> [String] {
    let client = try await engine()
    let label = ["\(Labels.provider)=\(id)"]
    return try await client.listContainers(all: true, labels: label).map { "container \($0.name)" }
        + client.listNetworks(labels: label).map { "network \($0.Name)" }
        + client.listVolumes(labels: label).map { "volume \($0.Name)" }
}

/// Whether a TCP connection to `host`:`port` is accepted within a few seconds. The published
/// port goes through docker-proxy, which accepts before the container listens, so tests
/// also connect to the container's own address on its network.
private func acceptsTCP(_ port: Int, host: String = "127.0.0.1") async -> Bool {
    for _ in 0..<50 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: inet_addr(host))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if result == 0 { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}

private func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

@Suite(.serialized, .enabled(if: enabled, "needs a Docker engine: set TENANTCTL_INTEGRATION=1"))
struct ProvisioningIntegrationTests {
    @Test func startProviderRunsLabelledContainersWhosePortsAcceptTCP() async throws {
        try await withProvider { id in
            let run = await tenantctl(["start-provider", id, "--image", image, "--json"])
            #expect(run.code == 0, "\(run.err)")
            let result = try #require(try json(run.out) as? [String: Any])
            let gateway = try #require(result["gateway_port"] as? Int)
            let admin = try #require(result["admin_port"] as? Int)
            #expect(result["admin_password"] is String)

            let client = try await engine()
            for (name, role, port, containerPort) in [("remote_server_\(id)", "ingest", gateway, "6000/tcp"), ("admin_panel_\(id)", "admin", admin, "80/tcp")] {
                let inspect = try await client.inspectContainer(id: name)
                #expect(inspect.State.Running == true)
                #expect(inspect.Config?.Labels?[Labels.provider] == id)
                #expect(inspect.Config?.Labels?[Labels.role] == role)
                #expect(inspect.Config?.Labels?[Labels.configHash]?.count == 16)
                #expect(inspect.HostConfig?.RestartPolicy?.Name == "unless-stopped")
                #expect(inspect.NetworkSettings?.Ports?[containerPort]??.contains { $0.HostPort == String(port) } == true)
                #expect(await acceptsTCP(port), "\(name) on \(port)")
                let address = try #require(inspect.NetworkSettings?.Networks?["tenantctl_\(id)"]?.IPAddress)
                #expect(await acceptsTCP(Int(containerPort.prefix { $0.isNumber })!, host: address), "\(name) at \(address)")
            }
            #expect(try await client.inspectNetwork(id: "tenantctl_\(id)").Labels?[Labels.role] == "network")
            #expect(try await client.inspectVolume(name: "tenantctl_\(id)_data").Labels?[Labels.role] == "data")
        }
    }

    @Test func rerunChangesNothingAndRemovedContainerIsRepaired() async throws {
        try await withProvider { id in
            #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
            let client = try await engine()
            let ingestID = try await client.inspectContainer(id: "remote_server_\(id)").Id
            let adminID = try await client.inspectContainer(id: "admin_panel_\(id)").Id

            let again = await tenantctl(["start-provider", id, "--image", image, "--json"])
            #expect(again.code == 0)
            #expect((try json(again.out) as? [String: Any])?["changes"] as? [String] == [])
            #expect(try await client.inspectContainer(id: "admin_panel_\(id)").Id == adminID)

            try await client.removeContainer(id: adminID, force: true)
            let repaired = await tenantctl(["start-provider", id, "--image", image, "--json"])
            #expect(repaired.code == 0, "\(repaired.err)")
            let changes = (try json(repaired.out) as? [String: Any])?["changes"] as? [String] ?? []
            #expect(changes == [
                "write secrets to volume tenantctl_\(id)_secrets (secrets: none)", "create container admin_panel_\(id)", "start container admin_panel_\(id)",
            ])
            #expect(try await client.inspectContainer(id: "admin_panel_\(id)").State.Running == true)
            #expect(try await client.inspectContainer(id: "remote_server_\(id)").Id == ingestID)
        }
    }

    @Test func portTakenByAnotherProcessFailsClearlyAndLeavesNothing() async throws {
        // Hold a port the way an unrelated service would.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        defer { close(fd) }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))

        try await withProvider { id in
            // Found before any object is made: a conflict naming the port, not the engine's raw error.
            let run = await tenantctl(["start-provider", id, "--image", image, "--gateway-port", String(port)])
            #expect(run.code == ExitStatus.conflict)
            #expect(run.err == "tenantctl: error: gateway port \(port) (--gateway-port) is in use on this host by a process that is not a Docker container\n")
            let leftovers = try await labelledObjects(id)
            #expect(leftovers == [])
        }
    }

    @Test func stopKeepsTheVolumeAndIsIdempotent() async throws {
        try await withProvider { id in
            #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
            #expect(await tenantctl(["stop", id, "--grace", "5"]).code == 0)
            let client = try await engine()
            #expect(try await client.inspectContainer(id: "remote_server_\(id)").State.Running == false)
            #expect(try await client.inspectContainer(id: "admin_panel_\(id)").State.Running == false)
            #expect(try await client.inspectVolume(name: "tenantctl_\(id)_data").Name == "tenantctl_\(id)_data")
            #expect(await tenantctl(["stop", id]).code == 0)
            #expect(await tenantctl(["stop", uniqueID()]).code == ExitStatus.notFound)
            // start-provider brings it back with the same ports.
            #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
            #expect(try await client.inspectContainer(id: "remote_server_\(id)").State.Running == true)
        }
    }

    @Test func listJSONParsesAndMatchesDockerInspect() async throws {
        try await withProvider { id in
            #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
            let run = await tenantctl(["list", "--json"])
            #expect(run.code == 0)
            let list = try #require(try json(run.out) as? [[String: Any]])
            let entry = try #require(list.first { $0["provider"] as? String == id })
            #expect(entry["state"] as? String == "running")
            let client = try await engine()
            let ingest = try await client.inspectContainer(id: "remote_server_\(id)")
            let admin = try await client.inspectContainer(id: "admin_panel_\(id)")
            #expect(String(entry["gateway_port"] as? Int ?? 0) == ingest.NetworkSettings?.Ports?["6000/tcp"]??.first?.HostPort)
            #expect(String(entry["admin_port"] as? Int ?? 0) == admin.NetworkSettings?.Ports?["80/tcp"]??.first?.HostPort)
            let containers = try #require(entry["containers"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: containers.map { ($0["name"] as? String ?? "", $0) })
            for inspect in [ingest, admin] {
                let view = try #require(byName[String(inspect.Name.dropFirst())])
                #expect(view["id"] as? String == inspect.Id)
                #expect(view["state"] as? String == inspect.State.Status)
                #expect(view["role"] as? String == inspect.Config?.Labels?[Labels.role])
            }
            #expect(!run.out.contains("TENANT_"))
        }
    }

    @Test func removePurgeDataLeavesNoLabelledObject() async throws {
        let id = uniqueID()
        #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
        #expect(try await labelledObjects(id).count == 5)  // 2 containers, network, data and secrets volumes
        let kept = await tenantctl(["remove", id])
        #expect(kept.code == 0)
        #expect(Set(try await labelledObjects(id)) == ["volume tenantctl_\(id)_data", "volume tenantctl_\(id)_secrets"])
        let purged = await tenantctl(["remove", id, "--purge-data", "--yes"])
        #expect(purged.code == 0, "\(purged.err)")
        #expect(try await labelledObjects(id) == [])
    }

    @Test func concurrentRunsNeverPickTheSamePort() async throws {
        let ids = [uniqueID(), uniqueID()]
        async let first = tenantctl(["start-provider", ids[0], "--image", image, "--json"])
        async let second = tenantctl(["start-provider", ids[1], "--image", image, "--json"])
        let runs = await [first, second]
        for id in ids { _ = await tenantctl(["remove", id, "--purge-data", "--yes"]) }
        #expect(runs.allSatisfy { $0.code == 0 }, "\(runs.map(\.err))")
        let ports = try runs.map { try #require(try json($0.out) as? [String: Any]) }.flatMap { [$0["gateway_port"] as? Int, $0["admin_port"] as? Int] }
        #expect(Set(ports.compactMap { $0 }).count == 4)
    }

    @Test func planMatchesWhatStartProviderSends() async throws {
        try await withProvider { id in
            let plan = await tenantctl(["plan", id, "--image", image, "--gateway-port", "6999", "--admin-port", "8999"])
            #expect(plan.code == 0, "\(plan.err)")
            #expect(try await labelledObjects(id) == [])
            let requests = try #require(try json(plan.out) as? [[String: Any]])
            // Network, data and secrets volumes, the secrets' one-shot writer (delete a leftover,
            // create, upload, delete), and both containers created and started.
            #expect(requests.count == 11)
            let upload = try #require(requests.first { $0["method"] as? String == "PUT" })
            let files = try #require(upload["body"] as? [[String: Any]])
            // Every kind is written, empty when unset, so a secret taken away is emptied too.
            #expect(files.map { $0["name"] as? String } == ["cassandra-username", "cassandra-password", "smtp-password", "gateway-tls-cert", "gateway-tls-key", "settings-key"])
            #expect(files.map { $0["content"] as? String } == ["(empty)", "(empty)", "(empty)", "(empty)", "(empty)", "(set, not shown)"])
            #expect(files.allSatisfy { $0["mode"] as? String == "0400" && $0["uid"] as? Int == 10001 })
            #expect(requests.contains { ($0["path"] as? String)?.hasSuffix("/containers/create?name=remote_server_\(id)") == true })
        }
    }

    @Test func logsFollowStreamsUntilCancelled() async throws {
        try await withProvider { id in
            #expect(await tenantctl(["start-provider", id, "--image", image]).code == 0)
            let capture = Capture()
            let console = Console(
                out: { text in capture.out.withLock { $0 += text } }, err: { text in capture.err.withLock { $0 += text } },
                isInteractive: { false }, readLine: { nil })
            let follower = Task {
                await Console.$current.withValue(console) { await TenantCtl.run(arguments: ["logs", id, "--follow"]) }
            }
            // Both images log their listen line to stderr; the fixture also writes "ready" to
            // stdout, so with it both streams must arrive demultiplexed.
            let needsStdout = image.hasPrefix("tenantctl-test-listener")
            var seen = false
            let deadline = ContinuousClock.now + .seconds(60)
            while !seen, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                seen = (!needsStdout || capture.out.withLock { $0.contains("test-listener ready") })
                    && capture.err.withLock { $0.contains("listening") }
            }
            #expect(seen, "out: \(capture.out.withLock { $0 }) err: \(capture.err.withLock { $0 })")
            follower.cancel()
            let code = await follower.value
            #expect(code == 0)
        }
    }

    @Test func createKeyspaceRunsTheOneShotContainerAndIsIdempotent() async throws {
        try await withProvider { id in
            for _ in 0..<2 {
                let run = await tenantctl(["create-keyspace", id, "--image", image])
                #expect(run.code == 0, "\(run.err)")
            }
            let objects = try await labelledObjects(id)
            #expect(objects == ["volume tenantctl_\(id)_data"])
        }
    }

    @Test func theExecutableReportsExitCodesAndJSON() async throws {
        let binary = builtProduct("tenantctl")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the tenantctl product first")
        func run(_ arguments: [String]) async throws -> (Int32, String, String) {
            let result = try await runProgram(binary, arguments, timeout: .seconds(60))
            return (result.code, result.out, result.err)
        }
        let bad = try await run(["start-provider", "Not-Valid"])
        #expect(bad.0 == 64)
        #expect(bad.2.contains("[a-z][a-z0-9_]{0,47}"))
        let list = try await run(["list", "--json"])
        #expect(list.0 == 0)
        #expect(try json(list.1) is [Any])
        let down = try await run(["list", "--docker-host", "unix:///nonexistent.sock"])
        #expect(down.0 == 69)
        #expect(down.2.split(separator: "\n").count == 1)
        let unknown = try await run(["stop", uniqueID()])
        #expect(unknown.0 == 3)
        // The executable registers the Cassandra library's provisioner: --replication is parsed
        // by Replication(parsing:), and create-keyspace connects itself (port 1 refuses at once).
        let badReplication = try await run(["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "127.0.0.1:1", "--replication", "simple:x"])
        #expect(badReplication.0 == 64)
        #expect(badReplication.2.contains("simple:FACTOR") && badReplication.2.contains("DC:FACTOR"))
        let refused = try await run(["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "127.0.0.1:1", "--replication", "dc1:3,dc2:2"])
        #expect(refused.0 == 1)
        #expect(refused.2.hasPrefix("tenantctl: error: creating keyspace acme at 127.0.0.1:1"), "\(refused.2)")
    }
}
