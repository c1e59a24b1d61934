import DockerAPI
import DockerClient
import Foundation
import Logging
import TenantModel
import TenantPlan

/// `stop`, `restart`, `remove`, `list` and `status` on a swarm: the provider's services
/// scaled, forced to update, removed or shown with their tasks.
struct SwarmOperations: Sendable {
    let client: DockerClient
    let logger: Logger
    /// This manager's node id (a volume on it can be removed through this engine).
    let localNode: String?

    var provisioner: SwarmProvisioner { SwarmProvisioner(client: client, logger: logger) }

    /// Scales both services to 0 (data kept) and waits, with a bound, for their tasks to stop.
    /// Returns `(service, result)` pairs.
    func stop(_ id: ProviderID, grace: Int) async throws -> [(String, String)] {
        let services = try await provisioner.services(id)
        guard !services.isEmpty else { throw TenantCtlError.unknownProvider(id) }
        var outcomes: [(String, String)] = []
        for service in services.sorted(by: { $0.Spec.Name < $1.Spec.Name }) {
            if service.Spec.replicas == 0 {
                outcomes.append((service.Spec.Name, "already stopped"))
                continue
            }
            var spec = service.Spec
            spec.replicas = 0
            do { try await client.updateService(id: service.ID, version: service.Version?.Index ?? 0, spec) } catch {
                throw TenantCtlError("scaling \(service.Spec.Name) to 0", error)
            }
            outcomes.append((service.Spec.Name, "stopped"))
        }
        try await waitUntilNoTask(services.map(\.Spec.Name), bound: .seconds(Int64(grace) + 30))
        return outcomes
    }

    /// Bumps `ForceUpdate` (and scales a stopped service back to 1): the swarm replaces the
    /// tasks stop-first. Returns the tasks that existed before, for ``SwarmReadiness``.
    func restart(_ id: ProviderID, roles: Set<Role>) async throws -> (names: [String], previous: Set<String>) {
        let services = try await provisioner.services(id).filter { SwarmProvisioner.role(of: $0).map(roles.contains) ?? false }
        guard !services.isEmpty else { throw TenantCtlError.unknownProvider(id) }
        var previous = Set<String>()
        for service in services {
            previous.formUnion(try await client.listTasks(filters: ["service": [service.ID]]).map(\.ID))
            var spec = service.Spec
            spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1
            spec.replicas = 1
            do { try await client.updateService(id: service.ID, version: service.Version?.Index ?? 0, spec) } catch {
                throw TenantCtlError("restarting \(service.Spec.Name)", error)
            }
        }
        return (services.map(\.Spec.Name).sorted(), previous)
    }

    /// What `remove` did on a swarm.
    struct Removed: Codable, Sendable {
        var provider: String
        var services: [String]
        var networks: [String]
        var secrets: [String]
        var volumes: [String]
        var keptVolumes: [String]
        /// Data that could not be removed from here, each with its node: `VOLUME on node HOST (ADDR)`.
        var leftBehind: [String]
    }

