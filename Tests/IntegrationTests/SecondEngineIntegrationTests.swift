import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan
import Testing

@testable import TenantCommands

// The single-engine provisioning cycle on a second, newer Docker engine reached over TCP:
// Debian 13's 26.1 (Engine API 1.45) that `make test` runs beside Debian 12's 20.10 (API 1.41)
// in its own network namespace (scripts/docker-second-engine.sh, scripts/swarm-engine.sh).
// Version negotiation and every call of the cycle meet a real engine of each version.

private let environment = ProcessInfo.processInfo.environment
private let secondHost = environment["TENANTCTL_SECOND_ENGINE_HOST"] ?? ""
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1" && !secondHost.isEmpty
private let image = environment["TENANTCTL_E2E_IMAGE"] ?? TenantctlVersion.defaultImage

/// tenantctl on the second engine's own containers (it is also a swarm manager: `engine` says
/// which of its two faces is meant).
private func second(_ arguments: [String]) async -> TenantctlRun {
    await tenantctl(arguments + ["--docker-host", secondHost, "--orchestrator", "engine"])
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

@Suite(.serialized, .enabled(if: enabled, "needs TENANTCTL_INTEGRATION=1 and TENANTCTL_SECOND_ENGINE_HOST (scripts/swarm-engine.sh up prints it)"))
struct SecondEngineIntegrationTests {
    @Test func eachEngineGetsTheAPIVersionItSpeaks() async throws {
        let main = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
        let newer = try await DockerClient.connect(transport: CurlTransport(dockerHost: secondHost))
        let mainEngine = try await DockerClient.engineVersion(transport: main.transport)
        let newerEngine = try await DockerClient.engineVersion(transport: newer.transport)
        #expect(main.version == APIVersion(mainEngine.ApiVersion).map { min($0, DockerClient.maximumVersion) })
        #expect(newer.version == APIVersion(newerEngine.ApiVersion).map { min($0, DockerClient.maximumVersion) })
        // Two versions for real, or this suite tests nothing the others do not.
        #expect(main.version != newer.version, "both engines speak \(main.version)")
        #expect(try await newer.info().Swarm?.LocalNodeState == "active")
    }

    @Test func aProviderRunsIsReadyAndGoesOnTheNewerEngine() async throws {
        let id = "v2_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do { try await cycle(id) } catch {
            _ = await second(["remove", id, "--purge-data", "--yes"])
            throw error
        }
    }

    /// Where the engine passes annotations (API 1.43+), a provider's two containers share one
    /// containerd shim; pinned to 1.41 (`DOCKER_API_VERSION`), each has its own, as on 20.10.
    @Test func aProvidersContainersShareOneShimWhereTheEngineAllowsIt() async throws {
        let shared = "sh_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let separate = "sp_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do { try await compareShims(shared: shared, separate: separate) } catch {
            for id in [shared, separate] { _ = await second(["remove", id, "--purge-data", "--yes"]) }
            throw error
        }
    }

    private func compareShims(shared: String, separate: String) async throws {
        let engine = try await DockerClient.connect(transport: CurlTransport(dockerHost: secondHost))
        #expect(engine.version >= Planner.annotationsMinimumVersion)
        let started = await second(["start-provider", shared, "--image", image])
        #expect(started.code == 0, "\(started.err)")
        var pinned = ProcessInfo.processInfo.environment
        pinned["DOCKER_API_VERSION"] = "1.41"
        let startedPinned = await DockerEnvironment.$variables.withValue(pinned) {
            await second(["start-provider", separate, "--image", image])
        }
        #expect(startedPinned.code == 0, "\(startedPinned.err)")

        /// The shim that runs each of the provider's containers: the parent of its first process.
        func shims(_ id: String) async throws -> Set<Int> {
            var parents: Set<Int> = []
            for name in ["remote_server_\(id)", "admin_panel_\(id)"] {
                let pid = try #require(try await engine.inspectContainer(id: name).State.Pid)
                let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
                // Fields after the command name (which may hold spaces): state, then ppid.
                let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
                parents.insert(try #require(Int(fields[1])))
                #expect(try String(contentsOfFile: "/proc/\(fields[1])/comm", encoding: .utf8).hasPrefix("containerd-shim"))
            }
            return parents
        }
        #expect(try await shims(shared).count == 1)
        #expect(try await shims(separate).count == 2)
        let annotations = try await engine.inspectContainer(id: "admin_panel_\(shared)").HostConfig?.Annotations
        #expect(annotations == [Planner.shimGroupAnnotation: "tenantctl-\(shared)"])
        // Two providers never share a shim.
        #expect(try await shims(shared).isDisjoint(with: try await shims(separate)))
        for id in [shared, separate] { #expect(await second(["remove", id, "--purge-data", "--yes"]).code == 0) }
    }

    /// Start until ready, rerun, list, stop and remove with its data.
    private func cycle(_ id: String) async throws {
        // Waits until both servers answer, at the engine's address (not loopback).
        let start = await second(["start-provider", id, "--image", image, "--json"])
        #expect(start.code == 0, "\(start.err)")
        let result = try object(start.out)
        #expect(result["ready"] as? Bool == true, "\(start.out)")
        let gateway = try #require(result["gateway_port"] as? Int)
        let engine = try await DockerClient.connect(transport: CurlTransport(dockerHost: secondHost))
        for (name, role) in [("remote_server_\(id)", "ingest"), ("admin_panel_\(id)", "admin")] {
            let inspect = try await engine.inspectContainer(id: name)
            #expect(inspect.State.Running == true)
            #expect(inspect.Config?.Labels?[Labels.provider] == id && inspect.Config?.Labels?[Labels.role] == role)
        }
        // Gateways are told the engine's address, where the probes found the servers.
        #expect(result["gateway_address"] as? String == "\(ServerProbe.host(forEngineEndpoint: secondHost)):\(gateway)", "\(start.out)")

        let again = await second(["start-provider", id, "--image", image, "--json"])
        #expect(again.code == 0, "\(again.err)")
        #expect(try object(again.out)["changes"] as? [String] == [], "\(again.out)")
        let list = await second(["list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]])
        #expect(entries.first { $0["provider"] as? String == id }?["state"] as? String == "running", "\(list.out)")

        #expect(await second(["stop", id]).code == 0)
        #expect(try await engine.inspectContainer(id: "admin_panel_\(id)").State.Running == false)
        let removed = await second(["remove", id, "--purge-data", "--yes"])
        #expect(removed.code == 0, "\(removed.err)")
        let label = ["\(Labels.provider)=\(id)"]
        #expect(try await engine.listContainers(all: true, labels: label).isEmpty)
        #expect(try await engine.listNetworks(labels: label).isEmpty)
        #expect(try await engine.listVolumes(labels: label).isEmpty)
    }
}
