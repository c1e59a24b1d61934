import DockerAPI
import TenantModel

/// One service of a provider on a swarm, with the exact spec sent to the engine.
public struct SwarmServicePlan: Sendable, Hashable {
    /// `ingest` or `admin`.
    public var role: Role
    /// Service name (`remote_server_ID`, `admin_panel_ID`, as the containers are named).
    public var name: String
    /// Body of `POST /services/create` (and of an update), config-hash label included.
    public var spec: ServiceSpec
    /// Hash of the spec without its hash label (replica count excluded: `stop` scales to 0).
    public var configHash: String
    /// Published port.
    public var hostPort: Int
}

/// Every swarm object of one provider. Pure data, derived from the single-engine plan
/// (``Planner/plan(_:)``) so both orchestrators run the same command, environment, labels,
/// limits and secret paths: one place for each rule.
public struct SwarmProviderPlan: Sendable, Hashable {
    /// Settings the plan came from.
    public var settings: ProviderSettings
    /// The provider's overlay network.
    public var network: NetworkCreateRequest
    /// Ingest then admin.
    public var services: [SwarmServicePlan]

    /// The service of `role`.
    public func service(_ role: Role) -> SwarmServicePlan? { services.first { $0.role == role } }
}

/// A swarm secret a service mounts: its id and its (versioned) name.
public struct SwarmSecretHandle: Sendable, Hashable {
    /// Secret id.
    public var id: String
    /// Secret name (``SwarmPlanner/secretName(_:_:version:)``).
    public var name: String

    /// Creates a handle.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// How a service publishes its port.
public enum PublishMode: String, Sendable, Hashable, CaseIterable {
    /// On the node that runs the task: gateways' source addresses stay visible.
    case host
    /// The routing mesh: every node answers (needs IPVS in the nodes' kernels).
    case ingress
}

/// Turns settings into a ``SwarmProviderPlan``.
public enum SwarmPlanner {
    /// Swarm labels beyond the contract's.
    public enum Label {
        /// The node a SQLite provider is pinned to (its data volume lives there).
        public static let node = "io.tenantctl.node"
        /// The secret kind a swarm secret holds.
        public static let secretKind = "io.tenantctl.secret-kind"
    }

    /// Long enough for the image's health check to decide (start period 5 s, then 3 checks
    /// 10 s apart) before an update is judged good; a failure in it rolls back.
    static let monitorNanoseconds: Int64 = 40 * 1_000_000_000
    /// As `docker stop`'s default: time to finish and acknowledge what was accepted.
    static let stopGraceNanoseconds: Int64 = 10 * 1_000_000_000

    /// The plan for `settings`. `node` pins both services (SQLite: the node holding the data
    /// volume; nil for Cassandra, whose tasks may run anywhere). `secrets` gives the swarm
    /// secret for each kind the services read (``ProviderSettings/secrets(for:)``).
    public static func plan(
        _ settings: ProviderSettings, node: String?, secrets: [SecretKind: SwarmSecretHandle], publishMode: PublishMode = .host
    ) -> SwarmProviderPlan {
        let engine = Planner.plan(settings)
        var network = engine.network
        network.Driver = "overlay"
        network.Attachable = true
        let services = engine.containers.map { service($0, settings: settings, node: node, secrets: secrets, publishMode: publishMode) }
        return SwarmProviderPlan(settings: settings, network: network, services: services)
    }

