import DockerAPI
import DockerClient
import TenantModel
import TenantPlan

/// What `apply` does (or did) to one provider.
public enum FleetAction: String, Sendable, Codable, CaseIterable {
    /// The provider has no container: everything is created.
    case create
    /// Settings changed: the affected containers are recreated.
    case update
    /// Settings as asked, but a container is missing or stopped.
    case repair
    /// Running as asked: untouched.
    case unchanged
    /// Carries the fleet's label but is no longer listed (`--prune`).
    case remove
}

/// One provider's pending change.
public struct FleetChange: Sendable {
    /// Provider id.
    public var provider: ProviderID
    /// What is to be done.
    public var action: FleetAction
    /// For `update`, the changed settings (`image: a -> b`); for `repair`, the steps.
    public var details: [String]
    /// Gateway port it will have, when known before apply (given or kept).
    public var gatewayPort: Int?
    /// Admin port it will have, when known before apply.
    public var adminPort: Int?
    /// The request that converges it; nil for `remove`.
    public var request: ProvisionRequest?
    /// Replication of a new Cassandra keyspace, from the file.
    public var replication: String?
}

/// The engine as one fleet run sees it: one list of every container.
struct FleetObservation: Sendable {
    /// Every container on the engine (ports of non-tenantctl ones matter for port choice).
    var all: [ContainerSummary]
    /// Each provider's server containers, as the provisioner observes them.
    var byProvider: [String: [ObservedContainer]]
    /// Providers with a container, network or (with purge) volume labelled with the fleet.
    var fleetProviders: Set<String>

    /// Lists containers (one call) and, for pruning, the fleet's networks and volumes.
    static func observe(client: DockerClient, fleet: String, prune: Bool, purgeData: Bool) async throws -> FleetObservation {
        let all: [ContainerSummary]
        do { all = try await client.listContainers(all: true) } catch { throw TenantCtlError("listing containers", error) }
        var byProvider: [String: [ObservedContainer]] = [:]
        var fleetProviders: Set<String> = []
        for summary in all {
            guard let provider = summary.Labels?[Labels.provider] else { continue }
            if summary.Labels?[Labels.fleet] == fleet { fleetProviders.insert(provider) }
            let observed = ObservedContainer(summary)
            // The same filter as Provisioner.observe: servers only, not a set-aside replacement.
            guard observed.role == .ingest || observed.role == .admin, !observed.name.hasSuffix(Provisioner.replacedSuffix) else { continue }
            byProvider[provider, default: []].append(observed)
        }
        if prune {
            let label = ["\(Labels.fleet)=\(fleet)"]
            do {
                // A provider pruned earlier keeps its volume (data kept); only --purge-data looks at volumes.
                for network in try await client.listNetworks(labels: label) { if let id = network.Labels?[Labels.provider] { fleetProviders.insert(id) } }
                if purgeData {
                    for volume in try await client.listVolumes(labels: label) { if let id = volume.Labels?[Labels.provider] { fleetProviders.insert(id) } }
                }
            } catch {
                throw TenantCtlError("listing objects of fleet \(fleet)", error)
            }
        }
        return FleetObservation(all: all, byProvider: byProvider, fleetProviders: fleetProviders)
    }
}

/// Compares a fleet file with the engine: the per-provider actions `diff` prints and
/// `apply` carries out. The rules are the provisioner's (config hash, kept ports); this
/// only names them per provider.
struct FleetReconciler: Sendable {
    let client: DockerClient
    let provisioner: Provisioner

    init(client: DockerClient, provisioner: Provisioner) {
        self.client = client
        self.provisioner = provisioner
    }

    /// The change for every listed provider (file order), then the removals when pruning.
    func changes(_ fleet: FleetFile, observation: FleetObservation, prune: Bool) async throws -> [FleetChange] {
        var changes: [FleetChange] = []
        for provider in fleet.providers {
            let request = try provider.request(fleet: fleet.name)
            changes.append(try await change(request, replication: provider.replication, observed: observation.byProvider[provider.id.rawValue] ?? []))
        }
        if prune {
            let listed = Set(fleet.providers.map(\.id.rawValue))
            for id in observation.fleetProviders.subtracting(listed).sorted() {
                guard let provider = try? ProviderID(id) else { continue }
                let observed = observation.byProvider[id] ?? []
                changes.append(
                    FleetChange(
                        provider: provider, action: .remove, details: ["not in the file"], gatewayPort: observed.first { $0.role == .ingest }?.hostPort,
                        adminPort: observed.first { $0.role == .admin }?.hostPort, request: nil, replication: nil))
            }
        }
        return changes
    }

