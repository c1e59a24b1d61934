// Docker Engine API wire models for containers. Keys are spelled exactly as the
// Engine API spells them (PascalCase); only the fields tenantctl uses are modelled,
// and optional fields are left out of the JSON when nil.

/// An empty JSON object (`{}`), as the Engine API uses in `ExposedPorts`.
public struct EmptyObject: Codable, Sendable, Hashable {
    /// Creates the empty object.
    public init() {}
}

/// Body of `POST /containers/create`.
public struct ContainerCreateRequest: Codable, Sendable, Hashable {
    /// Image reference to run.
    public var Image: String
    /// Command (arguments after the image's entrypoint).
    public var Cmd: [String]?
    /// Environment as `KEY=value` strings, passed through as-is.
    public var Env: [String]?
    /// Container labels.
    public var Labels: [String: String]?
    /// Ports the container listens on, `"6000/tcp": {}`.
    public var ExposedPorts: [String: EmptyObject]?
    /// Health check run by the engine.
    public var Healthcheck: HealthConfig?
    /// Whether to allocate a TTY (decides whether logs are multiplexed).
    public var Tty: Bool?
    /// Host-side settings: ports, restart policy, mounts, resources.
    public var HostConfig: HostConfig?
    /// Networks to attach at creation time.
    public var NetworkingConfig: NetworkingConfig?

    /// Creates a request for `image`.
    public init(
        Image: String, Cmd: [String]? = nil, Env: [String]? = nil, Labels: [String: String]? = nil,
        ExposedPorts: [String: EmptyObject]? = nil, Healthcheck: HealthConfig? = nil, Tty: Bool? = nil,
        HostConfig: HostConfig? = nil, NetworkingConfig: NetworkingConfig? = nil
    ) {
        self.Image = Image
        self.Cmd = Cmd
        self.Env = Env
        self.Labels = Labels
        self.ExposedPorts = ExposedPorts
        self.Healthcheck = Healthcheck
        self.Tty = Tty
        self.HostConfig = HostConfig
        self.NetworkingConfig = NetworkingConfig
    }
}

/// A container health check; durations are nanoseconds, as on the wire.
public struct HealthConfig: Codable, Sendable, Hashable {
    /// `["CMD", exe, args...]`, `["CMD-SHELL", script]` or `["NONE"]`.
    public var Test: [String]
    /// Time between checks, in nanoseconds.
    public var Interval: Int64?
    /// Time a check may take, in nanoseconds.
    public var Timeout: Int64?
    /// Consecutive failures before the container is unhealthy.
    public var Retries: Int?
    /// Grace period after start during which failures do not count, in nanoseconds.
    public var StartPeriod: Int64?

    /// Creates a health check.
    public init(Test: [String], Interval: Int64? = nil, Timeout: Int64? = nil, Retries: Int? = nil, StartPeriod: Int64? = nil) {
        self.Test = Test
        self.Interval = Interval
        self.Timeout = Timeout
        self.Retries = Retries
        self.StartPeriod = StartPeriod
    }

    /// Nanoseconds in `seconds` seconds, for the duration fields.
    public static func seconds(_ seconds: Int64) -> Int64 { seconds * 1_000_000_000 }
}

/// One host binding of a container port.
public struct PortBinding: Codable, Sendable, Hashable {
    /// Host address to bind; empty means all addresses.
    public var HostIp: String?
    /// Host port, as a decimal string.
    public var HostPort: String?

    /// Creates a binding.
    public init(HostIp: String? = nil, HostPort: String? = nil) {
        self.HostIp = HostIp
        self.HostPort = HostPort
    }
}

/// When the engine restarts a container.
public struct RestartPolicy: Codable, Sendable, Hashable {
    /// `no`, `always`, `unless-stopped` or `on-failure`.
    public var Name: String
    /// Retries for `on-failure`.
    public var MaximumRetryCount: Int?

    /// Creates a policy.
    public init(Name: String, MaximumRetryCount: Int? = nil) {
        self.Name = Name
        self.MaximumRetryCount = MaximumRetryCount
    }
}

