import CQLClient
import Logging
import TenantModel

/// One-shot keyspace operations for `tenantctl`: connect, act, close.
///
/// `createKeyspace(provider:contactPoints:logger:)` has the shape of the provisioning branch's
/// `KeyspaceProvisioner` protocol, so registering it is
/// `extension CassandraKeyspaceProvisioner: KeyspaceProvisioner {}` plus
/// `KeyspaceProvisioners.register(cassandra: CassandraKeyspaceProvisioner(...))`.
public struct CassandraKeyspaceProvisioner: Sendable {
    /// Replication of keyspaces created (`--replication`); existing keyspaces keep theirs.
    public var replication: Replication
    /// Credentials and defaults from the environment.
    public var settings: CassandraStore.Settings

    /// `replication` nil takes the environment's (`TENANT_CASSANDRA_REPLICATION`, else `simple:1`).
    public init(replication: Replication? = nil, settings: CassandraStore.Settings) {
        self.replication = replication ?? settings.replication
        self.settings = settings
    }

    /// Creates (idempotently) the keyspace named `provider` and its tables.
    public func createKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
        try await withClient(contactPoints, logger) { client in
            try await CassandraKeyspaceAdmin.create(keyspace: provider, replication: replication, on: client, logger: logger)
        }
    }

    /// Drops the keyspace named `provider` with all its data (`remove --purge-data`); a
    /// missing keyspace is not an error.
    public func dropKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
        try await withClient(contactPoints, logger) { client in
            try await CassandraKeyspaceAdmin.drop(keyspace: provider, on: client, logger: logger)
        }
    }

    /// Whether the keyspace named `provider` exists.
    public func keyspaceExists(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws -> Bool {
        try await withClient(contactPoints, logger) { client in
            try await CassandraKeyspaceAdmin.exists(keyspace: provider, on: client)
        }
    }

    private func withClient<T: Sendable>(
        _ contactPoints: [HostPort], _ logger: Logger, _ body: (CQLClient) async throws -> T
    ) async throws -> T {
        try await CassandraStore.withClient(contactPoints: contactPoints, credentials: settings.credentials, logger: logger, body)
    }
}
