import DockerAPI
import DockerClient
import Foundation
import Logging
import TenantModel
import TenantPlan

/// `diff` and `apply -f FILE` on a swarm: every listed provider as `start-provider` runs it
/// there (``SwarmProvisioner``), the fleet's unlisted ones removed with `--prune` as `remove`
/// does (``SwarmOperations``). What a provider needs is found by the same run made dry
/// (``RecordingTransport``, as `plan` does), so `diff` and `apply` cannot disagree.
struct SwarmFleet: Sendable {
    let client: DockerClient
    let logger: Logger
    let swarm: SwarmInfo
    /// Providers converged at once.
    var parallel = 4

    private var operations: SwarmOperations { SwarmOperations(client: client, logger: logger, localNode: swarm.NodeID) }

    /// The change for every listed provider (file order), then the removals when pruning.
    func changes(_ file: FleetFile, prune: Bool) async throws -> [FleetChange] {
        let services: [Service]
        do { services = try await client.listServices(labels: [Labels.provider]) } catch { throw TenantCtlError("listing the swarm's services", error) }
        var byProvider: [String: [Service]] = [:]
        for service in services where SwarmProvisioner.role(of: service) != nil {
            if let id = service.Spec.Labels?[Labels.provider] { byProvider[id, default: []].append(service) }
        }
        var changes: [FleetChange] = []
        for provider in file.providers {
            let request = try provider.request(fleet: file.name)
            changes.append(try await change(request, replication: provider.replication, existing: byProvider[provider.id.rawValue] ?? []))
        }
        guard prune else { return changes }
        let listed = Set(file.providers.map(\.id.rawValue))
        let pruned = Set(services.filter { $0.Spec.Labels?[Labels.fleet] == file.name }.compactMap { $0.Spec.Labels?[Labels.provider] })
        for id in pruned.subtracting(listed).sorted() {
            guard let provider = try? ProviderID(id) else { continue }
            let existing = byProvider[id] ?? []
            changes.append(FleetChange(
                provider: provider, action: .remove, details: ["not in the file"], gatewayPort: Self.port(of: .ingest, existing),
                adminPort: Self.port(of: .admin, existing), request: nil, replication: nil))
        }
        return changes
    }

    /// One provider: created when it has no service, else the dry run's calls say whether
    /// it is as asked (none), stopped or incomplete (repair) or changed (update).
    func change(_ request: ProvisionRequest, replication: String?, existing: [Service]) async throws -> FleetChange {
        var change = FleetChange(
            provider: request.id, action: .create, details: [], gatewayPort: request.gatewayPort ?? Self.port(of: .ingest, existing),
            adminPort: request.adminPort ?? Self.port(of: .admin, existing), request: request, replication: replication)
        guard !existing.isEmpty else { return change }
        let dryRun = DryRun(against: client, logger: logger, placeholderHash: "<planned>")
        let outcome = try await dryRun.swarmProvisioner.start(request)
        let steps = outcome.result.changes
        if steps.isEmpty {
            change.action = .unchanged
        } else if existing.count < 2 || existing.contains(where: { $0.Spec.replicas == 0 }) {
            // A server service missing or scaled to 0 (`stop`): brought back as it was asked.
            change.action = .repair
            change.details = steps
        } else {
            change.action = .update
            change.details = Self.differences(existing, planned: try await Self.plannedSpecs(dryRun.recorder))
            if change.details.isEmpty { change.details = steps }
        }
        return change
    }

    /// The service specs the dry run would have sent (`POST /services/ID/update`).
    static func plannedSpecs(_ recorder: RecordingTransport) async throws -> [ServiceSpec] {
        try await recorder.recorded().filter { $0.method == "POST" && $0.path.contains("/services/") && $0.path.contains("/update") }
            .compactMap { request in try request.body.map { try JSONDecoder().decode(ServiceSpec.self, from: JSONEncoder().encode($0)) } }
    }

