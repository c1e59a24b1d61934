import TenantModel

/// Where a provider's data lives, as `start-provider --store` chooses it.
public enum StoreChoice: Sendable, Hashable {
    /// One SQLite file per provider on the provider's data volume.
    case sqlite
    /// A keyspace named after the provider on these Cassandra contact points.
    case cassandra([HostPort])
    /// A keyspace named after the provider on the shared Cassandra container that
    /// `tenantctl db start` runs; the provider's containers also join the shared network.
    case sharedCassandra

    /// The `TENANT_STORE` value the servers receive for `provider`.
    public func storeURL(for provider: ProviderID) -> String {
        switch self {
        case .sqlite: return "sqlite:\(ProviderNames.dataMountPath)/\(provider).db"
        case .cassandra(let hosts): return StoreURL.cassandra(contactPoints: hosts, keyspace: provider.rawValue).description
        case .sharedCassandra: return StoreURL.cassandra(contactPoints: [SharedDatabaseNames.contactPoint], keyspace: provider.rawValue).description
        }
    }

    /// Whether the store is Cassandra (given contact points or the shared container).
    public var isCassandra: Bool {
        if case .sqlite = self { return false }
        return true
    }

    /// The shared database's network if the provider uses that database (the value of
    /// ``PlanLabels/sharedNetwork``). The provider's containers do not join it: the database
    /// container joins the provider's network instead.
    public var sharedNetwork: String? {
        if case .sharedCassandra = self { return SharedDatabaseNames.network }
        return nil
    }

    /// Whether the provider needs its data volume.
    public var needsVolume: Bool {
        if case .sqlite = self { return true }
        return false
    }
}

/// Everything that decides what `start-provider` creates for one provider.
public struct ProviderSettings: Sendable, Hashable {
    /// The provider.
    public var id: ProviderID
    /// Image carrying `tenant-ingest` and `tenant-admin`.
    public var image: String
    /// Host port published for the gateway protocol (container port 6000).
    public var gatewayPort: Int
    /// Host port published for the admin web app (container port 80).
    public var adminPort: Int
    /// Data store.
    public var store: StoreChoice
    /// Memory limit per container in bytes; nil for none.
    public var memoryBytes: Int64?
    /// CPU limit per container in 1e-9 CPUs; nil for none.
    public var nanoCPUs: Int64?
    /// The fleet that manages the provider (label ``Labels/fleet``); nil when started by hand.
    public var fleet: String?
    /// Digests of the provider's secrets by kind (``SecretKind/digest(of:provider:)``): the
    /// plan never holds a secret's value, only which exist and a digest to detect changes.
    public var secretDigests: [SecretKind: String] = [:]
    /// The platform mail relay every admin app uses unless its staff set their own server.
    public var smtpRelay: SMTPRelay?
    /// TLS on the gateway port; nil is plain TCP.
    public var gatewayTLS: GatewayTLSPlan?
    /// The subnet of the provider's network when this run creates it; nil leaves the choice
    /// to the engine. An existing network keeps its subnet: this is not part of the
    /// containers' config hash.
    public var subnet: IPv4Block?

    /// Default memory limit per container: 512 MiB.
    public static let defaultMemoryBytes: Int64 = 512 * 1024 * 1024
    /// Default CPU limit per container: one CPU.
    public static let defaultNanoCPUs: Int64 = 1_000_000_000

    /// Creates settings.
    public init(
        id: ProviderID, image: String, gatewayPort: Int, adminPort: Int, store: StoreChoice = .sqlite,
        memoryBytes: Int64? = ProviderSettings.defaultMemoryBytes, nanoCPUs: Int64? = ProviderSettings.defaultNanoCPUs,
        subnet: IPv4Block? = nil, fleet: String? = nil
    ) {
        self.id = id
        self.image = image
        self.gatewayPort = gatewayPort
        self.adminPort = adminPort
        self.store = store
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.fleet = fleet
        self.subnet = subnet
    }
}

/// Docker object names. Containers keep the names of the original deployment scripts
/// (`remote_server_ID`, `admin_panel_ID`) so that existing runbooks recognise them.
public enum ProviderNames {
    /// Where the secrets volume is mounted (read-only) in the containers that use a secret.
    public static let secretsMountPath = "/run/secrets/tenant"
    /// uid and gid of the image's user (`tenant`, see image/), owner of the secret files.
    public static let imageUserID: UInt32 = 10001
    /// Where the data volume is mounted in both containers.
    public static let dataMountPath = "/data"
    /// Port tenant-ingest listens on inside its container.
    public static let ingestContainerPort = 6000
    /// Port tenant-admin listens on inside its container.
    public static let adminContainerPort = 80
    /// Port both servers serve `/metrics` on inside their containers, without a token: on the
    /// provider's network only, never published (tenantctl reads it with `--print-metrics`).
    public static let metricsContainerPort = 9464

