import DockerAPI
import DockerClient
import TenantModel
import TenantPlan

/// One container as `list` and `status` show it. Environment is never included.
public struct ContainerView: Sendable, Codable, Hashable {
    /// Container name.
    public var name: String
    /// Container id.
    public var id: String
    /// Role label.
    public var role: String
    /// Engine state.
    public var state: String
    /// `healthy` or `unhealthy` from tenantctl's probe of a running server (see
    /// ``ProviderHealth``); nil when not probed or not running.
    public var health: String?
    /// Why the probe failed, when unhealthy.
    public var healthDetail: String?
    /// Image reference it was created from.
    public var image: String?
    /// The engine's status with uptime or exit (`Up 5 minutes`, `Exited (0) 2 hours ago`).
    public var status: String?
    /// Times the engine restarted it under its restart policy (from an inspection).
    public var restarts: Int?
    /// Where it is reached on the engine's host: the gateway address `HOST:PORT` of the ingest
    /// server, the admin URL `http://HOST:PORT/` of the admin app.
    public var address: String?
    /// Why a container is not running or not healthy (`status` only): its last log line, else
    /// its exit code.
    public var reason: String?
    /// On a swarm: the node running the service's task (host name), absent on a single engine.
    public var node: String? = nil
    /// On a swarm: the address of that node, where the server is probed and reached.
    public var nodeAddress: String? = nil
}

/// A secret of a provider as `status` shows it: its name and digest, never its value.
public struct SecretView: Sendable, Codable, Hashable {
    /// `cassandra-password`, `smtp-password`, `settings-key`...
    public var name: String
    /// First 8 hex digits of `sha256("tenantctl:<provider>:<name>:<value>")`; null for the
    /// settings key, which tenantctl generates in the volume and never reads back.
    public var sha256: String?
    /// Roles of the containers that read it.
    public var containers: [String]
}

/// One provider as `list --json` prints it.
public struct ProviderView: Sendable, Codable, Hashable {
    /// Provider id.
    public var provider: String
    /// `running` (all containers up), `stopped` (none up) or `partial`.
    public var state: String
    /// Published gateway port, if known.
    public var gatewayPort: Int?
    /// Published admin port, if known.
    public var adminPort: Int?
    /// Its containers, ordered by role then name.
    public var containers: [ContainerView]
    /// `sqlite`, `cassandra` or `cassandra-shared` (the container of `tenantctl db start`).
    public var store: String?
    /// The servers' image (the admin container's, else the ingest container's).
    public var image: String?
    /// Where gateways connect, `HOST:PORT`, as `start-provider` prints it.
    public var gatewayAddress: String?
    /// The admin panel, `http://HOST:PORT/`.
    public var adminURL: String?
}

/// Groups labelled containers into providers.
public enum ProviderInventory {
    /// Roles a complete provider runs.
    static let serverRoles: [Role] = [.ingest, .admin]

    /// Providers from `summaries` (containers carrying `io.tenantctl.provider`), sorted by
    /// id; addresses name `host`, the engine's host as clients reach it
    /// (``ServerProbe/host(forEngineEndpoint:)``).
    public static func providers(from summaries: [ContainerSummary], host: String = "127.0.0.1") -> [ProviderView] {
        var byProvider: [String: [ContainerSummary]] = [:]
        for summary in summaries {
            guard let provider = summary.Labels?[Labels.provider] else { continue }
            byProvider[provider, default: []].append(summary)
        }
        return byProvider.keys.sorted().map { view(provider: $0, summaries: byProvider[$0]!, host: host) }
    }