    /// The settings in which the services differ from what the file asks, as the engine's
    /// `diff` names them; secrets by name only, never a value.
    static func differences(_ existing: [Service], planned: [ServiceSpec]) -> [String] {
        var differences: [String] = []
        func note(_ key: String, _ old: String?, _ new: String?) {
            let line = "\(key): \(old ?? "none") -> \(new ?? "none")"
            if old != new, !differences.contains(line) { differences.append(line) }
        }
        for spec in planned {
            guard let current = existing.first(where: { $0.Spec.Name == spec.Name })?.Spec else { continue }
            let role = spec.Labels?[Labels.role]
            note("image", current.TaskTemplate.ContainerSpec.Image, spec.TaskTemplate.ContainerSpec.Image)
            note(role == Role.ingest.rawValue ? FleetFile.Key.gatewayPort.rawValue : FleetFile.Key.adminPort.rawValue,
                 current.Labels?[PlanLabels.hostPort], spec.Labels?[PlanLabels.hostPort])
            note("store", current.Labels?[PlanLabels.store] ?? "sqlite", spec.Labels?[PlanLabels.store] ?? "sqlite")
            note("memory", current.TaskTemplate.Resources?.Limits?.MemoryBytes.map(FleetReconciler.size), spec.TaskTemplate.Resources?.Limits?.MemoryBytes.map(FleetReconciler.size))
            note("cpus", current.TaskTemplate.Resources?.Limits?.NanoCPUs.map(FleetReconciler.cpus), spec.TaskTemplate.Resources?.Limits?.NanoCPUs.map(FleetReconciler.cpus))
            note("fleet", current.Labels?[Labels.fleet], spec.Labels?[Labels.fleet])
            for line in PlanLabels.secretChanges(from: current.Labels ?? [:], to: spec.Labels ?? [:]) where !differences.contains(line) {
                differences.append(line)
            }
        }
        return differences
    }

    /// What `apply` did, and the tasks each changed provider had before (readiness waits for others).
    struct Applied: Sendable {
        var results: [FleetResult]
        var previousTasks: [String: Set<String>]
    }

    /// Applies `file` under the host lock; ports and subnets of new providers are chosen for
    /// the whole batch before the parallel runs, so no two of them pick the same one.
    func apply(_ file: FleetFile, prune: Bool, purgeData: Bool) async throws -> Applied {
        let first = try await changes(file, prune: prune)
        guard first.contains(where: { $0.action != .unchanged }) else { return Applied(results: first.map(FleetConverger.unchanged), previousTasks: [:]) }
        let lock = try await ProviderLock.acquire()
        defer { lock.release() }
        // Another run may have acted before the lock was ours.
        let changes = try await changes(file, prune: prune)
        var used = try await SwarmProvisioner(client: client, logger: logger).publishedPorts(excluding: nil)
        // Subnets too: two overlays given one subnet leave the second one's tasks unallocated.
        var taken = try await Provisioner(client: client, logger: logger).takenSubnets()
        var requests: [String: ProvisionRequest] = [:]
        for change in changes where change.action == .create {
            guard var request = change.request else { continue }
            if request.subnet == nil {
                request.subnet = try Provisioner.firstFreeSubnet(in: request.subnetPool, avoiding: taken)
            }
            taken.append(request.subnet!)
            for port in [request.gatewayPort, request.adminPort].compactMap({ $0 }) { used.insert(port) }
            if request.gatewayPort == nil { request.gatewayPort = try SwarmProvisioner.choose(from: Provisioner.firstGatewayPort, used: used, what: "gateway") }
            used.insert(request.gatewayPort!)
            if request.adminPort == nil { request.adminPort = try SwarmProvisioner.choose(from: Provisioner.firstAdminPort, used: used, what: "admin") }
            used.insert(request.adminPort!)
            requests[change.provider.rawValue] = request
        }
        var provisioner = SwarmProvisioner(client: client, logger: logger)
        provisioner.useLock = false  // held here, for all of them
        let runner = provisioner
        let chosen = requests
        let jobs = changes.filter { $0.action != .unchanged }
        let done = await FleetConverger.boundedMap(jobs, limit: parallel) { change -> (FleetResult, Set<String>) in
            if change.action == .remove { return (await remove(change, purgeData: purgeData), []) }
            return await converge(change, request: chosen[change.provider.rawValue] ?? change.request!, provisioner: runner)
        }
        let byProvider = Dictionary(done.map { ($0.0.provider, $0.0) }, uniquingKeysWith: { first, _ in first })
        return Applied(
            results: changes.map { byProvider[$0.provider.rawValue] ?? FleetConverger.unchanged($0) },
            previousTasks: Dictionary(done.map { ($0.0.provider, $0.1) }, uniquingKeysWith: { first, _ in first }))
    }

