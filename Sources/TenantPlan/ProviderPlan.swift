import DockerAPI
import Foundation
import TenantModel

/// One container of a provider, with the exact create request.
public struct ContainerPlan: Sendable, Hashable {
    /// `ingest` or `admin`.
    public var role: Role
    /// Container name.
    public var name: String
    /// Body of `POST /containers/create?name=<name>`, config-hash label included.
    public var request: ContainerCreateRequest
    /// Hash of the request without its hash label.
    public var configHash: String
    /// Published host port.
    public var hostPort: Int
}

/// Every Docker object of one provider with all Engine API fields. Pure data: building
/// it does no I/O, so tests check it field by field.
public struct ProviderPlan: Sendable, Hashable {
    /// Settings the plan came from.
    public var settings: ProviderSettings
    /// The provider's network.
    public var network: NetworkCreateRequest
    /// The data volume; nil for Cassandra.
    public var volume: VolumeCreateRequest?
    /// Ingest then admin.
    public var containers: [ContainerPlan]

    /// The container of `role`.
    public func container(_ role: Role) -> ContainerPlan? { containers.first { $0.role == role } }
}

/// Turns settings into a ``ProviderPlan``.
public enum Planner {
    /// Health check interval, timeout, retries and start period of both servers. Engines
    /// before API 1.44 have no start interval, so the interval alone decides how soon a new
    /// provider reports healthy: 5 s (a failing server is unhealthy after 3 misses, ~15 s).
    static let healthInterval = HealthConfig.seconds(5)
    static let healthTimeout = HealthConfig.seconds(5)
    static let healthRetries = 3
    static let healthStartPeriod = HealthConfig.seconds(10)

    /// The plan for `settings`.
    public static func plan(_ settings: ProviderSettings) -> ProviderPlan {
        let id = settings.id
        let network = NetworkCreateRequest(
            Name: ProviderNames.network(id), Driver: "bridge", Labels: labels(id, .network), CheckDuplicate: true)
        let volume = settings.store.needsVolume
            ? VolumeCreateRequest(Name: ProviderNames.volume(id), Driver: "local", Labels: labels(id, .data)) : nil
        let containers = [
            container(settings, role: .ingest, executable: "tenant-ingest", containerPort: ProviderNames.ingestContainerPort,
                      hostPort: settings.gatewayPort, alias: "ingest"),
            container(settings, role: .admin, executable: "tenant-admin", containerPort: ProviderNames.adminContainerPort,
                      hostPort: settings.adminPort, alias: "admin"),
        ]
        return ProviderPlan(settings: settings, network: network, volume: volume, containers: containers)
    }

    /// The contract's labels for an object of `role`.
    public static func labels(_ id: ProviderID, _ role: Role) -> [String: String] {
        [Labels.provider: id.rawValue, Labels.role: role.rawValue]
    }

    private static func container(
        _ settings: ProviderSettings, role: Role, executable: String, containerPort: Int, hostPort: Int, alias: String
    ) -> ContainerPlan {
        let id = settings.id
        let portKey = "\(containerPort)/tcp"
        let networkName = ProviderNames.network(id)
        var labels = labels(id, role)
        labels[PlanLabels.hostPort] = String(hostPort)
        // Only Cassandra containers get these, so SQLite providers keep their config hash.
        if settings.store.isCassandra { labels[PlanLabels.store] = settings.store.storeURL(for: id) }
        if let shared = settings.store.sharedNetwork { labels[PlanLabels.sharedNetwork] = shared }
        var mounts = settings.store.needsVolume
            ? [Mount(Type: "volume", Source: ProviderNames.volume(id), Target: ProviderNames.dataMountPath, ReadOnly: false)] : nil
        var environment = [
            "TENANT_PROVIDER=\(id)",
            "TENANT_STORE=\(settings.store.storeURL(for: id))",
            "TENANT_LISTEN=0.0.0.0:\(containerPort)",
        ]
        SecretsPlan.add(settings, role: role, mounts: &mounts, environment: &environment, labels: &labels)
        var request = ContainerCreateRequest(
            Image: settings.image,
            Cmd: [executable],
            Env: environment,
            Labels: labels,
            ExposedPorts: [portKey: EmptyObject()],
            // The servers implement `--health-check`: connect to TENANT_LISTEN locally, exit 0/1.
            // The image has no curl binary, so an HTTP probe from a shell is not an option.
            Healthcheck: HealthConfig(
                Test: ["CMD", executable, "--health-check"], Interval: healthInterval, Timeout: healthTimeout,
                Retries: healthRetries, StartPeriod: healthStartPeriod),
            Tty: false,
            HostConfig: HostConfig(
                PortBindings: [portKey: [PortBinding(HostIp: "", HostPort: String(hostPort))]],
                RestartPolicy: RestartPolicy(Name: "unless-stopped", MaximumRetryCount: 0),
                Mounts: mounts,
                Memory: settings.memoryBytes,
                NanoCpus: settings.nanoCPUs,
                NetworkMode: networkName),
            NetworkingConfig: NetworkingConfig(EndpointsConfig: [networkName: EndpointSettings(Aliases: [alias])])
        )
        let hash = ConfigHash.of(request)
        request.Labels?[Labels.configHash] = hash
        return ContainerPlan(
            role: role, name: ProviderNames.container(role, id), request: request, configHash: hash, hostPort: hostPort)
    }
}

/// The config hash: FNV-1a (64 bit, hex) of the create request's sorted-key JSON, hash
/// label excluded. It detects changed settings; it is not a security boundary, so a
/// fast non-cryptographic hash is enough.
public enum ConfigHash {
    /// The hash of `request` (its own hash label, if any, is ignored).
    public static func of(_ request: ContainerCreateRequest) -> String {
        var request = request
        request.Labels?[Labels.configHash] = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(request)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
