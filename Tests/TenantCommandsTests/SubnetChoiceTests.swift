import DockerAPI
import Foundation
import TenantTestSupport
import Testing

@testable import TenantCommands

/// Provider networks get their subnet from tenantctl's pool, never overlapping any network
/// on the engine, and existing networks keep theirs.
@Suite struct SubnetChoiceTests {
    private func createdSubnets(_ fake: FakeDockerTransport) -> [String] {
        fake.changingRequests.filter { $0.path.hasSuffix("/networks/create") }.compactMap { request in
            request.body.flatMap { try? JSONDecoder().decode(NetworkCreateRequest.self, from: $0) }?.IPAM?.Config?.first?.Subnet
        }
    }

    @Test func providersTakeConsecutiveSubnetsAroundForeignNetworks() async {
        let fake = FakeDockerTransport(images: [image])
        fake.addNetwork(name: "bridge", subnet: "172.17.0.0/16")
        fake.addNetwork(name: "someone_elses", subnet: "10.200.0.16/28")
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(await tenantctl(["start-provider", "beta", "--image", image, "--no-wait", "--gateway-port", "16002", "--admin-port", "18082"], transport: fake).code == 0)
        #expect(createdSubnets(fake) == ["10.200.0.0/28", "10.200.0.32/28"])
        #expect(fake.networks.first { $0.Name == "tenantctl_beta" }?.subnets == ["10.200.0.32/28"])
    }

    @Test func anExistingNetworkKeepsItsSubnet() async {
        let fake = FakeDockerTransport(images: [image])
        fake.addNetwork(name: "tenantctl_acme", subnet: "172.18.0.0/16", labels: ["io.tenantctl.provider": "acme", "io.tenantctl.role": "network"])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(createdSubnets(fake).isEmpty)
        #expect(fake.networks.first { $0.Name == "tenantctl_acme" }?.subnets == ["172.18.0.0/16"])
    }

    @Test func aGivenPoolIsUsedAndAFullOneFailsBeforeAnythingIsCreated() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--subnet-pool", "192.168.250.0/28"]), transport: fake).code == 0)
        #expect(createdSubnets(fake) == ["192.168.250.0/28"])
        fake.clearRequests()
        let full = await tenantctl(
            ["start-provider", "beta", "--image", image, "--no-wait", "--gateway-port", "16002", "--admin-port", "18082", "--subnet-pool", "192.168.250.0/28"],
            transport: fake)
        #expect(full.code == 1)
        #expect(full.err.contains("the subnet pool 192.168.250.0/28 in /28s is full (1 of 1 subnets in use)"))
        #expect(fake.changingRequests.isEmpty)
    }

    @Test(arguments: [["--subnet-pool", "10.200.0.1/16"], ["--subnet-pool", "10.200.0.0/30"], ["--subnet-pool", "fd00::/8"]])
    func badPoolsAreUsageErrors(extra: [String]) async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(startArgs("acme", extra), transport: fake)
        #expect(result.code == 64)
        #expect(result.err.contains("--subnet-pool"))
        #expect(fake.requests.isEmpty)
    }

    @Test func doctorReportsThePoolsUse() async {
        let fake = FakeDockerTransport(images: [image])
        fake.addNetwork(name: "x", subnet: "10.200.0.0/27")
        let result = await tenantctl(["doctor", "--image", image], transport: fake)
        #expect(result.out.contains("subnet pool: 10.200.0.0/16 in /28s: 2 of 4096 in use, next free 10.200.0.32/28"))
    }
}
