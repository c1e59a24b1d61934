import ArgumentParser

extension TenantCtl {
    /// `tenantctl db`: the shared Cassandra container.
    public struct DatabaseCommand: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Run the shared Cassandra container that Cassandra providers use by default.",
            discussion: """
                One Cassandra container (tenantctl_db) for every provider started with --store cassandra \
                and no --cassandra. Its data lives in the volume tenantctl_db_data; it listens on the \
                network tenantctl_shared and joins each of those providers' own networks (providers never \
                share one), and publishes CQL on a host port (9042 by default). These objects carry io.tenantctl.role (db, data, network) and no \
                provider label.

                Examples:
                  tenantctl db start --image cassandra:4.1
                  tenantctl db status --json
                  tenantctl db stop
                """,
            subcommands: [DatabaseStart.self, DatabaseStop.self, DatabaseStatus.self])

        public init() {}
    }
}
