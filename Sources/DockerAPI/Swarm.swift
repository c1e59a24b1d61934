// Docker Swarm on the Engine API wire (API 1.41+): /info's swarm part, services, tasks,
// nodes and secrets. Only the fields tenantctl uses are modelled; nil fields are left out.
// A service update must resend the whole spec (what is left out is reset by the engine),
// so ServiceSpec models every field tenantctl sets.

/// `GET /info`, the part tenantctl reads.
public struct SystemInfo: Codable, Sendable, Hashable {
    /// Engine host name.
    public var Name: String?
    /// The engine's swarm membership.
    public var Swarm: SwarmInfo?

    /// Creates a value (for tests and fakes).
    public init(Name: String? = nil, Swarm: SwarmInfo? = nil) {
        self.Name = Name
        self.Swarm = Swarm
    }
}

/// `Swarm` in `GET /info`.
public struct SwarmInfo: Codable, Sendable, Hashable {
    /// This node's id; empty outside a swarm.
    public var NodeID: String?
    /// The address this node advertises.
    public var NodeAddr: String?
    /// `inactive`, `pending`, `active`, `error` or `locked`.
    public var LocalNodeState: String?
    /// True on a manager (it accepts service calls).
    public var ControlAvailable: Bool?
    /// Nodes in the swarm (managers only report it).
    public var Nodes: Int?
    /// Managers in the swarm (managers only report it).
    public var Managers: Int?
    /// Managers' addresses.
    public var RemoteManagers: [RemoteManager]?
    /// Why the node is in `error`.
    public var Error: String?

    /// Creates a value (for tests and fakes).
    public init(
        NodeID: String? = nil, NodeAddr: String? = nil, LocalNodeState: String? = nil, ControlAvailable: Bool? = nil, Nodes: Int? = nil,
        Managers: Int? = nil, RemoteManagers: [RemoteManager]? = nil, Error: String? = nil
    ) {
        self.NodeID = NodeID
        self.NodeAddr = NodeAddr
        self.LocalNodeState = LocalNodeState
        self.ControlAvailable = ControlAvailable
        self.Nodes = Nodes
        self.Managers = Managers
        self.RemoteManagers = RemoteManagers
        self.Error = Error
    }
}

/// A manager's address in `Swarm.RemoteManagers`.
public struct RemoteManager: Codable, Sendable, Hashable {
    /// Node id.
    public var NodeID: String?
    /// `HOST:PORT` of its swarm endpoint.
    public var Addr: String?

    /// Creates a value.
    public init(NodeID: String? = nil, Addr: String? = nil) {
        self.NodeID = NodeID
        self.Addr = Addr
    }
}

// MARK: Services

/// Body of `POST /services/create` and `POST /services/{id}/update`.
public struct ServiceSpec: Codable, Sendable, Hashable {
    /// Service name.
    public var Name: String
    /// Service labels.
    public var Labels: [String: String]?
    /// What each task runs.
    public var TaskTemplate: TaskSpec
    /// Replicated with a replica count.
    public var Mode: ServiceMode?
    /// How updates roll out.
    public var UpdateConfig: UpdateConfig?
    /// How a failed update rolls back.
    public var RollbackConfig: UpdateConfig?
    /// Published ports.
    public var EndpointSpec: EndpointSpec?

    /// Creates a spec.
    public init(
        Name: String, Labels: [String: String]? = nil, TaskTemplate: TaskSpec, Mode: ServiceMode? = nil, UpdateConfig: UpdateConfig? = nil,
        RollbackConfig: UpdateConfig? = nil, EndpointSpec: EndpointSpec? = nil
    ) {
        self.Name = Name
        self.Labels = Labels
        self.TaskTemplate = TaskTemplate
        self.Mode = Mode
        self.UpdateConfig = UpdateConfig
        self.RollbackConfig = RollbackConfig
        self.EndpointSpec = EndpointSpec
    }

    /// The replica count of a replicated service (nil for a global one).
    public var replicas: Int? {
        get { Mode?.Replicated?.Replicas }
        set { Mode = ServiceMode(Replicated: ReplicatedService(Replicas: newValue)) }
    }
}

