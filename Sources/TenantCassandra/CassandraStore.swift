import CQLClient
import Logging
import TenantModel
import TenantStorage

/// Entry points the binaries call: connect to a cluster, open a provider's store.
public enum CassandraStore {
    /// Environment variables read by ``settings(from:)``.
    public static let usernameVariable = "TENANT_CASSANDRA_USERNAME"
    public static let passwordVariable = "TENANT_CASSANDRA_PASSWORD"
    /// Replication used when a server finds its keyspace missing (`simple:1` if unset).
    public static let replicationVariable = "TENANT_CASSANDRA_REPLICATION"

    /// Settings a binary reads from its environment: credentials (both variables, or none)
    /// and the replication of a keyspace created on first start.
    public struct Settings: Sendable {
        public var credentials: CQLCredentials?
        public var replication: Replication

        public init(credentials: CQLCredentials? = nil, replication: Replication = .simple(factor: 1)) {
            self.credentials = credentials
            self.replication = replication
        }
    }

    /// Reads ``Settings`` from `environment`; the error names the bad variable.
    public static func settings(from environment: [String: String]) throws -> Settings {
        var settings = Settings()
        switch (environment[usernameVariable], environment[passwordVariable]) {
        case (let user?, let password?): settings.credentials = CQLCredentials(username: user, password: password)
        case (nil, nil): break
        default: throw StorageError("set both \(usernameVariable) and \(passwordVariable), or neither")
        }
        if let text = environment[replicationVariable] {
            do {
                settings.replication = try Replication(parsing: text)
            } catch {
                throw StorageError("\(replicationVariable): \(error)")
            }
        }
        return settings
    }

    /// A pooled client for `contactPoints` (nothing connects until the first request).
    public static func client(contactPoints: [HostPort], credentials: CQLCredentials?, logger: Logger) -> CQLClient {
        var configuration = CQLClientConfiguration(
            contactPoints: contactPoints.map { CQLEndpoint(host: $0.host, port: $0.port) }, credentials: credentials)
        configuration.connectionsPerHost = 2
        return CQLClient(configuration: configuration, logger: logger)
    }

    /// Runs `body` with a fresh ``client(contactPoints:credentials:logger:)`` and closes it
    /// afterwards, whether `body` returns or throws (for one-off admin work).
    public static func withClient<T>(
        contactPoints: [HostPort], credentials: CQLCredentials?, logger: Logger, _ body: (CQLClient) async throws -> T
    ) async throws -> T {
        let client = client(contactPoints: contactPoints, credentials: credentials, logger: logger)
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch {
            await client.close()
            throw error
        }
    }

    /// The store of a `cassandra://` store URL, without any I/O: connections open on first
    /// use. For callers that cannot await at construction; call
    /// ``CassandraReadingStore/createSchemaIfMissing(replication:logger:)`` before serving.
    public static func readingStore(
        for url: StoreURL, settings: Settings = Settings(), options: CassandraStoreOptions = CassandraStoreOptions(),
        logger: Logger
    ) throws -> CassandraReadingStore {
        guard case .cassandra(let contactPoints, let keyspaceName) = url else {
            throw StorageError("not a Cassandra store URL: \(url)")
        }
        let keyspace: ProviderID
        do {
            keyspace = try ProviderID(keyspaceName)
        } catch {
            throw StorageError("invalid keyspace in \(url): \(error)")
        }
        return CassandraReadingStore(
            client: client(contactPoints: contactPoints, credentials: settings.credentials, logger: logger),
            keyspace: keyspace, options: options)
    }

    /// Opens the ``ReadingStore`` of a `cassandra://` store URL, creating the keyspace (with
    /// `settings.replication`) and its tables when missing, as the servers do on start
    /// (and all that `--migrate-only` needs). Throws ``StorageError`` for a `sqlite:` URL or
    /// when the cluster cannot be reached.
    public static func openReadingStore(
        _ url: StoreURL, settings: Settings = Settings(), createSchema: Bool = true,
        options: CassandraStoreOptions = CassandraStoreOptions(), logger: Logger
    ) async throws -> CassandraReadingStore {
        let store = try readingStore(for: url, settings: settings, options: options, logger: logger)
        do {
            if createSchema {
                try await store.createSchemaIfMissing(replication: settings.replication, logger: logger)
            } else {
                guard try await CassandraKeyspaceAdmin.exists(keyspace: store.keyspace, on: store.client) else {
                    throw StorageError("cassandra keyspace '\(store.keyspace)' does not exist")
                }
            }
        } catch {
            await store.close()
            throw error is StorageError ? error : StorageError("cannot open \(url): \(error)")
        }
        return store
    }
}

extension CassandraReadingStore {
    /// Creates the keyspace (with `replication`, if it is missing) and any missing table.
    public func createSchemaIfMissing(replication: Replication, logger: Logger) async throws {
        try await CassandraKeyspaceAdmin.create(keyspace: keyspace, replication: replication, on: client, logger: logger)
    }

    /// Closes the store's connections (call on shutdown).
    public func close() async {
        await client.close()
    }
}
