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
    /// Health (`healthy`, `unhealthy`, `starting`), when inspected and known.
    public var health: String?
    /// Image reference it was created from.
    public var image: String?
    /// The engine's status with uptime or exit (`Up 5 minutes`, `Exited (0) 2 hours ago`),
    /// health left to ``health``.
    public var status: String?
    /// Times the engine restarted it under its restart policy (from an inspection).
    public var restarts: Int?
    /// Where it is published on the engine's host (`tcp://localhost:6001`, `http://localhost:8081`).
    public var url: String?
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
    /// The gateway protocol address, `tcp://HOST:PORT`.
    public var gatewayURL: String?
    /// The admin panel, `http://HOST:PORT`.
    public var adminURL: String?
}

/// Groups labelled containers into providers.
public enum ProviderInventory {
    /// Roles a complete provider runs.
    static let serverRoles: [Role] = [.ingest, .admin]

    /// Providers from `summaries` (containers carrying `io.tenantctl.provider`), sorted by
    /// id; published URLs name `host`, the engine's host as clients reach it.
    public static func providers(from summaries: [ContainerSummary], host: String = "localhost") -> [ProviderView] {
        var byProvider: [String: [ContainerSummary]] = [:]
        for summary in summaries {
            guard let provider = summary.Labels?[Labels.provider] else { continue }
            byProvider[provider, default: []].append(summary)
        }
        return byProvider.keys.sorted().map { view(provider: $0, summaries: byProvider[$0]!, host: host) }
    }

    /// One provider's view.
    public static func view(provider: String, summaries: [ContainerSummary], host: String = "localhost") -> ProviderView {
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
        let gatewayURL = gatewayPort.map { url("tcp", host, $0) }
        let adminURL = adminPort.map { url("http", host, $0) }
        let containers = summaries.map { summary in
            let role = summary.Labels?[Labels.role] ?? ""
            return ContainerView(
                name: summary.name, id: summary.Id, role: role, state: summary.State, health: health(summary.Status), image: summary.Image,
                status: uptime(summary.Status), restarts: nil,
                url: role == Role.ingest.rawValue ? gatewayURL : role == Role.admin.rawValue ? adminURL : nil)
        }.sorted { ($0.role, $0.name) < ($1.role, $1.name) }
        let serverLabels = servers.first { $0.Labels?[Labels.role] == Role.admin.rawValue }?.Labels ?? servers.first?.Labels
        return ProviderView(
            provider: provider, state: state, gatewayPort: gatewayPort, adminPort: adminPort, containers: containers,
            store: serverLabels.map(storeKind), image: containers.first { $0.role == Role.admin.rawValue }?.image ?? containers.first?.image,
            gatewayURL: gatewayURL, adminURL: adminURL)
    }

    /// Fills each container's restart count and exact health from one inspection each
    /// (the list call has neither), at most `width` at a time.
    static func inspect(_ views: [ProviderView], client: DockerClient, width: Int = 8) async -> [ProviderView] {
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
                view.containers[index].health = inspect.State.Health?.Status ?? view.containers[index].health
            }
            return view
        }
    }

    /// The store kind from a server container's labels.
    static func storeKind(_ labels: [String: String]) -> String {
        guard labels[PlanLabels.store] != nil else { return "sqlite" }
        return labels[PlanLabels.sharedNetwork] != nil ? "cassandra-shared" : "cassandra"
    }

    /// The host that published ports are reached on: the engine's own host for a TCP engine,
    /// `localhost` for a local socket.
    public static func publishedHost(endpoint: String) -> String {
        for scheme in ["tcp://", "http://"] where endpoint.hasPrefix(scheme) {
            let authority = endpoint.dropFirst(scheme.count).split(separator: "/").first.map(String.init) ?? ""
            if let host = try? HostPort(parsing: authority, defaultPort: 2375).host, !host.isEmpty { return host }
        }
        return "localhost"
    }

    static func url(_ scheme: String, _ host: String, _ port: Int) -> String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The published port: from the engine when running, else from the host-port label.
    static func port(_ summaries: [ContainerSummary], role: Role, containerPort: Int) -> Int? {
        guard let summary = summaries.first(where: { $0.Labels?[Labels.role] == role.rawValue }) else { return nil }
        if let published = summary.Ports?.first(where: { $0.PrivatePort == containerPort && $0.PublicPort != nil })?.PublicPort {
            return published
        }
        return summary.Labels?[PlanLabels.hostPort].flatMap { Int($0) }
    }

    /// Health from the summary's status text (`Up 2 minutes (healthy)`).
    static func health(_ status: String?) -> String? {
        guard let status else { return nil }
        for word in ["unhealthy", "healthy", "health: starting"] where status.contains("(\(word))") {
            return word == "health: starting" ? "starting" : word
        }
        return nil
    }

    /// The status text without its health suffix (`Up 2 minutes`).
    static func uptime(_ status: String?) -> String? {
        guard var status else { return nil }
        for suffix in [" (healthy)", " (unhealthy)", " (health: starting)"] where status.hasSuffix(suffix) {
            status.removeLast(suffix.count)
        }
        return status.isEmpty ? nil : status
    }
}