/// A service's task template.
public struct TaskSpec: Codable, Sendable, Hashable {
    /// The container each task runs.
    public var ContainerSpec: ContainerSpec
    /// Resource limits.
    public var Resources: TaskResources?
    /// When the swarm restarts a task's container.
    public var RestartPolicy: SwarmRestartPolicy?
    /// Where tasks may run.
    public var Placement: Placement?
    /// Networks the tasks join.
    public var Networks: [NetworkAttachment]?
    /// Log driver of the tasks' containers.
    public var LogDriver: LogDriver?
    /// Bumped to restart every task without another change (`restart`).
    public var ForceUpdate: Int?

    /// Creates a task template.
    public init(
        ContainerSpec: ContainerSpec, Resources: TaskResources? = nil, RestartPolicy: SwarmRestartPolicy? = nil, Placement: Placement? = nil,
        Networks: [NetworkAttachment]? = nil, LogDriver: LogDriver? = nil, ForceUpdate: Int? = nil
    ) {
        self.ContainerSpec = ContainerSpec
        self.Resources = Resources
        self.RestartPolicy = RestartPolicy
        self.Placement = Placement
        self.Networks = Networks
        self.LogDriver = LogDriver
        self.ForceUpdate = ForceUpdate
    }
}

/// `TaskTemplate.ContainerSpec`.
public struct ContainerSpec: Codable, Sendable, Hashable {
    /// Image reference.
    public var Image: String
    /// Labels of the tasks' containers.
    public var Labels: [String: String]?
    /// Arguments after the image's entrypoint (`Cmd` of a container).
    public var Args: [String]?
    /// `KEY=value` environment.
    public var Env: [String]?
    /// Volume and tmpfs mounts.
    public var Mounts: [Mount]?
    /// Swarm secrets mounted as files.
    public var Secrets: [SecretReference]?
    /// Read-only root filesystem.
    public var ReadOnly: Bool?
    /// Capabilities to drop (API 1.41).
    public var CapabilityDrop: [String]?
    /// Health check; nil keeps the image's.
    public var Healthcheck: HealthConfig?
    /// Time between SIGTERM and SIGKILL, in nanoseconds.
    public var StopGracePeriod: Int64?

    /// Creates a container spec.
    public init(
        Image: String, Labels: [String: String]? = nil, Args: [String]? = nil, Env: [String]? = nil, Mounts: [Mount]? = nil,
        Secrets: [SecretReference]? = nil, ReadOnly: Bool? = nil, CapabilityDrop: [String]? = nil, Healthcheck: HealthConfig? = nil,
        StopGracePeriod: Int64? = nil
    ) {
        self.Image = Image
        self.Labels = Labels
        self.Args = Args
        self.Env = Env
        self.Mounts = Mounts
        self.Secrets = Secrets
        self.ReadOnly = ReadOnly
        self.CapabilityDrop = CapabilityDrop
        self.Healthcheck = Healthcheck
        self.StopGracePeriod = StopGracePeriod
    }
}

/// A secret mounted into a task as a file.
public struct SecretReference: Codable, Sendable, Hashable {
    /// The file: an absolute `Name` is used as the path, a relative one goes under /run/secrets.
    public var File: SecretFile
    /// Secret id.
    public var SecretID: String
    /// Secret name.
    public var SecretName: String

    /// Creates a reference.
    public init(File: SecretFile, SecretID: String, SecretName: String) {
        self.File = File
        self.SecretID = SecretID
        self.SecretName = SecretName
    }
}

/// Where and how a secret file appears.
public struct SecretFile: Codable, Sendable, Hashable {
    /// Path (absolute) or name under /run/secrets.
    public var Name: String
    /// Owner uid, as a string.
    public var UID: String
    /// Owner gid, as a string.
    public var GID: String
    /// File mode (decimal on the wire).
    public var Mode: UInt32

    /// Creates a file.
    public init(Name: String, UID: String, GID: String, Mode: UInt32) {
        self.Name = Name
        self.UID = UID
        self.GID = GID
        self.Mode = Mode
    }
}

/// `Resources` of a task template.
public struct TaskResources: Codable, Sendable, Hashable {
    /// Upper bounds.
    public var Limits: ResourceLimits?

    /// Creates resources.
    public init(Limits: ResourceLimits? = nil) { self.Limits = Limits }
}

/// Task resource limits.
public struct ResourceLimits: Codable, Sendable, Hashable {
    /// CPU in 1e-9 CPUs.
    public var NanoCPUs: Int64?
    /// Memory in bytes.
    public var MemoryBytes: Int64?
    /// Processes and threads (API 1.41).
    public var Pids: Int64?