    private static func service(
        _ container: ContainerPlan, settings: ProviderSettings, node: String?, secrets: [SecretKind: SwarmSecretHandle], publishMode: PublishMode
    ) -> SwarmServicePlan {
        let request = container.request
        let host = request.HostConfig
        var taskLabels = request.Labels ?? [:]
        taskLabels[Labels.configHash] = nil  // the service carries the hash
        let dataLabels = Planner.labels(settings.id, .data, fleet: settings.fleet)
        var mounts: [Mount] = (host?.Mounts ?? []).compactMap { mount in
            // Secrets come as swarm secrets at the same paths, not from the secrets volume.
            guard mount.Target != ProviderNames.secretsMountPath else { return nil }
            var mount = mount
            if mount.Type == "volume" { mount.VolumeOptions = VolumeOptions(Labels: dataLabels) }
            return mount
        }
        mounts.append(Mount(Type: "tmpfs", Source: nil, Target: "/tmp", TmpfsOptions: TmpfsOptions(SizeBytes: Planner.tmpSizeBytes)))
        let references = settings.secrets(for: container.role).compactMap { kind in
            secrets[kind].map {
                SecretReference(
                    File: SecretFile(
                        Name: kind.path, UID: String(ProviderNames.imageUserID), GID: String(ProviderNames.imageUserID), Mode: 0o400),
                    SecretID: $0.id, SecretName: $0.name)
            }
        }
        let aliases = request.NetworkingConfig?.EndpointsConfig?.values.first?.Aliases
        let containerPort = container.role == .ingest ? ProviderNames.ingestContainerPort : ProviderNames.adminContainerPort
        var labels = taskLabels.filter { !$0.key.hasPrefix(PlanLabels.secretPrefix) }
        if let node { labels[Label.node] = node }
        let update = UpdateConfig(
            Parallelism: 1, FailureAction: "rollback", Monitor: monitorNanoseconds,
            // Host-mode ports (and a SQLite file) allow one task at a time.
            Order: "stop-first")
        var spec = ServiceSpec(
            Name: container.name, Labels: labels,
            TaskTemplate: TaskSpec(
                ContainerSpec: ContainerSpec(
                    Image: request.Image, Labels: taskLabels, Args: request.Cmd, Env: request.Env, Mounts: mounts,
                    Secrets: references.isEmpty ? nil : references, ReadOnly: host?.ReadonlyRootfs, CapabilityDrop: host?.CapDrop,
                    StopGracePeriod: stopGraceNanoseconds),
                Resources: TaskResources(Limits: ResourceLimits(NanoCPUs: host?.NanoCpus, MemoryBytes: host?.Memory, Pids: host?.PidsLimit)),
                RestartPolicy: SwarmRestartPolicy(Condition: "any"),
                Placement: node.map { Placement(Constraints: ["node.id==\($0)"]) },
                Networks: [NetworkAttachment(Target: ProviderNames.network(settings.id), Aliases: aliases)],
                LogDriver: host?.LogConfig.map { LogDriver(Name: $0.Type, Options: $0.Config) }),
            Mode: ServiceMode(Replicated: ReplicatedService(Replicas: 1)),
            UpdateConfig: update,
            RollbackConfig: UpdateConfig(Parallelism: 1, Monitor: monitorNanoseconds, Order: "stop-first"),
            EndpointSpec: EndpointSpec(
                Mode: "vip",
                Ports: [EndpointPortConfig(TargetPort: containerPort, PublishedPort: container.hostPort, PublishMode: publishMode.rawValue)]))
        let hash = configHash(spec)
        spec.Labels?[Labels.configHash] = hash
        return SwarmServicePlan(role: container.role, name: container.name, spec: spec, configHash: hash, hostPort: container.hostPort)
    }

    /// The hash of `spec` without its hash label, its replica count or its force-update counter
    /// (`stop` and `restart` change those without changing the provider's settings).
    public static func configHash(_ spec: ServiceSpec) -> String {
        var spec = spec
        spec.Labels?[Labels.configHash] = nil
        spec.Mode = nil
        spec.TaskTemplate.ForceUpdate = nil
        return ConfigHash.of(encoded: spec)
    }

    /// The name of a swarm secret: immutable, so a new value gets a new name (`version`, the
    /// value's digest) and is swapped in by a service update. At most 63 characters for the
    /// longest provider id (48), within the engine's 64.
    public static func secretName(_ id: ProviderID, _ kind: SecretKind, version: String) -> String {
        let code: String
        switch kind {
        case .cassandraUsername: code = "cu"
        case .cassandraPassword: code = "cp"
        case .smtpPassword: code = "sm"
        case .settingsKey: code = "sk"
        case .gatewayTLSCertificate: code = "tc"
        case .gatewayTLSKey: code = "tk"
        case .gatewayCACertificate: code = "cc"
        case .gatewayCAKey: code = "ck"
        }
        return "tc_\(id)_\(code)_\(version.prefix(SecretKind.digestLength))"
    }

    /// Labels of a provider's swarm secret.
    public static func secretLabels(_ id: ProviderID, _ kind: SecretKind, fleet: String?) -> [String: String] {
        var labels = Planner.labels(id, .secrets, fleet: fleet)
        labels[Label.secretKind] = kind.rawValue
        return labels
    }

    /// The node for a new SQLite provider: among nodes that take tasks, the one running the
    /// fewest tenantctl services, ties broken by name so the choice is repeatable.
    public static func leastLoaded(_ nodes: [(id: String, name: String, load: Int)]) -> String? {
        nodes.min { ($0.load, $0.name, $0.id) < ($1.load, $1.name, $1.id) }?.id
    }
}
