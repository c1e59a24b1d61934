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
    /// No engine health check: the engine runs one by spawning a process in the container
    /// (`docker exec`), ~60 ms of CPU across dockerd, containerd, runc and the probe each
    /// time. At a 5 s interval that was 2.5% of a core per idle provider; at the interval
    /// that would meet 0.1% (~2 min) a hung server would stay "healthy" for minutes.
    /// tenantctl probes the servers itself instead, over their published ports, when it is
    /// asked (`start-provider` waits for it, `status` and `list` show it): zero idle cost,
    /// and a hung or dead server shows within the probe's timeout. `["NONE"]` also turns off
    /// the image's own HEALTHCHECK, which stays for running the image by hand.
    static let healthCheck = HealthConfig(Test: ["NONE"])

    /// Least privilege for both servers: they need no capability (unprivileged ports start
    /// at 0 inside a container's network namespace since engine 20.10), never gain any
    /// (no setuid), write only to the data volume and a small /tmp, run a bounded number of
    /// threads, and keep bounded, rotated logs.
    static let droppedCapabilities = ["ALL"]
    static let securityOptions = ["no-new-privileges"]
    static let tmpfs = ["/tmp": "rw,noexec,nosuid,nodev,size=16m"]
    /// The size in `tmpfs`, for swarm tasks (whose tmpfs mounts take a size, not mount options).
    static let tmpSizeBytes: Int64 = 16 * 1024 * 1024
    /// Processes and threads: NIO and the concurrency pool size themselves by CPUs, so this
    /// leaves room for large hosts while stopping a runaway spawn.
    static let pidsLimit: Int64 = 512
    static let logConfig = LogConfig(Type: "json-file", Config: ["max-size": "10m", "max-file": "3"])

    /// One containerd shim for both containers of a provider, as Kubernetes has one per pod.
    /// Each shim is a Go process that, idle, forces a garbage collection every 30 s: ~0.03%
    /// of a core and ~4 MB each. The runc shim groups the containers whose OCI spec carries
    /// the same value under this annotation; engines pass annotations from API 1.43
    /// (Docker 24). Not part of the config hash: containers created before keep their own
    /// shims until something else recreates them, rather than restarting on upgrade.
    public static let shimGroupAnnotation = "io.containerd.runc.v2.group"
    /// The first Engine API version that passes `HostConfig.Annotations` to the runtime.
    public static let annotationsMinimumVersion = APIVersion(1, 43)

    /// The runtime annotations of provider `id`'s containers on an engine speaking `version`;
    /// nil where the engine has none.
    public static func runtimeAnnotations(_ id: ProviderID, engine version: APIVersion) -> [String: String]? {
        version >= annotationsMinimumVersion ? [shimGroupAnnotation: "tenantctl-\(id)"] : nil
    }

    /// `container`'s create request for an engine speaking `version`.
    public static func createRequest(_ container: ContainerPlan, provider id: ProviderID, engine version: APIVersion) -> ContainerCreateRequest {
        var request = container.request
        request.HostConfig?.Annotations = runtimeAnnotations(id, engine: version)
        return request
    }

    /// The plan for `settings`.
    public static func plan(_ settings: ProviderSettings) -> ProviderPlan {
        let id = settings.id
        let network = NetworkCreateRequest(
            Name: ProviderNames.network(id), Driver: "bridge", Labels: labels(id, .network, fleet: settings.fleet), CheckDuplicate: true,
            IPAM: settings.subnet.map { IPAMSettings(Config: [IPAMPool(Subnet: $0.description)]) })
        let volume = settings.store.needsVolume
            ? VolumeCreateRequest(Name: ProviderNames.volume(id), Driver: "local", Labels: labels(id, .data, fleet: settings.fleet)) : nil
        let containers = [
            container(settings, role: .ingest, executable: "tenant-ingest", containerPort: ProviderNames.ingestContainerPort,
                      hostPort: settings.gatewayPort, alias: "ingest"),
            container(settings, role: .admin, executable: "tenant-admin", containerPort: ProviderNames.adminContainerPort,
                      hostPort: settings.adminPort, alias: "admin"),
        ]
        return ProviderPlan(settings: settings, network: network, volume: volume, containers: containers)
    }

    /// The contract's labels for an object of `role`, plus the fleet's when it has one.
    public static func labels(_ id: ProviderID, _ role: Role, fleet: String? = nil) -> [String: String] {
        var labels = [Labels.provider: id.rawValue, Labels.role: role.rawValue]
        if let fleet { labels[Labels.fleet] = fleet }
        return labels
    }

    private static func container(
        _ settings: ProviderSettings, role: Role, executable: String, containerPort: Int, hostPort: Int, alias: String
    ) -> ContainerPlan {
        let id = settings.id
        let portKey = "\(containerPort)/tcp"
        let networkName = ProviderNames.network(id)
        // The fleet label is part of the config hash: a provider moved to another fleet is
        // relabelled (recreated), so the old fleet's `apply --prune` can no longer take it.
        // Without a fleet the labels, and so the hash, are those of earlier versions.
        var labels = labels(id, role, fleet: settings.fleet)
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
            "TENANT_METRICS_LISTEN=0.0.0.0:\(ProviderNames.metricsContainerPort)",
        ]
        // The panel shows staff where gateways connect: the published ingest port.
        if role == .admin { environment.append("TENANT_GATEWAY_PORT=\(settings.gatewayPort)") }
        if role == .ingest, let tls = settings.gatewayTLS {
            environment.append("TENANT_TLS=\(tls.mode)")
            labels[PlanLabels.gatewayTLS] = tls.label
        }
        SecretsPlan.add(settings, role: role, mounts: &mounts, environment: &environment, labels: &labels)
        var request = ContainerCreateRequest(
            Image: settings.image,
            Cmd: [executable],
            Env: environment,
            Labels: labels,
            ExposedPorts: [portKey: EmptyObject()],
            Healthcheck: healthCheck,
            Tty: false,
            HostConfig: HostConfig(
                PortBindings: [portKey: [PortBinding(HostIp: "", HostPort: String(hostPort))]],
                RestartPolicy: RestartPolicy(Name: "unless-stopped", MaximumRetryCount: 0),
                Mounts: mounts,
                Memory: settings.memoryBytes,
                NanoCpus: settings.nanoCPUs,
                NetworkMode: networkName,
                CapDrop: droppedCapabilities,
                SecurityOpt: securityOptions,
                ReadonlyRootfs: true,
                PidsLimit: pidsLimit,
                Tmpfs: tmpfs,
                LogConfig: logConfig),
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
        return of(encoded: request)
    }

    /// The hash of `value`'s sorted-key JSON (a swarm service spec, its hash label removed first).
    static func of(encoded value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