    /// Removes services, network and secrets; with `purgeData` the SQLite volume when it is
    /// on this manager's node, else reports it left behind with its node (a remote node's
    /// volumes are not reachable through the manager's API).
    func remove(_ id: ProviderID, purgeData: Bool, confirm: (ProviderID, [String]) throws -> Void) async throws -> Removed {
        let label = "\(Labels.provider)=\(id)"
        let services = try await provisioner.services(id)
        let networks: [String]
        let secrets: [SwarmSecret]
        do {
            networks = try await client.listNetworks(labels: [label]).map(\.Name)
            secrets = try await client.listSecrets(labels: [label])
        } catch {
            throw TenantCtlError("listing objects of \(id)", error)
        }
        guard !services.isEmpty || !networks.isEmpty || !secrets.isEmpty else { throw TenantCtlError.unknownProvider(id) }
        let node = services.lazy.compactMap { $0.Spec.Labels?[SwarmPlanner.Label.node] }.first
        let volume = node == nil ? nil : ProviderNames.volume(id)
        var nodeName: String?
        if let node { nodeName = try await describeNode(node) }
        if purgeData, let volume { try confirm(id, ["\(volume) on node \(nodeName ?? "-")"]) }
        for service in services {
            do { try await client.removeService(id: service.ID) } catch DockerError.notFound {} catch {
                throw TenantCtlError("removing service \(service.Spec.Name)", error)
            }
        }
        // Tasks go away after their service; the network and secrets are free then.
        for network in networks {
            do { try await provisioner.removeNetwork(network, within: .seconds(30)) } catch {
                throw TenantCtlError("removing network \(network)", error)
            }
        }
        for secret in secrets { try? await client.removeSecret(id: secret.ID) }
        var removedVolumes: [String] = []
        var leftBehind: [String] = []
        if purgeData, let volume, let node {
            if node == localNode {
                if try await removeVolume(volume, within: .seconds(30)) { removedVolumes.append(volume) }
            } else {
                leftBehind.append("\(volume) on node \(nodeName ?? node): run `docker volume rm \(volume)` on that node")
            }
        }
        return Removed(
            provider: id.rawValue, services: services.map(\.Spec.Name).sorted(), networks: networks, secrets: secrets.map(\.Spec.Name).sorted(),
            volumes: removedVolumes, keptVolumes: purgeData ? [] : [volume].compactMap { $0 }.map { "\($0) on node \(nodeName ?? "-")" },
            leftBehind: leftBehind)
    }

    /// `HOSTNAME (ADDR)` of a node, or its id when it is gone.
    func describeNode(_ id: String) async throws -> String {
        guard let node = try? await client.listNodes().first(where: { $0.ID == id }) else { return id }
        return "\(node.Description?.Hostname ?? id) (\(node.Status?.Addr ?? "-"), \(node.Status?.State ?? "unknown"))"
    }