    /// Creates limits.
    public init(NanoCPUs: Int64? = nil, MemoryBytes: Int64? = nil, Pids: Int64? = nil) {
        self.NanoCPUs = NanoCPUs
        self.MemoryBytes = MemoryBytes
        self.Pids = Pids
    }
}

/// A task's restart policy.
public struct SwarmRestartPolicy: Codable, Sendable, Hashable {
    /// `none`, `on-failure` or `any`.
    public var Condition: String?
    /// Pause between restarts, in nanoseconds.
    public var Delay: Int64?

    /// Creates a policy.
    public init(Condition: String? = nil, Delay: Int64? = nil) {
        self.Condition = Condition
        self.Delay = Delay
    }
}

/// Placement constraints (`node.id==...`).
public struct Placement: Codable, Sendable, Hashable {
    /// Constraints every chosen node meets.
    public var Constraints: [String]?

    /// Creates a placement.
    public init(Constraints: [String]? = nil) { self.Constraints = Constraints }
}

/// A network a service's tasks join.
public struct NetworkAttachment: Codable, Sendable, Hashable {
    /// Network name or id.
    public var Target: String
    /// DNS names of the task on that network.
    public var Aliases: [String]?

    /// Creates an attachment.
    public init(Target: String, Aliases: [String]? = nil) {
        self.Target = Target
        self.Aliases = Aliases
    }
}

/// A log driver and its options.
public struct LogDriver: Codable, Sendable, Hashable {
    /// Driver name.
    public var Name: String
    /// Driver options.
    public var Options: [String: String]?

    /// Creates a driver setting.
    public init(Name: String, Options: [String: String]? = nil) {
        self.Name = Name
        self.Options = Options
    }
}

/// `Mode` of a service.
public struct ServiceMode: Codable, Sendable, Hashable {
    /// Replicated mode.
    public var Replicated: ReplicatedService?

    /// Creates a mode.
    public init(Replicated: ReplicatedService? = nil) { self.Replicated = Replicated }
}

/// A replicated service's replica count.
public struct ReplicatedService: Codable, Sendable, Hashable {
    /// Replicas.
    public var Replicas: Int?

    /// Creates a value.
    public init(Replicas: Int? = nil) { self.Replicas = Replicas }
}

/// `UpdateConfig` and `RollbackConfig`.
public struct UpdateConfig: Codable, Sendable, Hashable {
    /// Tasks updated at once.
    public var Parallelism: Int?
    /// `pause`, `continue` or `rollback` (UpdateConfig only).
    public var FailureAction: String?
    /// Time after each task update to watch for a failure, in nanoseconds.
    public var Monitor: Int64?
    /// `stop-first` or `start-first`.
    public var Order: String?

    /// Creates a config.
    public init(Parallelism: Int? = nil, FailureAction: String? = nil, Monitor: Int64? = nil, Order: String? = nil) {
        self.Parallelism = Parallelism
        self.FailureAction = FailureAction
        self.Monitor = Monitor
        self.Order = Order
    }
}

/// Published ports of a service.
public struct EndpointSpec: Codable, Sendable, Hashable {
    /// `vip` or `dnsrr`.
    public var Mode: String?
    /// Ports.
    public var Ports: [EndpointPortConfig]?

    /// Creates an endpoint spec.
    public init(Mode: String? = nil, Ports: [EndpointPortConfig]? = nil) {
        self.Mode = Mode
        self.Ports = Ports
    }
}

/// One published port.
public struct EndpointPortConfig: Codable, Sendable, Hashable {
    /// `tcp`.
    public var `Protocol`: String?
    /// Port inside the task.
    public var TargetPort: Int
    /// Port on the node (host mode) or the swarm (ingress).
    public var PublishedPort: Int?
    /// `host` or `ingress`.
    public var PublishMode: String?

    /// Creates a port.
    public init(Protocol: String? = "tcp", TargetPort: Int, PublishedPort: Int? = nil, PublishMode: String? = nil) {
        self.Protocol = Protocol
        self.TargetPort = TargetPort
        self.PublishedPort = PublishedPort
        self.PublishMode = PublishMode
    }
}

/// An object version (`?version=` of an update).
public struct ObjectVersion: Codable, Sendable, Hashable {
    /// The index.
    public var Index: UInt64?

