import DockerAPI
import TenantModel

/// Names of the shared Cassandra objects `tenantctl db start` creates. They carry no
/// provider label: every Cassandra provider without `--cassandra` uses them.
public enum SharedDatabaseNames {
    /// The Cassandra container; also its DNS name on the shared network.
    public static let container = "tenantctl_db"
    /// The bridge network the db container and the providers' containers share.
    public static let network = "tenantctl_shared"
    /// The named volume holding Cassandra's data.
    public static let volume = "tenantctl_db_data"
    /// Where the official cassandra image keeps its data.
    public static let dataMountPath = "/var/lib/cassandra"
    /// The CQL native port inside the container (and the default host port).
    public static let cqlPort = StoreURL.defaultCassandraPort
    /// The contact point providers' containers use on the shared network.
    public static let contactPoint = HostPort(host: container, port: cqlPort)
}

/// What `tenantctl db start` runs.
public struct SharedDatabaseSettings: Sendable, Hashable {
    /// Image: an official `cassandra` image (or one with `cqlsh` on PATH and the same layout).
    public var image: String
    /// Host port published for CQL (container port 9042).
    public var hostPort: Int
    /// Host address CQL is published on: loopback unless `db start --publish HOST:PORT` says
    /// otherwise, so a database without authentication is not open to the network.
    public var hostIP: String

    /// The default publish address.
    public static let loopback = "127.0.0.1"

    /// Creates settings.
    public init(image: String, hostPort: Int = SharedDatabaseNames.cqlPort, hostIP: String = SharedDatabaseSettings.loopback) {
        self.image = image
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

/// The shared database's Docker objects with all Engine API fields (pure data).
public struct SharedDatabasePlan: Sendable, Hashable {
    /// Settings the plan came from.
    public var settings: SharedDatabaseSettings
    /// The shared network (role `network`, no provider label).
    public var network: NetworkCreateRequest
    /// The data volume (role `data`, no provider label).
    public var volume: VolumeCreateRequest
    /// The Cassandra container's create request, config-hash label included.
    public var container: ContainerCreateRequest
    /// Hash of the container request without its hash label.
    public var configHash: String

    /// The plan for `settings`.
    ///
    /// The health check assumes the official `cassandra` image, which has `cqlsh` on PATH
    /// and answers `describe keyspaces` once it accepts CQL clients (about a minute after
    /// start, hence the long start period).
    public init(_ settings: SharedDatabaseSettings) {
        self.settings = settings
        let names = SharedDatabaseNames.self
        network = NetworkCreateRequest(Name: names.network, Driver: "bridge", Labels: Self.labels(.network), CheckDuplicate: true)
        volume = VolumeCreateRequest(Name: names.volume, Driver: "local", Labels: Self.labels(.data))
        let portKey = "\(names.cqlPort)/tcp"
        var labels = Self.labels(.db)
        labels[PlanLabels.hostPort] = String(settings.hostPort)
        labels[PlanLabels.hostIP] = settings.hostIP
        var request = ContainerCreateRequest(
            Image: settings.image,
            Cmd: nil,  // the image's own entrypoint and command start Cassandra
            Env: ["CASSANDRA_CLUSTER_NAME=tenantctl"],
            Labels: labels,
            ExposedPorts: [portKey: EmptyObject()],
            Healthcheck: HealthConfig(
                Test: ["CMD-SHELL", "cqlsh -e 'describe keyspaces' > /dev/null 2>&1 || exit 1"],
                Interval: HealthConfig.seconds(30), Timeout: HealthConfig.seconds(10), Retries: 5,
                StartPeriod: HealthConfig.seconds(120)),
            Tty: false,
            HostConfig: HostConfig(
                PortBindings: [portKey: [PortBinding(HostIp: settings.hostIP, HostPort: String(settings.hostPort))]],
                RestartPolicy: RestartPolicy(Name: "unless-stopped", MaximumRetryCount: 0),
                Mounts: [Mount(Type: "volume", Source: names.volume, Target: names.dataMountPath, ReadOnly: false)],
                NetworkMode: names.network),
            NetworkingConfig: NetworkingConfig(EndpointsConfig: [names.network: EndpointSettings(Aliases: ["cassandra"])])
        )
        configHash = ConfigHash.of(request)
        request.Labels?[Labels.configHash] = configHash
        container = request
    }

    /// Labels of a shared object: the role only, no provider.
    public static func labels(_ role: Role) -> [String: String] { [Labels.role: role.rawValue] }

    /// The steps that bring what exists to this plan. `container` is the observed db
    /// container, if any.
    public func actions(container: ObservedContainer?, networkExists: Bool, volumeExists: Bool) -> [SharedDatabaseAction] {
        var steps: [SharedDatabaseAction] = []
        if !networkExists { steps.append(.createNetwork) }
        if !volumeExists { steps.append(.createVolume) }
        if let container {
            if container.configHash != configHash {
                steps += [.replaceContainer(id: container.id), .createContainer, .startContainer]
            } else if !container.isRunning {
                steps.append(.startContainer)
            }
        } else {
            steps += [.createContainer, .startContainer]
        }
        return steps
    }
}

/// One step of `tenantctl db start`.
public enum SharedDatabaseAction: Sendable, Hashable, CustomStringConvertible {
    /// Create the shared network.
    case createNetwork
    /// Create the data volume.
    case createVolume
    /// Stop and remove a db container whose settings changed (data stays in the volume).
    case replaceContainer(id: String)
    /// Create the db container.
    case createContainer
    /// Start the db container.
    case startContainer

    public var description: String {
        switch self {
        case .createNetwork: "create network \(SharedDatabaseNames.network)"
        case .createVolume: "create volume \(SharedDatabaseNames.volume)"
        case .replaceContainer: "remove container \(SharedDatabaseNames.container) (settings changed)"
        case .createContainer: "create container \(SharedDatabaseNames.container)"
        case .startContainer: "start container \(SharedDatabaseNames.container)"
        }
    }
}