    /// True when removed, false when there was none (the tasks never ran).
    private func removeVolume(_ name: String, within bound: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + bound
        var pause = Duration.milliseconds(50)
        while true {
            do {
                try await client.removeVolume(name: name)
                return true
            } catch .notFound {
                return false
            } catch {
                // In use until the removed tasks' containers are gone.
                if ContinuousClock.now >= deadline { throw TenantCtlError("removing volume \(name)", error) }
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
    }

    /// Waits until none of `services`' tasks runs (bounded).
    private func waitUntilNoTask(_ services: [String], bound: Duration) async throws {
        let deadline = ContinuousClock.now + bound
        var pause = Duration.milliseconds(50)
        while true {
            let tasks = (try? await client.listTasks(filters: ["service": services])) ?? []
            let live = tasks.filter { ["running", "starting", "preparing", "assigned", "accepted", "ready", "pending", "new"].contains($0.Status?.State ?? "") }
            if live.isEmpty { return }
            if ContinuousClock.now >= deadline {
                throw TenantCtlError("tasks of \(services.joined(separator: ", ")) still \(live.compactMap { $0.Status?.State }.joined(separator: ", ")) after \(bound)", exitCode: ExitStatus.timeout)
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
    }

    // MARK: Views

    /// Every provider on the swarm (or one), as `list` shows them: three calls whatever the count.
    func views(only id: ProviderID? = nil) async throws -> [ProviderView] {
        let services: [Service]
        let tasks: [SwarmTask]
        let nodes: [SwarmNode]
        do {
            async let listedServices = client.listServices(labels: [id.map { "\(Labels.provider)=\($0)" } ?? Labels.provider])
            async let listedTasks = client.listTasks(filters: ["desired-state": ["running"]])
            async let listedNodes = client.listNodes()
            (services, tasks, nodes) = try await (listedServices, listedTasks, listedNodes)
        } catch {
            throw TenantCtlError("listing the swarm's services", error)
        }
        let nodesByID = Dictionary(uniqueKeysWithValues: nodes.map { ($0.ID, $0) })
        var byProvider: [String: [Service]] = [:]
        for service in services where SwarmProvisioner.role(of: service) != nil {
            guard let provider = service.Spec.Labels?[Labels.provider] else { continue }
            byProvider[provider, default: []].append(service)
        }
        return byProvider.keys.sorted().map { provider in
            view(provider, services: byProvider[provider]!, tasks: tasks, nodes: nodesByID)
        }
    }

    private func view(_ provider: String, services: [Service], tasks: [SwarmTask], nodes: [String: SwarmNode]) -> ProviderView {
        var containers: [ContainerView] = []
        var addresses: [Role: String] = [:]
        var ports: [Role: Int] = [:]
        for service in services {
            guard let role = SwarmProvisioner.role(of: service) else { continue }
            let port = service.Spec.Labels?[PlanLabels.hostPort].flatMap(Int.init)
            ports[role] = port
            let task = tasks.filter { $0.ServiceID == service.ID }.max { ($0.Status?.Timestamp ?? "") < ($1.Status?.Timestamp ?? "") }
            let node = task?.NodeID.flatMap { nodes[$0] }
            // Where the task runs; a pinned service's node when it has none (stopped, or its node is down).
            let pinned = service.Spec.Labels?[SwarmPlanner.Label.node].flatMap { nodes[$0] }
            let host = (node ?? pinned)?.Status?.Addr ?? "-"
            let address = port.map { role == .ingest ? ProviderInventory.gatewayAddress(host: host, port: $0) : ProviderInventory.adminURL(host: host, port: $0) }
            if let address { addresses[role] = address }
            let state: String
            if service.Spec.replicas == 0 {
                state = "stopped"
            } else {
                state = task?.Status?.State ?? "pending"
            }
            var reason = task?.Status?.Err.flatMap { $0.isEmpty ? nil : $0 }
            if let pinned, pinned.Status?.State != "ready", service.Spec.replicas != 0 {
                reason = "pinned to node \(pinned.Description?.Hostname ?? pinned.ID) (\(pinned.Status?.Addr ?? "-")), which is \(pinned.Status?.State ?? "unknown"): its data volume is there"
            }
            let nodeText = (node ?? pinned).map { "\($0.Description?.Hostname ?? $0.ID) (\($0.Status?.Addr ?? "-"), \($0.Status?.State ?? "unknown"))" }
            containers.append(
                ContainerView(
                    name: service.Spec.Name, id: service.ID, role: role.rawValue, state: state, health: nil,
                    image: service.Spec.TaskTemplate.ContainerSpec.Image.split(separator: "@").first.map(String.init),
                    status: task.map { "task \($0.Status?.State ?? "?") \($0.Status?.Message ?? "")".trimmingCharacters(in: .whitespaces) } ?? (state == "stopped" ? "scaled to 0" : "no task"),
                    restarts: nil, address: address, reason: reason, node: nodeText, nodeAddress: (node ?? pinned)?.Status?.Addr))
        }
        containers.sort { ($0.role, $0.name) < ($1.role, $1.name) }
        let running = containers.filter { $0.state == "running" }.count
        let state = running == 2 && containers.count == 2 ? "running" : containers.allSatisfy { $0.state == "stopped" } ? "stopped" : running == 0 && containers.allSatisfy({ $0.reason != nil }) ? "down" : "partial"
        let labels = services.first { SwarmProvisioner.role(of: $0) == .admin }?.Spec.Labels ?? services.first?.Spec.Labels ?? [:]
        return ProviderView(
            provider: provider, state: state, gatewayPort: ports[.ingest], adminPort: ports[.admin], containers: containers,
            store: ProviderInventory.storeKind(labels), image: containers.first?.image, gatewayAddress: addresses[.ingest], adminURL: addresses[.admin])
    }
}
