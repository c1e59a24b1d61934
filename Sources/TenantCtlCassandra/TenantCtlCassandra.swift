import Foundation
import TenantCassandra
import TenantCommands

// The Cassandra library's provisioner already has the protocol's methods; the conformance
// lives here so that neither library depends on the other.
extension CassandraKeyspaceProvisioner: KeyspaceProvisioner {}

/// Wires the Cassandra store library into tenantctl (`create-keyspace --store cassandra`,
/// `remove --purge-data`). A separate target so TenantCommands does not link NIO and the
/// CQL client, and so tests exercise the same wiring as the executable.
public enum TenantCtlCassandra {
    /// A factory that parses `--replication` with `Replication(parsing:)` (its error names the
    /// accepted forms) and reads `TENANT_CASSANDRA_USERNAME` / `TENANT_CASSANDRA_PASSWORD`
    /// (and `TENANT_CASSANDRA_REPLICATION` as the default) from `environment`.
    public static func factory(environment: [String: String]) -> CassandraProvisionerFactory {
        { text in
            let replication: Replication? = try text.map { try Replication(parsing: $0) }
            let settings = try CassandraStore.settings(from: environment)
            return CassandraKeyspaceProvisioner(replication: replication, settings: settings)
        }
    }

    /// Registers the Cassandra provisioner for this process (call before `TenantCtl.main()`).
    public static func register(environment: [String: String] = ProcessInfo.processInfo.environment) {
        KeyspaceProvisioners.register(cassandraFactory: factory(environment: environment))
    }
}
