import DockerAPI
import DockerClient
import TenantModel
import TenantPlan

/// Finding the shared Cassandra container and reaching it from this host.
enum SharedDatabase {
    /// The shared db container: role `db` and no provider label (the one-shot migration
    /// containers also have role `db`, but carry their provider).
    static func observe(_ client: DockerClient) async throws -> ContainerSummary? {
        let all: [ContainerSummary]
        do { all = try await client.listContainers(all: true, labels: ["\(Labels.role)=\(Role.db.rawValue)"]) } catch {
            throw TenantCtlError("listing the shared database container", error)
        }
        let shared = all.filter { $0.Labels?[Labels.provider] == nil }
        return shared.first { $0.name == SharedDatabaseNames.container } ?? shared.first
    }

    /// Where tenantctl (on the host) reaches the shared Cassandra: its published port on
    /// the loopback address. The containers' contact point (`tenantctl_db:9042`) resolves
    /// only on the shared network.
    static func hostContactPoint(_ client: DockerClient) async throws -> HostPort {
        guard let container = try await observe(client) else {
            throw TenantCtlError(
                "the shared Cassandra container \(SharedDatabaseNames.container) does not exist: run `tenantctl db start --image REF` first",
                exitCode: ExitStatus.notFound)
        }
        let observed = ObservedContainer(container)
        guard observed.isRunning else {
            throw TenantCtlError("the shared Cassandra container \(observed.name) is \(observed.state): run `tenantctl db start` first")
        }
        guard let port = observed.hostPort else {
            throw TenantCtlError("the shared Cassandra container \(observed.name) has no \(PlanLabels.hostPort) label")
        }
        return HostPort(host: "127.0.0.1", port: port)
    }

    /// Contact points reachable from this host for `store` (Cassandra only).
    static func hostContactPoints(for store: StoreChoice, client: () async throws -> DockerClient) async throws -> [HostPort] {
        switch store {
        case .cassandra(let hosts): return hosts
        case .sharedCassandra: return [try await hostContactPoint(try await client())]
        case .sqlite: return []
        }
    }
}
