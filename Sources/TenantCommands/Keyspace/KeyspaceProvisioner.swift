import DockerAPI
import DockerClient
import Logging
import Synchronization
import TenantModel
import TenantPlan

/// Creates and drops a provider's keyspace in Cassandra. The Cassandra store library
/// provides the real implementation (`CassandraKeyspaceProvisioner`); `TenantCtlCassandra`
/// registers it at startup with ``KeyspaceProvisioners/register(cassandraFactory:)``, so this
/// target needs no Cassandra (NIO) dependency. Without a registration `create-keyspace
/// --store cassandra` runs `tenant-ingest --migrate-only` in a one-shot container instead,
/// and `remove --purge-data` cannot drop a keyspace.
public protocol KeyspaceProvisioner: Sendable {
    /// Creates (idempotently) the keyspace named `provider` and its schema.
    func createKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws
    /// Drops the keyspace named `provider` with all its data; a missing keyspace is not an error.
    func dropKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws
}

/// Makes the Cassandra provisioner for one run from the `--replication` text (nil: the
/// default). It parses the text (`simple:3`, `dc1:3,dc2:2`) and reads credentials from the
/// environment; a thrown error's description is shown as a usage error, so it should name
/// the accepted forms.
public typealias CassandraProvisionerFactory = @Sendable (_ replication: String?) throws -> any KeyspaceProvisioner

/// The registered keyspace provisioners.
public enum KeyspaceProvisioners {
    private static let cassandraSlot = Mutex<CassandraProvisionerFactory?>(nil)

    /// Overrides the registration for the current task (tests).
    @TaskLocal public static var cassandraOverride: CassandraProvisionerFactory?

    /// Registers the Cassandra implementation (call before ``TenantCtl/main()``).
    public static func register(cassandraFactory factory: @escaping CassandraProvisionerFactory) {
        cassandraSlot.withLock { $0 = factory }
    }

    /// Registers one provisioner for every run; `--replication` is then refused.
    public static func register(cassandra provisioner: any KeyspaceProvisioner) {
        register(cassandraFactory: fixed(provisioner))
    }

    /// A factory that always returns `provisioner` and refuses a `--replication` value.
    public static func fixed(_ provisioner: any KeyspaceProvisioner) -> CassandraProvisionerFactory {
        { replication in
            if replication != nil { throw TenantCtlError("the registered Cassandra provisioner does not take a replication setting") }
            return provisioner
        }
    }

    /// The registered Cassandra factory, if any (the task's override first).
    public static var cassandraFactory: CassandraProvisionerFactory? { cassandraOverride ?? cassandraSlot.withLock { $0 } }

    /// The Cassandra provisioner with the default replication, if one is registered.
    public static var cassandra: (any KeyspaceProvisioner)? {
        get throws { try cassandraFactory?(nil) }
    }
}

/// Runs `tenant-ingest --provider ID --store URL --migrate-only` in a one-shot container
/// (the servers create their schema and exit 0), mounting the data volume for SQLite.
public struct MigrationContainer: Sendable {
    /// Engine client.
    public let client: DockerClient
    /// Image carrying tenant-ingest.
    public let image: String
    /// Step log.
    public let logger: Logger

    /// Creates the runner.
    public init(client: DockerClient, image: String, logger: Logger) {
        self.client = client
        self.image = image
        self.logger = logger
    }

    /// The one-shot container's create request.
    public static func request(provider: ProviderID, store: StoreChoice, image: String) -> ContainerCreateRequest {
        let url = store.storeURL(for: provider)
        return ContainerCreateRequest(
            Image: image,
            Cmd: ["tenant-ingest", "--provider", provider.rawValue, "--store", url, "--migrate-only"],
            Env: ["TENANT_PROVIDER=\(provider)", "TENANT_STORE=\(url)"],
            Labels: Planner.labels(provider, .db),
            Tty: false,
            HostConfig: HostConfig(
                Mounts: store.needsVolume
                    ? [Mount(Type: "volume", Source: ProviderNames.volume(provider), Target: ProviderNames.dataMountPath, ReadOnly: false)] : nil,
                // SQLite needs no network; the shared Cassandra is reached on the shared network.
                NetworkMode: store.needsVolume ? "none" : store.sharedNetwork))
    }

    /// Runs the migration and waits; throws with the exit code and the log tail on failure.
    public func run(provider: ProviderID, store: StoreChoice, timeout: Duration = .seconds(300)) async throws {
        let name = ProviderNames.container(.db, provider)
        // A leftover from an interrupted run would block the name.
        do { try await client.removeContainer(id: name, force: true) } catch DockerError.notFound {} catch {
            throw TenantCtlError("removing leftover \(name)", error)
        }
        let id: String
        do { id = try await client.createContainer(name: name, Self.request(provider: provider, store: store, image: image)).Id } catch {
            throw TenantCtlError("creating \(name)", error)
        }
        do {
            try await client.startContainer(id: id)
            let result = try await client.waitContainer(id: id, timeout: timeout)
            if result.StatusCode != 0 {
                var demuxer = LogDemuxer()
                let tail = demuxer.feed((try? await client.logs(id: id, tail: 20)) ?? [])
                    .map { String(decoding: $0.payload, as: UTF8.self) }.joined()
                    .split(separator: "\n").suffix(5).joined(separator: " | ")
                throw TenantCtlError("schema migration for \(provider) exited with code \(result.StatusCode): \(tail.isEmpty ? "no output" : tail)")
            }
        } catch {
            try? await client.removeContainer(id: id, force: true)
            throw TenantCtlError("running \(name)", error)
        }
        try? await client.removeContainer(id: id, force: true)
    }
}
