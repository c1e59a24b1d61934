import DockerAPI
import Foundation
import TenantTestSupport
import Testing

@testable import TenantCommands

/// How `GET /info` decides between containers and services, and what a swarm node that
/// cannot take service calls is told.
@Suite struct SwarmDetectionTests {
    let manager = SwarmInfo(NodeID: "n1", NodeAddr: "10.0.0.1", LocalNodeState: "active", ControlAvailable: true, Nodes: 3, Managers: 1)
    let worker = SwarmInfo(
        NodeID: "n2", NodeAddr: "10.0.0.2", LocalNodeState: "active", ControlAvailable: false,
        RemoteManagers: [RemoteManager(NodeID: "n1", Addr: "10.0.0.1:2377")])

    @Test func aWorkerIsRefusedInOneLineNamingTheManagers() async {
        let fake = FakeDockerTransport()
        fake.setSwarm(worker)
        for arguments in [["list"], ["start-provider", "acme"], ["stop", "acme"], ["backup", "acme", "--output", "/tmp/x.tar"]] {
            let run = await tenantctl(arguments, transport: fake)
            #expect(run.code == ExitStatus.usage, "\(arguments)")
            #expect(run.err == "tenantctl: error: the engine at fake://engine is a swarm worker: point --docker-host or DOCKER_HOST at a swarm manager (managers: 10.0.0.1), or pass --orchestrator engine to manage this engine's own containers\n", "\(run.err)")
        }
        #expect(fake.containers.isEmpty && fake.networks.isEmpty)
    }

    @Test func engineOverridesTheDetectionWithoutAskingTheEngine() async {
        let fake = FakeDockerTransport()
        fake.setSwarm(worker)
        let run = await tenantctl(["list", "--orchestrator", "engine"], transport: fake)
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out == "no providers\n")
        #expect(!fake.requests.contains { $0.path.hasSuffix("/info") })
    }

    @Test func swarmOnAnEngineOutsideASwarmIsRefused() async {
        let fake = FakeDockerTransport()
        let run = await tenantctl(["list", "--orchestrator", "swarm"], transport: fake)
        #expect(run.code == ExitStatus.usage)
        #expect(run.err.contains("is not a swarm manager (swarm state: inactive)"), "\(run.err)")
    }

    @Test func commandsWithoutASwarmPathRefuseOnAManager() async {
        let fake = FakeDockerTransport()
        fake.setSwarm(manager)
        let run = await tenantctl(["top", "acme"], transport: fake)
        #expect(run.code == ExitStatus.usage)
        #expect(run.err.contains("this command does not run on a swarm yet"), "\(run.err)")
        #expect(run.err.split(separator: "\n").count == 1)
    }

    @Test func anEngineThatDoesNotAnswerInfoIsAPlainEngine() async {
        let fake = FakeDockerTransport()
        fake.fail(FakeDockerTransport.Failure(method: "GET", pathContains: "/info", status: 404, message: "page not found"))
        let run = await tenantctl(["list"], transport: fake)
        #expect(run.code == 0, "\(run.err)")
    }
}