    /// One provider brought to its request; its result and the tasks it had before.
    func converge(_ change: FleetChange, request: ProvisionRequest, provisioner: SwarmProvisioner) async -> (FleetResult, Set<String>) {
        var result = FleetResult(
            provider: change.provider.rawValue, action: change.action.rawValue, ok: false, gatewayPort: request.gatewayPort, adminPort: request.adminPort)
        do {
            let outcome = try await provisioner.start(request)
            if outcome.result.changes.isEmpty { result.action = FleetAction.unchanged.rawValue }
            result.ok = true
            result.gatewayPort = outcome.result.gatewayPort
            result.adminPort = outcome.result.adminPort
            result.adminPassword = outcome.result.adminPassword
            result.adminPasswordIfNoAccount = outcome.result.adminPasswordIfNoAccount
            return (result, outcome.previousTasks)
        } catch {
            result.error = FleetConverger.oneLine(error)
            return (result, [])
        }
    }

    /// One pruned provider removed as `remove` does on a swarm (data kept unless `purgeData`;
    /// a volume on another node is named as left behind).
    func remove(_ change: FleetChange, purgeData: Bool) async -> FleetResult {
        var result = FleetResult(
            provider: change.provider.rawValue, action: FleetAction.remove.rawValue, ok: false, gatewayPort: change.gatewayPort, adminPort: change.adminPort)
        do {
            let removed = try await operations.remove(change.provider, purgeData: purgeData) { _, _ in }
            result.ok = removed.leftBehind.isEmpty
            if !removed.leftBehind.isEmpty { result.error = "data left behind: " + removed.leftBehind.joined(separator: ", ") }
        } catch {
            result.error = FleetConverger.oneLine(error)
        }
        return result
    }

    /// Waits, all at once and after the lock is released, until the tasks of every provider
    /// this run changed run (and, with `probe`, both servers answer), as `start-provider` does.
    func waitUntilReady(_ applied: Applied, probe: Bool, timeout: Duration) async -> [FleetResult] {
        let readiness = SwarmReadiness(client: client)
        let changed: Set<String> = [FleetAction.create.rawValue, FleetAction.update.rawValue, FleetAction.repair.rawValue]
        return await FleetConverger.boundedMap(applied.results, limit: 256) { result in
            guard result.ok, changed.contains(result.action), let gateway = result.gatewayPort, let admin = result.adminPort,
                let provider = try? ProviderID(result.provider)
            else { return result }
            var waited = result
            do {
                _ = try await readiness.wait(
                    provider: provider, gatewayPort: gateway, adminPort: admin, previous: applied.previousTasks[result.provider] ?? [], probe: probe, timeout: timeout)
                waited.ready = probe ? true : nil
            } catch {
                waited.ready = false
                waited.ok = false
                waited.error = FleetConverger.oneLine(error)
            }
            return waited
        }
    }

    static func port(of role: Role, _ services: [Service]) -> Int? {
        services.first { SwarmProvisioner.role(of: $0) == role }?.Spec.Labels?[PlanLabels.hostPort].flatMap(Int.init)
    }
}
