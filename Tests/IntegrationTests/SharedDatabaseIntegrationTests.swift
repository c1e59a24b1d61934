import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

// `tenantctl db` against the real engine, with the test-listener fixture standing in for
// Cassandra (`make test-fixtures`). The fixture is NOT Cassandra: it does not speak CQL,
// so its health check (cqlsh) never passes and no keyspace is created. These tests check
// only what tenantctl controls: containers, labels, published port, volume, network,
// idempotence, stop keeping the volume, and providers reaching it but not each other.

private let enabled = ProcessInfo.processInfo.environment["TENANTCTL_INTEGRATION"] == "1"
private let image = ProcessInfo.processInfo.environment["TENANTCTL_TEST_IMAGE"] ?? "tenantctl-test-listener:latest"


/// Removes the shared objects (there is no `db remove` command: data removal is manual).
private func removeSharedDatabase(_ client: DockerClient) async {
    try? await client.removeContainer(id: "tenantctl_db", force: true)
    try? await client.removeNetwork(id: "tenantctl_shared")
    try? await client.removeVolume(name: "tenantctl_db_data", force: true)
}

@Suite(.serialized, .enabled(if: enabled, "needs a Docker engine: set TENANTCTL_INTEGRATION=1"))
struct SharedDatabaseIntegrationTests {
    @Test func dbStartIsIdempotentStopKeepsTheVolumeAndProvidersReachItButNotEachOther() async throws {
        let client = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
        // Never clobber a shared database someone runs on this engine.
        if let existing = try? await client.inspectContainer(id: "tenantctl_db"), existing.Config?.Image != image {
            Issue.record("a shared database container tenantctl_db with image \(existing.Config?.Image ?? "?") exists; not touching it")
            return
        }
        await removeSharedDatabase(client)
        let port = Int.random(in: 29_000...29_900)
        let provider = "it_db_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let other = "it_db2_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        do {
            let start = await tenantctl(["db", "start", "--image", image, "--port", String(port), "--json"])
            #expect(start.code == 0, "\(start.err)")
            let inspect = try await client.inspectContainer(id: "tenantctl_db")
            #expect(inspect.State.Running == true)
            #expect(inspect.Config?.Labels?[Labels.role] == "db")
            #expect(inspect.Config?.Labels?[Labels.provider] == nil)
            #expect(inspect.HostConfig?.RestartPolicy?.Name == "unless-stopped")
            #expect(inspect.HostConfig?.Mounts?.first?.Source == "tenantctl_db_data")
            #expect(inspect.NetworkSettings?.Ports?["9042/tcp"]??.contains { $0.HostPort == String(port) } == true)
            #expect(inspect.NetworkSettings?.Networks?["tenantctl_shared"] != nil)
            let network = try await client.inspectNetwork(id: "tenantctl_shared")
            #expect(network.Labels == [Labels.role: "network"])
            let volume = try await client.inspectVolume(name: "tenantctl_db_data")
            #expect(volume.Labels == [Labels.role: "data"])

            // Re-run: nothing changes (same container id).
            let again = await tenantctl(["db", "start"])
            #expect(again.code == 0, "\(again.err)")
            #expect(again.out.contains("already running"))
            #expect(try await client.inspectContainer(id: "tenantctl_db").Id == inspect.Id)

            // Two providers on the shared database: each stays on its own network, the database
            // joins both, so each reaches tenantctl_db but never the other provider.
            for id in [provider, other] {
                let providerRun = await tenantctl(["start-provider", id, "--image", image, "--store", "cassandra", "--no-wait"])
                #expect(providerRun.code == 0, "\(providerRun.err)")
                for name in ["remote_server_\(id)", "admin_panel_\(id)"] {
                    let container = try await client.inspectContainer(id: name)
                    #expect(container.State.Running == true, "\(name)")
                    #expect(Set(container.NetworkSettings?.Networks?.keys.map { $0 } ?? []) == ["tenantctl_\(id)"], "\(name)")
                    #expect(container.Config?.Labels?["io.tenantctl.store"] == "cassandra://tenantctl_db:9042/\(id)")
                }
            }
            let database = try await client.inspectContainer(id: "tenantctl_db")
            #expect(Set(database.NetworkSettings?.Networks?.keys.map { $0 } ?? []) == ["tenantctl_shared", "tenantctl_\(provider)", "tenantctl_\(other)"])
            // The fixture listens on 6000 in every container; bash's /dev/tcp makes the connection.
            func reaches(_ from: String, _ target: String) async throws -> Bool {
                let probe = try await runProgram("/usr/bin/docker", ["exec", from, "timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/\(target)/6000"], timeout: .seconds(30))
                return probe.code == 0
            }
            // A positive check waits for the listener (a container just started or recreated);
            // a negative one is a single try, which must fail.
            func soonReaches(_ from: String, _ target: String) async throws -> Bool {
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    if try await reaches(from, target) { return true }
                    try await Task.sleep(for: .milliseconds(500))
                }
                return false
            }
            let otherIP = try #require(try await client.inspectContainer(id: "remote_server_\(other)").NetworkSettings?.Networks?["tenantctl_\(other)"]?.IPAddress)
            #expect(try await soonReaches("admin_panel_\(provider)", "tenantctl_db"), "a provider reaches the shared database by its name")
            #expect(try await soonReaches("admin_panel_\(provider)", "remote_server_\(provider)"), "and its own ingest server")
            #expect(!(try await reaches("admin_panel_\(provider)", "remote_server_\(other)")), "another provider's container does not resolve")
            #expect(!(try await reaches("admin_panel_\(provider)", otherIP)), "nor answer at its address")

            // db start after the container was recreated (new port) joins the providers' networks again.
            let moved = await tenantctl(["db", "start", "--port", String(port + 1)])
            #expect(moved.code == 0, "\(moved.err)")
            #expect(Set(try await client.inspectContainer(id: "tenantctl_db").NetworkSettings?.Networks?.keys.map { $0 } ?? [])
                == ["tenantctl_shared", "tenantctl_\(provider)", "tenantctl_\(other)"])
            #expect(try await soonReaches("admin_panel_\(other)", "tenantctl_db"))

