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
    /// Why a container is not running or not healthy (`status` only): its last log line, else
    /// its exit code.
    public var reason: String?
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
}

/// Groups labelled containers into providers.
public enum ProviderInventory {
    /// Roles a complete provider runs.
    static let serverRoles: [Role] = [.ingest, .admin]

    /// Providers from `summaries` (containers carrying `io.tenantctl.provider`), sorted by id.
    public static func providers(from summaries: [ContainerSummary]) -> [ProviderView] {
        var byProvider: [String: [ContainerSummary]] = [:]
        for summary in summaries {
            guard let provider = summary.Labels?[Labels.provider] else { continue }
            byProvider[provider, default: []].append(summary)
        }
        return byProvider.keys.sorted().map { view(provider: $0, summaries: byProvider[$0]!) }
    }

    /// One provider's view.
    public static func view(provider: String, summaries: [ContainerSummary]) -> ProviderView {
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
        let containers = summaries.map { summary in
            ContainerView(name: summary.name, id: summary.Id, role: summary.Labels?[Labels.role] ?? "", state: summary.State, health: nil)
        }.sorted { ($0.role, $0.name) < ($1.role, $1.name) }
        return ProviderView(
            provider: provider, state: state, gatewayPort: port(summaries, role: .ingest, containerPort: ProviderNames.ingestContainerPort),
            adminPort: port(summaries, role: .admin, containerPort: ProviderNames.adminContainerPort), containers: containers)
    }

    /// The published port: from the engine when running, else from the host-port label.
    static func port(_ summaries: [ContainerSummary], role: Role, containerPort: Int) -> Int? {
        guard let summary = summaries.first(where: { $0.Labels?[Labels.role] == role.rawValue }) else { return nil }
        if let published = summary.Ports?.first(where: { $0.PrivatePort == containerPort && $0.PublicPort != nil })?.PublicPort {
            return published
        }
        return summary.Labels?[PlanLabels.hostPort].flatMap { Int($0) }
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
