import DockerAPI
import TenantModel

/// A container of the provider as the engine reports it.
public struct ObservedContainer: Sendable, Hashable {
    /// Name without the leading slash.
    public var name: String
    /// Container id.
    public var id: String
    /// Role from the label.
    public var role: Role?
    /// Engine state (`running`, `exited`, `created`...).
    public var state: String
    /// Config-hash label.
    public var configHash: String?
    /// Host-port label.
    public var hostPort: Int?
    /// Fleet label, if a fleet manages the provider.
    public var fleet: String?

    /// Creates an observation.
    public init(name: String, id: String, role: Role?, state: String, configHash: String?, hostPort: Int?, fleet: String? = nil) {
        self.name = name
        self.id = id
        self.role = role
        self.state = state
        self.configHash = configHash
        self.hostPort = hostPort
        self.fleet = fleet
    }

    /// Reads one entry of `GET /containers/json`.
    public init(_ summary: ContainerSummary) {
        let labels = summary.Labels ?? [:]
        self.init(
            name: summary.name, id: summary.Id, role: labels[Labels.role].flatMap(Role.init(rawValue:)), state: summary.State,
            configHash: labels[Labels.configHash], hostPort: labels[PlanLabels.hostPort].flatMap { Int($0) }, fleet: labels[Labels.fleet])
    }

    /// Whether the engine runs (or is restarting) it.
    public var isRunning: Bool { state == "running" || state == "restarting" }
}

/// One step `start-provider` takes.
public enum ProvisionAction: Sendable, Hashable, CustomStringConvertible {
    /// Create the provider network.
    case createNetwork(name: String)
    /// Create the data volume.
    case createVolume(name: String)
    /// Remove a container whose settings changed.
    case removeContainer(name: String, id: String)
    /// Create the container of a role.
    case createContainer(role: Role, name: String)
    /// Start a container (new, or existing but stopped).
    case startContainer(role: Role, name: String)

    public var description: String {
        switch self {
        case .createNetwork(let name): return "create network \(name)"
        case .createVolume(let name): return "create volume \(name)"
        case .removeContainer(let name, _): return "remove container \(name) (settings changed)"
        case .createContainer(_, let name): return "create container \(name)"
        case .startContainer(_, let name): return "start container \(name)"
        }
    }
}

/// What a run must do: shared objects first, then each container's steps (independent
/// of the other container's, so they may run in parallel).
public struct ReconcilePlan: Sendable, Hashable {
    /// Network and volume creation.
    public var shared: [ProvisionAction]
    /// Per-role container steps, ingest then admin.
    public var containers: [(role: Role, actions: [ProvisionAction])]

    /// Every action in order.
    public var all: [ProvisionAction] { shared + containers.flatMap(\.actions) }
    /// Nothing to do.
    public var isEmpty: Bool { all.isEmpty }

    public static func == (lhs: ReconcilePlan, rhs: ReconcilePlan) -> Bool { lhs.all == rhs.all }
    public func hash(into hasher: inout Hasher) { hasher.combine(all) }
}

/// Compares the plan with what exists.
public enum Reconciler {
    /// The steps that bring `observed` to `plan`. `networkExists`/`volumeExists` nil means
    /// "not checked": only allowed when every container is present and running, which
    /// implies both exist.
    public static func actions(
        plan: ProviderPlan, observed: [ObservedContainer], networkExists: Bool?, volumeExists: Bool?
    ) -> ReconcilePlan {
        var shared: [ProvisionAction] = []
        if networkExists == false { shared.append(.createNetwork(name: plan.network.Name)) }
        if let volume = plan.volume, volumeExists == false { shared.append(.createVolume(name: volume.Name)) }
        var perRole: [(role: Role, actions: [ProvisionAction])] = []
        for container in plan.containers {
            var steps: [ProvisionAction] = []
            let existing = observed.first { $0.role == container.role } ?? observed.first { $0.name == container.name }
            if let existing {
                if existing.configHash != container.configHash || existing.name != container.name {
                    steps = [
                        .removeContainer(name: existing.name, id: existing.id),
                        .createContainer(role: container.role, name: container.name),
                        .startContainer(role: container.role, name: container.name),
                    ]
                } else if !existing.isRunning {
                    steps = [.startContainer(role: container.role, name: container.name)]
                }
            } else {
                steps = [.createContainer(role: container.role, name: container.name), .startContainer(role: container.role, name: container.name)]
            }
            perRole.append((container.role, steps))
        }
        return ReconcilePlan(shared: shared, containers: perRole)
    }

    /// Whether every planned container exists with the planned hash and runs (the fast path).
    public static func isSatisfied(plan: ProviderPlan, observed: [ObservedContainer]) -> Bool {
        plan.containers.allSatisfy { planned in
            observed.contains { $0.role == planned.role && $0.name == planned.name && $0.configHash == planned.configHash && $0.isRunning }
        }
    }
}

/// Picks host ports.
public enum PortChooser {
    /// First port from `start` (inclusive, up to 65535) that is not in `used` and for which
    /// `isFreeOnHost` holds; nil when none is.
    public static func next(from start: Int, used: Set<Int>, isFreeOnHost: (Int) -> Bool) -> Int? {
        var port = start
        while port <= 65535 {
            if !used.contains(port), isFreeOnHost(port) { return port }
            port += 1
        }
        return nil
    }
}
