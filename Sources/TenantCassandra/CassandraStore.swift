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

    /// Opens the ``ReadingStore`` of a `cassandra://` store URL, creating the keyspace (with
    /// `settings.replication`) and its tables when missing, as the servers do on start.
    /// Throws ``StorageError`` for a `sqlite:` URL or when the cluster cannot be reached.
    public static func openReadingStore(
        _ url: StoreURL, settings: Settings = Settings(), createSchema: Bool = true,
        options: CassandraStoreOptions = CassandraStoreOptions(), logger: Logger
    ) async throws -> CassandraReadingStore {
        guard case .cassandra(let contactPoints, let keyspaceName) = url else {
            throw StorageError("not a Cassandra store URL: \(url)")
        }
        let keyspace = try ProviderID(keyspaceName)
        let client = client(contactPoints: contactPoints, credentials: settings.credentials, logger: logger)
        do {
            if createSchema {
                try await CassandraKeyspaceAdmin.create(keyspace: keyspace, replication: settings.replication, on: client, logger: logger)
            } else {
                guard try await CassandraKeyspaceAdmin.exists(keyspace: keyspace, on: client) else {
                    throw StorageError("cassandra keyspace '\(keyspace)' does not exist")
                }
            }
        } catch {
            await client.close()
            throw error is StorageError ? error : StorageError("cannot open \(url): \(error)")
        }
        return CassandraReadingStore(client: client, keyspace: keyspace, options: options)
    }
}

extension CassandraReadingStore {
    /// Closes the store's connections (call on shutdown).
    public func close() async {
        await client.close()
    }
}