    /// Creates a version.
    public init(Index: UInt64? = nil) { self.Index = Index }
}

/// `GET /services/{id}` and `GET /services`.
public struct Service: Codable, Sendable, Hashable {
    /// Service id.
    public var ID: String
    /// Version to pass to an update.
    public var Version: ObjectVersion?
    /// The current spec.
    public var Spec: ServiceSpec

    /// Creates a value (for tests and fakes).
    public init(ID: String, Version: ObjectVersion? = nil, Spec: ServiceSpec) {
        self.ID = ID
        self.Version = Version
        self.Spec = Spec
    }
}

/// `POST /services/create` response (also secrets create).
public struct IDResponse: Codable, Sendable, Hashable {
    /// The new object's id.
    public var ID: String
    /// Engine warnings (an image it could not resolve in a registry, ...).
    public var Warnings: [String]?
}

// MARK: Tasks and nodes

/// `GET /tasks`.
public struct SwarmTask: Codable, Sendable, Hashable {
    /// Task id.
    public var ID: String
    /// Its service.
    public var ServiceID: String?
    /// The node it was scheduled on (empty while pending).
    public var NodeID: String?
    /// Replica slot.
    public var Slot: Int?
    /// What the swarm wants: `running`, `shutdown`, ...
    public var DesiredState: String?
    /// What it is.
    public var Status: TaskStatus?
    /// When the task was created (RFC 3339).
    public var CreatedAt: String?
}

/// A task's status.
public struct TaskStatus: Codable, Sendable, Hashable {
    /// RFC 3339 time of the last change.
    public var Timestamp: String?
    /// `new`, `pending`, `assigned`, `accepted`, `preparing`, `starting`, `running`, `complete`,
    /// `failed`, `rejected`, `shutdown`, `orphaned`, ...
    public var State: String?
    /// A short word from the engine (`started`, `preparing`, ...).
    public var Message: String?
    /// Why the task failed or cannot be scheduled.
    public var Err: String?
    /// The container that runs it.
    public var ContainerStatus: TaskContainerStatus?
}

/// A task's container.
public struct TaskContainerStatus: Codable, Sendable, Hashable {
    /// Container id on its node.
    public var ContainerID: String?
    /// Exit code once stopped.
    public var ExitCode: Int?
}

/// `GET /nodes`.
public struct SwarmNode: Codable, Sendable, Hashable {
    /// Node id.
    public var ID: String
    /// Role and availability.
    public var Spec: NodeSpec?
    /// Host name.
    public var Description: NodeDescription?
    /// `ready`, `down`, `unknown`, `disconnected`, and the node's address.
    public var Status: NodeStatus?
    /// Present on managers.
    public var ManagerStatus: NodeManagerStatus?
}

/// A node's spec.
public struct NodeSpec: Codable, Sendable, Hashable {
    /// `worker` or `manager`.
    public var Role: String?
    /// `active`, `pause` or `drain`.
    public var Availability: String?
}

/// A node's description.
public struct NodeDescription: Codable, Sendable, Hashable {
    /// Host name.
    public var Hostname: String?
}

/// A node's status.
public struct NodeStatus: Codable, Sendable, Hashable {
    /// `ready`, `down`, ...
    public var State: String?
    /// The address the node is reached at (where host-mode ports are published).
    public var Addr: String?
}

/// A manager's status.
public struct NodeManagerStatus: Codable, Sendable, Hashable {
    /// Whether it leads.
    public var Leader: Bool?
    /// `reachable` or `unreachable`.
    public var Reachability: String?
}

// MARK: Secrets

/// Body of `POST /secrets/create`.
public struct SecretSpec: Codable, Sendable, Hashable {
    /// Secret name.
    public var Name: String
    /// Labels.
    public var Labels: [String: String]?
    /// The value, base64 (never returned by the engine).
    public var Data: String?

    /// Creates a spec.
    public init(Name: String, Labels: [String: String]? = nil, Data: String? = nil) {
        self.Name = Name
        self.Labels = Labels
        self.Data = Data
    }
}

/// `GET /secrets`: a secret without its value.
public struct SwarmSecret: Codable, Sendable, Hashable {
    /// Secret id.
    public var ID: String
    /// Name and labels.
    public var Spec: SecretSpec
}