/// A mount in `HostConfig.Mounts`.
public struct Mount: Codable, Sendable, Hashable {
    /// `volume`, `bind` or `tmpfs`.
    public var `Type`: String
    /// Volume name or host path.
    public var Source: String?
    /// Path inside the container.
    public var Target: String
    /// Mount read-only.
    public var ReadOnly: Bool?
    /// Labels of a volume the engine creates for the mount (a swarm task's node creates it).
    public var VolumeOptions: VolumeOptions?
    /// Size of a tmpfs mount.
    public var TmpfsOptions: TmpfsOptions?

    /// Creates a mount.
    public init(
        Type: String, Source: String?, Target: String, ReadOnly: Bool? = nil, VolumeOptions: VolumeOptions? = nil, TmpfsOptions: TmpfsOptions? = nil
    ) {
        self.Type = Type
        self.Source = Source
        self.Target = Target
        self.ReadOnly = ReadOnly
        self.VolumeOptions = VolumeOptions
        self.TmpfsOptions = TmpfsOptions
    }
}

/// `VolumeOptions` of a volume mount.
public struct VolumeOptions: Codable, Sendable, Hashable {
    /// Labels of the volume when the mount creates it.
    public var Labels: [String: String]?

    /// Creates options.
    public init(Labels: [String: String]? = nil) { self.Labels = Labels }
}

/// `TmpfsOptions` of a tmpfs mount.
public struct TmpfsOptions: Codable, Sendable, Hashable {
    /// Size in bytes.
    public var SizeBytes: Int64?
    /// File mode of the mount's root (decimal on the wire).
    public var Mode: UInt32?

    /// Creates options.
    public init(SizeBytes: Int64? = nil, Mode: UInt32? = nil) {
        self.SizeBytes = SizeBytes
        self.Mode = Mode
    }
}

/// Host-side container settings.
public struct HostConfig: Codable, Sendable, Hashable {
    /// Container port (`"6000/tcp"`) to host bindings.
    public var PortBindings: [String: [PortBinding]]?
    /// Restart policy.
    public var RestartPolicy: RestartPolicy?
    /// Volume and bind mounts.
    public var Mounts: [Mount]?
    /// Memory limit in bytes.
    public var Memory: Int64?
    /// CPU quota in units of 1e-9 CPUs.
    public var NanoCpus: Int64?
    /// Network to use as the container's primary network.
    public var NetworkMode: String?
    /// Remove the container when it exits.
    public var AutoRemove: Bool?
    /// Kernel capabilities to drop (`ALL` for every one).
    public var CapDrop: [String]?
    /// Security options, e.g. `no-new-privileges`.
    public var SecurityOpt: [String]?
    /// Mount the container's root filesystem read-only.
    public var ReadonlyRootfs: Bool?
    /// Maximum number of processes and threads; nil for the engine's default (none).
    public var PidsLimit: Int64?
    /// tmpfs mounts: path to mount options (`size=16m,mode=1777`).
    public var Tmpfs: [String: String]?
    /// Log driver and its options.
    public var LogConfig: LogConfig?
    /// Metadata passed to the runtime in the OCI spec (API 1.43+; older engines refuse it).
    public var Annotations: [String: String]?

    /// Creates host settings.
    public init(
        PortBindings: [String: [PortBinding]]? = nil, RestartPolicy: RestartPolicy? = nil, Mounts: [Mount]? = nil,
        Memory: Int64? = nil, NanoCpus: Int64? = nil, NetworkMode: String? = nil, AutoRemove: Bool? = nil,
        CapDrop: [String]? = nil, SecurityOpt: [String]? = nil, ReadonlyRootfs: Bool? = nil, PidsLimit: Int64? = nil,
        Tmpfs: [String: String]? = nil, LogConfig: LogConfig? = nil, Annotations: [String: String]? = nil
    ) {
        self.PortBindings = PortBindings
        self.RestartPolicy = RestartPolicy
        self.Mounts = Mounts
        self.Memory = Memory
        self.NanoCpus = NanoCpus
        self.NetworkMode = NetworkMode
        self.AutoRemove = AutoRemove
        self.CapDrop = CapDrop
        self.SecurityOpt = SecurityOpt
        self.ReadonlyRootfs = ReadonlyRootfs
        self.PidsLimit = PidsLimit
        self.Tmpfs = Tmpfs
        self.LogConfig = LogConfig
        self.Annotations = Annotations
    }
}