    func change(_ request: ProvisionRequest, replication: String?, observed: [ObservedContainer]) async throws -> FleetChange {
        var change = FleetChange(
            provider: request.id, action: .unchanged, details: [], gatewayPort: request.gatewayPort ?? observed.first { $0.role == .ingest }?.hostPort,
            adminPort: request.adminPort ?? observed.first { $0.role == .admin }?.hostPort, request: request, replication: replication)
        if observed.isEmpty {
            change.action = .create
            return change
        }
        // A role whose port is neither given nor kept has no container: it is created with
        // a chosen port, so the placeholder never reaches a hash comparison.
        let settings = provisioner.settingsWithoutChoosing(request, observed: observed)
            ?? provisioner.settingsWithoutChoosing(request.withPorts(gateway: change.gatewayPort ?? 0, admin: change.adminPort ?? 0), observed: observed)!
        let plan = Planner.plan(settings)
        var changed: [String] = []
        var repairs: [String] = []
        for planned in plan.containers {
            guard let existing = observed.first(where: { $0.role == planned.role }) ?? observed.first(where: { $0.name == planned.name }) else {
                repairs.append("create container \(planned.name)")
                continue
            }
            if existing.configHash != planned.configHash || existing.name != planned.name {
                for difference in try await differences(existing, planned: planned, settings: settings) where !changed.contains(difference) {
                    changed.append(difference)
                }
            } else if !existing.isRunning {
                repairs.append("start container \(planned.name)")
            }
        }
        if !changed.isEmpty {
            change.action = .update
            change.details = changed
        } else if !repairs.isEmpty {
            change.action = .repair
            change.details = repairs
        }
        return change
    }

    /// The settings in which `existing` differs from its plan, read from its labels and
    /// inspect (never its environment). A hash that differs for another reason (a newer
    /// tenantctl plans the container differently) is named as such.
    func differences(_ existing: ObservedContainer, planned: ContainerPlan, settings: ProviderSettings) async throws -> [String] {
        let inspect: ContainerInspect
        do { inspect = try await client.inspectContainer(id: existing.id) } catch { throw TenantCtlError("inspecting \(existing.name)", error) }
        let labels = inspect.Config?.Labels ?? [:]
        var differences: [String] = []
        func note(_ key: String, _ old: String?, _ new: String?) {
            if old != new { differences.append("\(key): \(old ?? "none") -> \(new ?? "none")") }
        }
        note("image", inspect.Config?.Image, settings.image)
        note(planned.role == .ingest ? FleetFile.Key.gatewayPort.rawValue : FleetFile.Key.adminPort.rawValue, existing.hostPort.map(String.init), String(planned.hostPort))
        note("store", labels[PlanLabels.store] ?? "sqlite", planned.request.Labels?[PlanLabels.store] ?? "sqlite")
        note("memory", inspect.HostConfig?.Memory.map(Self.size), settings.memoryBytes.map(Self.size))
        note("cpus", inspect.HostConfig?.NanoCpus.map(Self.cpus), settings.nanoCPUs.map(Self.cpus))
        note("fleet", labels[Labels.fleet], settings.fleet)
        let plannedLabels = planned.request.Labels ?? [:]
        if planned.role == .ingest { note(FleetFile.Key.gatewayTLS.rawValue, labels[PlanLabels.gatewayTLS] ?? "off", plannedLabels[PlanLabels.gatewayTLS] ?? "off") }
        differences += PlanLabels.secretChanges(from: labels, to: plannedLabels)
        if differences.isEmpty { differences.append("container settings of this tenantctl version") }
        return differences
    }

    /// Bytes as `--memory` would be written (`512m`, `1g`).
    static func size(_ bytes: Int64) -> String {
        let mib: Int64 = 1024 * 1024
        if bytes % (1024 * mib) == 0 { return "\(bytes / (1024 * mib))g" }
        if bytes % mib == 0 { return "\(bytes / mib)m" }
        return String(bytes)
    }

    /// Nano-CPUs as `--cpus` would be written (`1`, `0.5`).
    static func cpus(_ nano: Int64) -> String {
        if nano % 1_000_000_000 == 0 { return String(nano / 1_000_000_000) }
        var text = String(Double(nano) / 1e9)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

extension ProvisionRequest {
    /// The request with both ports given.
    func withPorts(gateway: Int, admin: Int) -> ProvisionRequest {
        var request = self
        request.gatewayPort = gateway
        request.adminPort = admin
        return request
    }
}