            // Removing a provider detaches the database from its network and removes it.
            for id in [provider, other] {
                let removed = await tenantctl(["remove", id])
                #expect(removed.code == 0, "\(removed.err)")
                #expect(removed.out.contains("kept keyspace \(id)"))
                #expect((try? await client.inspectNetwork(id: "tenantctl_\(id)")) == nil)
            }

            // Stop keeps container, volume and network; status says so; start brings it back.
            let stop = await tenantctl(["db", "stop", "--grace", "1"])
            #expect(stop.code == 0, "\(stop.err)")
            #expect(try await client.inspectContainer(id: "tenantctl_db").State.Running == false)
            #expect((try? await client.inspectVolume(name: "tenantctl_db_data")) != nil)
            let status = await tenantctl(["db", "status", "--json"])
            #expect(status.code == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
            #expect(json["state"] as? String == "exited")
            #expect(json["port"] as? Int == port + 1)
            let stoppedID = try await client.inspectContainer(id: "tenantctl_db").Id
            let restart = await tenantctl(["db", "start"])
            #expect(restart.code == 0, "\(restart.err)")
            #expect(try await client.inspectContainer(id: "tenantctl_db").Id == stoppedID)
            #expect(try await client.inspectContainer(id: "tenantctl_db").State.Running == true)
        } catch {
            _ = await tenantctl(["remove", provider, "--yes"])
            _ = await tenantctl(["remove", other, "--yes"])
            await removeSecretsVolumes([provider, other])
            await removeSharedDatabase(client)
            throw error
        }
        _ = await tenantctl(["remove", provider, "--yes"])
        _ = await tenantctl(["remove", other, "--yes"])
        await removeSecretsVolumes([provider, other])
        await removeSharedDatabase(client)
        #expect((try? await client.inspectNetwork(id: "tenantctl_shared")) == nil)
    }
}