    /// The provider's bridge network.
    public static func network(_ id: ProviderID) -> String { "tenantctl_\(id)" }
    /// The provider's data volume.
    public static func volume(_ id: ProviderID) -> String { "tenantctl_\(id)_data" }
    /// The provider's secrets volume: secret files only, never in data backups.
    public static func secretsVolume(_ id: ProviderID) -> String { "tenantctl_\(id)_secrets" }
    /// The one-shot container (created, never started, then removed) through which
    /// tenantctl writes the secrets volume.
    public static func secretsContainer(_ id: ProviderID) -> String { "tenantctl_secrets_\(id)" }
    /// The container of `role` (ingest or admin).
    public static func container(_ role: Role, _ id: ProviderID) -> String {
        switch role {
        case .ingest: return "remote_server_\(id)"
        case .admin: return "admin_panel_\(id)"
        case .db: return "tenantctl_keyspace_\(id)"
        case .network: return network(id)
        case .data: return volume(id)
        case .secrets: return secretsContainer(id)
        }
    }
}

/// Labels tenantctl adds beyond the contract's `io.tenantctl.*` keys.
public enum PlanLabels {
    /// The host port a container publishes, so `list` reports ports of stopped containers
    /// and a re-run keeps them without inspecting.
    public static let hostPort = "io.tenantctl.host-port"
    /// The host address the shared database publishes CQL on (`db start --publish`), kept by a re-run.
    public static let hostIP = "io.tenantctl.host-ip"
    /// The store URL of a Cassandra provider's containers (`cassandra://HOSTS/ID`; never
    /// credentials, which the URL cannot carry), so `remove --purge-data` knows which
    /// keyspace to drop. Absent on SQLite containers, whose config hash stays as it was.
    public static let store = "io.tenantctl.store"
    /// Marks the containers of a provider that uses the shared Cassandra container (value:
    /// that container's own network, `tenantctl_shared`). The provider's containers stay on
    /// their own network only; the database container joins each such provider's network.
    public static let sharedNetwork = "io.tenantctl.shared-network"
    /// Prefix of one label per secret a container uses (`io.tenantctl.secret.smtp-password`):
    /// the value is ``SecretKind/digest(of:provider:)`` of the secret (never the secret), so a
    /// changed secret changes the config hash of exactly the containers that use it. The
    /// settings key, generated once and never read back, has an empty value.
    public static let secretPrefix = "io.tenantctl.secret."
    /// On the ingest container when its gateway port speaks TLS: mode, and whether the
    /// certificate is generated (with its host names) or the user's (whose digest labels
    /// follow the files). Absent without TLS, so plain providers keep their config hash.
    public static let gatewayTLS = "io.tenantctl.gateway-tls"

    /// How the secrets named by two label sets differ (`secret smtp-password: changed`), by
    /// name only: the labels hold digests, and no value is ever shown.
    public static func secretChanges(from old: [String: String], to new: [String: String]) -> [String] {
        let labels = Set(old.keys.filter { $0.hasPrefix(secretPrefix) }).union(new.keys.filter { $0.hasPrefix(secretPrefix) })
        return labels.sorted().filter { old[$0] != new[$0] }.map { label in
            "secret \(label.dropFirst(secretPrefix.count)): \(old[label] == nil ? "added" : new[label] == nil ? "removed" : "changed")"
        }
    }
}

/// Parses `--memory` and `--cpus` values.
public enum ResourceParsing {
    /// `512m`, `1g`, `256MiB`, `1048576` (bytes) → bytes; nil when malformed or below 6 MiB
    /// (the engine's minimum).
    public static func memoryBytes(_ text: String) -> Int64? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let digits = lower.prefix { $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        let multiplier: Int64
        switch lower.dropFirst(digits.count) {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1024
        case "m", "mb", "mib": multiplier = 1024 * 1024
        case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes >= 6 * 1024 * 1024 else { return nil }
        return bytes
    }

    /// `1`, `0.5`, `2.25` → nano-CPUs; nil when malformed or not positive.
    public static func nanoCPUs(_ text: String) -> Int64? {
        guard let value = Double(text), value > 0, value <= 1024 else { return nil }
        return Int64((value * 1e9).rounded())
    }
}

import Foundation
