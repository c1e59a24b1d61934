import DockerAPI
import DockerClient
import Foundation
import TenantTestSupport
import Testing

@testable import TenantCommands

/// Requested ports are checked before anything changes: a run that would fail on a taken
/// port creates nothing and disturbs no running container.
@Suite struct PortConflictTests {
    @Test func anotherProvidersAdminPortIsRefusedBeforeTouchingTheRunningProvider() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(await tenantctl(["start-provider", "beta", "--image", image, "--gateway-port", "16003", "--admin-port", "18083", "--no-wait"], transport: fake).code == 0)
        fake.clearRequests()
        let result = await tenantctl(["start-provider", "acme", "--image", image, "--gateway-port", "18083", "--no-wait"], transport: fake)
        #expect(result.code == ExitStatus.conflict)
        #expect(result.err == "tenantctl: error: gateway port 18083 (--gateway-port) is held by the admin port of provider beta (admin_panel_beta)\n")
        #expect(fake.changingRequests.isEmpty)
        #expect(fake.containers.allSatisfy { $0.state == "running" })

        let plan = await tenantctl(["plan", "acme", "--image", image, "--gateway-port", "18083"], transport: fake)
        #expect(plan.code == ExitStatus.conflict)
        #expect(plan.err.contains("gateway port 18083 (--gateway-port) is held by the admin port of provider beta"))
        #expect(plan.out.isEmpty)
    }

    @Test func aStoppedProvidersReservedPortCountsAndNamesTheProvider() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(["start-provider", "beta", "--image", image, "--gateway-port", "16003", "--admin-port", "18083", "--no-wait"], transport: fake).code == 0)
        #expect(await tenantctl(["stop", "beta"], transport: fake).code == 0)
        fake.clearRequests()
        let result = await tenantctl(["start-provider", "acme", "--image", image, "--gateway-port", "16005", "--admin-port", "16003", "--no-wait"], transport: fake)
        #expect(result.code == ExitStatus.conflict)
        #expect(result.err.contains("admin port 16003 (--admin-port) is held by the gateway port of provider beta (remote_server_beta)"))
        #expect(fake.changingRequests.isEmpty)
        #expect(fake.networks.map(\.Name) == ["tenantctl_beta"])
    }

    @Test func aPortHeldByAProcessOnTheHostIsRefusedBeforeAnyObjectIsMade() async throws {
        let listener = try HeldPort()
        // As an engine on this host: tenantctl probes the host's ports for it.
        let fake = FakeDockerTransport(images: [image], endpoint: "unix:///var/run/fake-docker.sock")
        let result = await tenantctl(
            ["start-provider", "acme", "--image", image, "--gateway-port", String(listener.port), "--admin-port", "18081", "--no-wait"], transport: fake)
        #expect(result.code == ExitStatus.conflict)
        #expect(result.err == "tenantctl: error: gateway port \(listener.port) (--gateway-port) is in use on this host by a process that is not a Docker container\n")
        #expect(fake.changingRequests.isEmpty)
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.isEmpty)
    }

    @Test func theProvidersOwnPortsAreNoConflict() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setState(container: "admin_panel_acme", "exited")
        let repaired = await tenantctl(startArgs("acme"), transport: fake)
        #expect(repaired.code == 0, "\(repaired.err)")
        #expect(repaired.out.contains("start container admin_panel_acme"))
    }

    @Test func doctorNamesTheHolderOfAGivenPort() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let result = await tenantctl(["doctor", "--image", image, "--admin-port", "18081"], transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.out.contains("FAIL admin port: 18081 is held by the admin port of provider acme (admin_panel_acme)"))
    }
}
