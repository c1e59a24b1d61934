import DockerAPI
import DockerClient
import Logging
import TenantModel
import TenantPlan

/// Brings the shared Cassandra objects to a ``SharedDatabasePlan``, undoing this run's work
/// when a step fails.
struct SharedDatabaseRunner: Sendable {
    let client: DockerClient
    let logger: Logger
    /// Take the host lock (so a concurrent `db start` cannot create the same objects).
    var useLock = true

    private enum Undo {
        case removeNetwork, removeVolume, removeContainer(String), stopContainer(String)
    }

    /// Returns the steps taken (empty when everything was already as planned).
    func start(_ plan: SharedDatabasePlan, existing: ContainerSummary?) async throws -> [String] {
        var observed = existing.map(ObservedContainer.init)
        // Fast path: running with the planned settings implies the network and volume exist.
        if let observed, observed.isRunning, observed.configHash == plan.configHash { return [] }
        let lock = useLock ? try await ProviderLock.acquire() : nil
        defer { lock?.release() }
        if lock != nil { observed = try await SharedDatabase.observe(client).map(ObservedContainer.init) }
        async let networkExists = objectExists { try await client.inspectNetwork(id: SharedDatabaseNames.network) }
        async let volumeExists = objectExists { try await client.inspectVolume(name: SharedDatabaseNames.volume) }
        let steps = plan.actions(container: observed, networkExists: try await networkExists, volumeExists: try await volumeExists)
        var undos: [Undo] = []
        var done: [String] = []
        var containerID = observed?.id ?? SharedDatabaseNames.container
        do {
            for step in steps {
                logger.debug("step", metadata: ["step": "\(step)"])
                do {
                    switch step {
                    case .createNetwork:
                        do {
                            _ = try await client.createNetwork(plan.network)
                            undos.append(.removeNetwork)
                        } catch DockerError.conflict {}  // created meanwhile: keep it
                    case .createVolume:
                        _ = try await client.createVolume(plan.volume)
                        undos.append(.removeVolume)
                    case .replaceContainer(let id):
                        // Cassandra flushes memtables on SIGTERM; give it time. The data stays in the volume.
                        do { try await client.stopContainer(id: id, timeout: 60) } catch DockerError.notModified {}
                        try await client.removeContainer(id: id, force: true)
                    case .createContainer:
                        containerID = try await client.createContainer(name: SharedDatabaseNames.container, plan.container).Id
                        undos.append(.removeContainer(containerID))
                        try await joinProviderNetworks(containerID)
                    case .startContainer:
                        let isNew = undos.contains { if case .removeContainer = $0 { true } else { false } }
                        do {
                            try await client.startContainer(id: containerID)
                            if !isNew { undos.append(.stopContainer(containerID)) }
                        } catch DockerError.notModified {}
                    }
                } catch {
                    throw TenantCtlError("\(step) failed", error)
                }
                done.append(step.description)
            }
        } catch {
            for undo in undos.reversed() {
                switch undo {
                case .removeNetwork: try? await client.removeNetwork(id: SharedDatabaseNames.network)
                case .removeVolume: try? await client.removeVolume(name: SharedDatabaseNames.volume)
                case .removeContainer(let id): try? await client.removeContainer(id: id, force: true)
                case .stopContainer(let id): try? await client.stopContainer(id: id)
                }
            }
            throw error
        }
        return done
    }

    /// A new database container joins the network of every provider that uses it (each
    /// provider's containers live on their own network only, so providers never see each other).
    private func joinProviderNetworks(_ containerID: String) async throws(DockerError) {
        let users = try await client.listContainers(all: true, labels: [PlanLabels.sharedNetwork])
        let providers = Set(users.compactMap { $0.Labels?[Labels.provider] }.compactMap { try? ProviderID($0) })
        for provider in providers.sorted(by: { $0.rawValue < $1.rawValue }) {
            do { try await client.connectNetwork(id: ProviderNames.network(provider), container: containerID) } catch DockerError.notFound {}
        }
    }
}