    /// One provider's view.
    public static func view(provider: String, summaries: [ContainerSummary], host: String = "127.0.0.1") -> ProviderView {
        let servers = summaries.filter { summary in serverRoles.contains { $0.rawValue == summary.Labels?[Labels.role] } }
        let running = servers.filter { ObservedContainer($0).isRunning }
        let state: String
        if running.count == serverRoles.count, servers.count == serverRoles.count {
            state = "running"
        } else if running.isEmpty {
            state = "stopped"
        } else {
            state = "partial"
        }
        let gatewayPort = port(summaries, role: .ingest, containerPort: ProviderNames.ingestContainerPort)
        let adminPort = port(summaries, role: .admin, containerPort: ProviderNames.adminContainerPort)
        let gatewayAddress = gatewayPort.map { Self.gatewayAddress(host: host, port: $0) }
        let adminURL = adminPort.map { Self.adminURL(host: host, port: $0) }
        let containers = summaries.map { summary in
            let role = summary.Labels?[Labels.role] ?? ""
            return ContainerView(
                name: summary.name, id: summary.Id, role: role, state: summary.State, health: nil, image: summary.Image,
                status: uptime(summary.Status), restarts: nil,
                address: role == Role.ingest.rawValue ? gatewayAddress : role == Role.admin.rawValue ? adminURL : nil)
        }.sorted { ($0.role, $0.name) < ($1.role, $1.name) }
        let serverLabels = servers.first { $0.Labels?[Labels.role] == Role.admin.rawValue }?.Labels ?? servers.first?.Labels
        return ProviderView(
            provider: provider, state: state, gatewayPort: gatewayPort, adminPort: adminPort, containers: containers,
            store: serverLabels.map(storeKind), image: containers.first { $0.role == Role.admin.rawValue }?.image ?? containers.first?.image,
            gatewayAddress: gatewayAddress, adminURL: adminURL)
    }

    /// Fills each container's restart count from one inspection each (the list call has
    /// none), at most `width` at a time.
    static func readRestarts(_ views: [ProviderView], client: DockerClient, width: Int = 8) async -> [ProviderView] {
        let ids = views.flatMap { $0.containers.map(\.id) }
        var found: [String: ContainerInspect] = [:]
        await withTaskGroup(of: (String, ContainerInspect?).self) { group in
            var next = ids.makeIterator()
            for _ in 0..<width {
                guard let id = next.next() else { break }
                group.addTask { (id, try? await client.inspectContainer(id: id)) }
            }
            for await (id, inspect) in group {
                found[id] = inspect
                if let id = next.next() { group.addTask { (id, try? await client.inspectContainer(id: id)) } }
            }
        }
        return views.map { view in
            var view = view
            for index in view.containers.indices {
                guard let inspect = found[view.containers[index].id] else { continue }
                view.containers[index].restarts = inspect.RestartCount
            }
            return view
        }
    }

    /// The store kind from a server container's labels.
    static func storeKind(_ labels: [String: String]) -> String {
        guard labels[PlanLabels.store] != nil else { return "sqlite" }
        return labels[PlanLabels.sharedNetwork] != nil ? "cassandra-shared" : "cassandra"
    }

    /// `HOST:PORT` for gateways (a v6 host in brackets).
    public static func gatewayAddress(host: String, port: Int) -> String { "\(bracketed(host)):\(port)" }

    /// `http://HOST:PORT/` for the admin panel.
    public static func adminURL(host: String, port: Int) -> String { "http://\(bracketed(host)):\(port)/" }

    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// The published port: from the engine when running, else from the host-port label.
    static func port(_ summaries: [ContainerSummary], role: Role, containerPort: Int) -> Int? {
        guard let summary = summaries.first(where: { $0.Labels?[Labels.role] == role.rawValue }) else { return nil }
        if let published = summary.Ports?.first(where: { $0.PrivatePort == containerPort && $0.PublicPort != nil })?.PublicPort {
            return published
        }
        return summary.Labels?[PlanLabels.hostPort].flatMap { Int($0) }
    }

    /// The status text without a health suffix (`Up 2 minutes`; containers made before
    /// tenantctl dropped the engine's health checks still carry one).
    static func uptime(_ status: String?) -> String? {
        guard var status else { return nil }
        for suffix in [" (healthy)", " (unhealthy)", " (health: starting)"] where status.hasSuffix(suffix) {
            status.removeLast(suffix.count)
        }
        return status.isEmpty ? nil : status
    }

    /// The secrets the containers in `summaries` read, from their digest labels, by name.
    public static func secrets(_ summaries: [ContainerSummary]) -> [SecretView] {
        var byName: [String: SecretView] = [:]
        for summary in summaries {
            let role = summary.Labels?[Labels.role] ?? ""
            for (key, value) in summary.Labels ?? [:] where key.hasPrefix(PlanLabels.secretPrefix) {
                let name = String(key.dropFirst(PlanLabels.secretPrefix.count))
                byName[name, default: SecretView(name: name, sha256: value.isEmpty ? nil : value, containers: [])].containers.append(role)
            }
        }
        return byName.keys.sorted().map { name in
            var view = byName[name]!
            view.containers.sort()
            return view
        }
    }
}