/// A container's log driver (`HostConfig.LogConfig`).
public struct LogConfig: Codable, Sendable, Hashable {
    /// Driver name, e.g. `json-file` or `local`.
    public var `Type`: String
    /// Driver options, e.g. `max-size`, `max-file`.
    public var Config: [String: String]?

    /// Creates a log config.
    public init(Type: String, Config: [String: String]? = nil) {
        self.Type = Type
        self.Config = Config
    }
}

/// Networks a container joins at creation.
public struct NetworkingConfig: Codable, Sendable, Hashable {
    /// Network name to endpoint settings.
    public var EndpointsConfig: [String: EndpointSettings]?

    /// Creates the config.
    public init(EndpointsConfig: [String: EndpointSettings]?) { self.EndpointsConfig = EndpointsConfig }
}

/// A container's endpoint on one network.
public struct EndpointSettings: Codable, Sendable, Hashable {
    /// DNS names of the container on that network.
    public var Aliases: [String]?

    /// Creates endpoint settings.
    public init(Aliases: [String]? = nil) { self.Aliases = Aliases }
}

/// Response of `POST /containers/create`.
public struct ContainerCreateResponse: Codable, Sendable, Hashable {
    /// The new container's id.
    public var Id: String
    /// Engine warnings.
    public var Warnings: [String]?

    /// Creates a value (for tests and fakes).
    public init(Id: String, Warnings: [String]? = nil) {
        self.Id = Id
        self.Warnings = Warnings
    }
}

/// A published port in a container summary.
public struct SummaryPort: Codable, Sendable, Hashable {
    /// Host address.
    public var IP: String?
    /// Port inside the container.
    public var PrivatePort: Int
    /// Port on the host, when published.
    public var PublicPort: Int?
    /// `tcp`, `udp` or `sctp`.
    public var `Type`: String

    /// Creates a value (for tests and fakes).
    public init(IP: String? = nil, PrivatePort: Int, PublicPort: Int? = nil, Type: String) {
        self.IP = IP
        self.PrivatePort = PrivatePort
        self.PublicPort = PublicPort
        self.`Type` = Type
    }
}

/// One entry of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable, Hashable {
    /// Container id.
    public var Id: String
    /// Names, each with a leading `/`.
    public var Names: [String]
    /// Image as given at creation.
    public var Image: String?
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var State: String
    /// Human status (`Up 3 minutes (healthy)`).
    public var Status: String?
    /// Labels.
    public var Labels: [String: String]?
    /// Published and exposed ports.
    public var Ports: [SummaryPort]?
    /// The container's address on each network it is attached to.
    public var NetworkSettings: NetworkSettings?

    /// The name without the leading slash.
    public var name: String {
        let first = Names.first ?? Id
        return first.hasPrefix("/") ? String(first.dropFirst()) : first
    }

    /// Creates a value (for tests and fakes).
    public init(
        Id: String, Names: [String], Image: String? = nil, State: String, Status: String? = nil, Labels: [String: String]? = nil,
        Ports: [SummaryPort]? = nil, NetworkSettings: NetworkSettings? = nil
    ) {
        self.NetworkSettings = NetworkSettings
        self.Id = Id
        self.Names = Names
        self.Image = Image
        self.State = State
        self.Status = Status
        self.Labels = Labels
        self.Ports = Ports
    }
}

