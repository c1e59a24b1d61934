import DockerAPI
import DockerClient
import Logging
import Synchronization
import TenantModel
import TenantPlan

/// Creates a provider's keyspace and schema in Cassandra. The Cassandra store library
/// provides the real implementation; the lead registers it at startup with
/// ``KeyspaceProvisioners/register(cassandra:)``. Until then `create-keyspace --store
/// cassandra` runs `tenant-ingest --migrate-only` against Cassandra in a one-shot container.
public protocol KeyspaceProvisioner: Sendable {
    /// Creates (idempotently) the keyspace named `provider` and its schema.
    func createKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws
}

/// The registered keyspace provisioners.
public enum KeyspaceProvisioners {
    private static let cassandraSlot = Mutex<(any KeyspaceProvisioner)?>(nil)

    /// Registers the Cassandra implementation (call before ``TenantCtl/main()``).
    public static func register(cassandra provisioner: any KeyspaceProvisioner) {
        cassandraSlot.withLock { $0 = provisioner }
    }

    /// The registered Cassandra implementation, if any.
    public static var cassandra: (any KeyspaceProvisioner)? { cassandraSlot.withLock { $0 } }
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
                NetworkMode: store.needsVolume ? "none" : nil))
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
