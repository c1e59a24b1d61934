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
                container. Cassandra: uses the registered Cassandra provisioner, or the same one-shot \
                container with --store cassandra://HOSTS/ID.

                Examples:
                  tenantctl create-keyspace acme
                  tenantctl create-keyspace acme --store cassandra --cassandra 10.0.0.5:9042
                """)

        @Argument(help: ArgumentHelp("Provider id (also the keyspace name).", valueName: "ID")) public var id: String
        @Option(help: "Data store of the provider.") public var store: StoreKind = .sqlite
        @Option(name: .customLong("cassandra"), help: ArgumentHelp("Cassandra contact point (needs --store cassandra).", valueName: "HOST:PORT"))
        public var cassandra: [String] = []
        @Option(help: ArgumentHelp("Image carrying tenant-ingest [environment: TENANTCTL_IMAGE].", valueName: "REF")) public var image: String?
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            _ = try storeChoice()
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
            if case .cassandra(let hosts) = store, let provisioner = KeyspaceProvisioners.cassandra {
                try await provisioner.createKeyspace(provider: provider, contactPoints: hosts, logger: logger)
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
