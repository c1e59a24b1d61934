import DockerAPI
import TenantModel
import Testing

@testable import TenantPlan

@Suite struct SharedDatabasePlanTests {
    @Test func objectsCarryRoleLabelsAndNoProvider() {
        let plan = SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:4.1", hostPort: 9142))
        #expect(plan.network.Name == "tenantctl_shared" && plan.network.Labels == [Labels.role: "network"])
        #expect(plan.volume.Name == "tenantctl_db_data" && plan.volume.Labels == [Labels.role: "data"])
        #expect(plan.container.Labels?[Labels.role] == "db")
        #expect(plan.container.Labels?[Labels.provider] == nil)
        #expect(plan.container.Labels?[Labels.configHash] == plan.configHash)
        #expect(plan.container.HostConfig?.PortBindings == ["9042/tcp": [PortBinding(HostIp: "127.0.0.1", HostPort: "9142")]])
        #expect(plan.container.HostConfig?.RestartPolicy?.Name == "unless-stopped")
        #expect(plan.container.HostConfig?.Mounts?.first?.Target == "/var/lib/cassandra")
        #expect(plan.container.NetworkingConfig?.EndpointsConfig?.keys.sorted() == ["tenantctl_shared"])
    }

    @Test func hashFollowsImageAndPort() {
        let base = SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:4.1")).configHash
        #expect(SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:4.1")).configHash == base)
        #expect(SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:5.0")).configHash != base)
        #expect(SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:4.1", hostPort: 9043)).configHash != base)
    }

    @Test func actionsCreateStartOrReplaceOnlyWhatDiffers() {
        let plan = SharedDatabasePlan(SharedDatabaseSettings(image: "cassandra:4.1"))
        func observed(_ state: String, hash: String?) -> ObservedContainer {
            ObservedContainer(name: "tenantctl_db", id: "abc", role: .db, state: state, configHash: hash, hostPort: 9042)
        }
        #expect(plan.actions(container: nil, networkExists: false, volumeExists: false) == [.createNetwork, .createVolume, .createContainer, .startContainer])
        #expect(plan.actions(container: observed("running", hash: plan.configHash), networkExists: true, volumeExists: true).isEmpty)
        #expect(plan.actions(container: observed("exited", hash: plan.configHash), networkExists: true, volumeExists: true) == [.startContainer])
        #expect(
            plan.actions(container: observed("running", hash: "old"), networkExists: true, volumeExists: true)
                == [.replaceContainer(id: "abc"), .createContainer, .startContainer])
    }

    @Test func sharedCassandraProvidersStayOnTheirOwnNetwork() throws {
        let settings = ProviderSettings(id: try ProviderID("acme"), image: "i", gatewayPort: 6001, adminPort: 8081, store: .sharedCassandra)
        let plan = Planner.plan(settings)
        #expect(plan.volume == nil)
        for container in plan.containers {
            #expect(container.request.HostConfig?.NetworkMode == "tenantctl_acme")
            #expect(container.request.NetworkingConfig?.EndpointsConfig?.keys.sorted() == ["tenantctl_acme"])
            #expect(container.request.Labels?["io.tenantctl.shared-network"] == "tenantctl_shared")
            #expect(container.request.Env?.contains("TENANT_STORE=cassandra://tenantctl_db:9042/acme") == true)
        }
    }
}
