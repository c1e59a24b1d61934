import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl create-keyspace`.
    public struct KeyspaceCreate: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "create-keyspace",
            abstract: "Create a provider's keyspace and schema in its data store (idempotent).",
            discussion: """
                SQLite: creates the labelled data volume if missing and runs \
                `tenant-ingest --provider ID --store sqlite:/data/ID.db --migrate-only` in a one-shot \
                container. Cassandra: creates the keyspace (with --replication; an existing keyspace keeps \
                its replication) and its tables through the Cassandra client, at the --cassandra contact \
                points, or without --cassandra at the shared container of `tenantctl db start` (its \
                published port on 127.0.0.1). Credentials come from TENANT_CASSANDRA_USERNAME and \
                TENANT_CASSANDRA_PASSWORD (both or neither; never printed).

                Examples:
                  tenantctl create-keyspace acme
                  tenantctl create-keyspace acme --store cassandra --cassandra 10.0.0.5:9042 --replication simple:3
                  tenantctl create-keyspace acme --store cassandra --cassandra 10.0.0.5 --replication dc1:3,dc2:2
                  tenantctl create-keyspace acme --store cassandra
                """)

        @Argument(help: ArgumentHelp("Provider id (also the keyspace name).", valueName: "ID")) public var id: String
        @Option(help: "Data store of the provider.") public var store: StoreKind = .sqlite
        @Option(name: .customLong("cassandra"), help: ArgumentHelp("Cassandra contact point (needs --store cassandra).", valueName: "HOST:PORT"))
        public var cassandra: [String] = []
        @Option(
            help: ArgumentHelp(
                "Replication of a new Cassandra keyspace: simple:FACTOR (SimpleStrategy) or DC:FACTOR[,DC:FACTOR...] (NetworkTopologyStrategy) [default: TENANT_CASSANDRA_REPLICATION, else simple:1].",
                valueName: "SPEC"))
        public var replication: String?
        @Option(help: ArgumentHelp("Image carrying tenant-ingest [environment: TENANTCTL_IMAGE].", valueName: "REF")) public var image: String?
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            let store = try storeChoice()
            if replication != nil, !store.isCassandra { throw ValidationError("--replication needs --store cassandra") }
            // Builds the provisioner now so a bad --replication or half-set credentials are
            // usage errors before any connection.
            if store.isCassandra { _ = try Self.cassandraProvisioner(replication: replication) }
        }

        /// The registered Cassandra provisioner for `replication`; nil when none is registered
        /// (and no replication is asked for). A bad replication is a usage error.
        static func cassandraProvisioner(replication: String?) throws -> (any KeyspaceProvisioner)? {
            guard let factory = KeyspaceProvisioners.cassandraFactory else {
                if replication != nil { throw ValidationError("--replication needs the Cassandra provisioner, which this tenantctl build does not register") }
                return nil
            }
            do { return try factory(replication) } catch { throw ValidationError("\(error)") }
        }

        struct Result: Codable, Sendable {
            var provider: String
            var store: String
            var ready: Bool
        }

        func report(_ provider: ProviderID, _ store: StoreChoice) throws {
            if json {
                try JSONOutput.print(Result(provider: provider.rawValue, store: store.storeURL(for: provider), ready: true))
            } else {
                Console.print("keyspace \(provider) is ready (\(store.storeURL(for: provider)))")
            }
        }

        func storeChoice() throws -> StoreChoice {
            var options = ProviderOptions()
            options.id = id
            options.store = store
            options.cassandra = cassandra
            return try options.storeChoice()
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let store = try storeChoice()
            let logger = global.logger
            if store.isCassandra, let provisioner = try Self.cassandraProvisioner(replication: replication) {
                let hosts = try await SharedDatabase.hostContactPoints(for: store) { try await global.client() }
                do { try await provisioner.createKeyspace(provider: provider, contactPoints: hosts, logger: logger) } catch {
                    throw TenantCtlError("creating keyspace \(provider) at \(hosts.map(\.description).joined(separator: ","))", error)
                }
                try report(provider, store)
                return
            }
            let client = try await global.client()
            if let volume = Planner.plan(ProviderSettings(id: provider, image: "", gatewayPort: 1, adminPort: 2, store: store)).volume {
                // Volume create is idempotent in the engine: an existing volume is returned unchanged.
                do { _ = try await client.createVolume(volume) } catch { throw TenantCtlError("creating volume \(volume.Name)", error) }
            }
            try await MigrationContainer(client: client, image: imageOrDefault(image), logger: logger).run(provider: provider, store: store)
            try report(provider, store)
        }
    }
}