/// `State` of `GET /containers/{id}/json`.
public struct ContainerState: Codable, Sendable, Hashable {
    /// Same values as ``ContainerSummary/State``.
    public var Status: String
    /// Whether the container runs.
    public var Running: Bool?
    /// Last exit code.
    public var ExitCode: Int?
    /// Health, when the container has a health check.
    public var Health: Health?
    /// Host process id of its first process; 0 when it does not run.
    public var Pid: Int?

    /// Health-check status.
    public struct Health: Codable, Sendable, Hashable {
        /// `starting`, `healthy` or `unhealthy`.
        public var Status: String

        /// Creates a value (for tests and fakes).
        public init(Status: String) {
            self.Status = Status
        }
    }

    /// Creates a value (for tests and fakes).
    public init(Status: String, Running: Bool? = nil, ExitCode: Int? = nil, Health: Health? = nil, Pid: Int? = nil) {
        self.Status = Status
        self.Running = Running
        self.ExitCode = ExitCode
        self.Health = Health
        self.Pid = Pid
    }
}

/// `Config` of `GET /containers/{id}/json` (the parts tenantctl reads).
public struct ContainerConfig: Codable, Sendable, Hashable {
    /// Image reference.
    public var Image: String?
    /// Labels.
    public var Labels: [String: String]?
    /// Whether a TTY is attached.
    public var Tty: Bool?

    /// Creates a value (for tests and fakes).
    public init(Image: String? = nil, Labels: [String: String]? = nil, Tty: Bool? = nil) {
        self.Image = Image
        self.Labels = Labels
        self.Tty = Tty
    }
}

/// `NetworkSettings` of `GET /containers/{id}/json`.
public struct NetworkSettings: Codable, Sendable, Hashable {
    /// Container port to host bindings (null entries for unpublished ports).
    public var Ports: [String: [PortBinding]?]?
    /// Network name to the container's endpoint on it.
    public var Networks: [String: EndpointInfo]?

    /// A container's address on one network.
    public struct EndpointInfo: Codable, Sendable, Hashable {
        /// IPv4 address.
        public var IPAddress: String?

        /// Creates a value (for tests and fakes).
        public init(IPAddress: String? = nil) { self.IPAddress = IPAddress }
    }

    /// Creates a value (for tests and fakes).
    public init(Ports: [String: [PortBinding]?]? = nil, Networks: [String: EndpointInfo]? = nil) {
        self.Ports = Ports
        self.Networks = Networks
    }
}

/// Response of `GET /containers/{id}/json`.
public struct ContainerInspect: Codable, Sendable, Hashable {
    /// Container id.
    public var Id: String
    /// Name with a leading `/`.
    public var Name: String
    /// How often the restart policy restarted it.
    public var RestartCount: Int?
    /// Runtime state.
    public var State: ContainerState
    /// Creation config.
    public var Config: ContainerConfig?
    /// Host config as created.
    public var HostConfig: HostConfig?
    /// Network settings, including published ports.
    public var NetworkSettings: NetworkSettings?

    /// Creates a value (for tests and fakes).
    public init(
        Id: String, Name: String, State: ContainerState, Config: ContainerConfig? = nil, HostConfig: HostConfig? = nil,
        NetworkSettings: NetworkSettings? = nil, RestartCount: Int? = nil
    ) {
        self.Id = Id
        self.Name = Name
        self.State = State
        self.Config = Config
        self.HostConfig = HostConfig
        self.NetworkSettings = NetworkSettings
        self.RestartCount = RestartCount
    }
}

/// Response of `POST /containers/{id}/wait`.
public struct ContainerWaitResponse: Codable, Sendable, Hashable {
    /// The container's exit code.
    public var StatusCode: Int
    /// Error waiting, if any.
    public var Error: WaitError?

    /// Error detail of a wait.
    public struct WaitError: Codable, Sendable, Hashable {
        /// The engine's message.
        public var Message: String?

        /// Creates a value (for tests and fakes).
        public init(Message: String? = nil) {
            self.Message = Message
        }
    }

    /// Creates a value (for tests and fakes).
    public init(StatusCode: Int, Error: WaitError? = nil) {
        self.StatusCode = StatusCode
        self.Error = Error
    }
}
