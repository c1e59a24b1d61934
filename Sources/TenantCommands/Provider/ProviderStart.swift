import ArgumentParser

extension TenantCtl {
    /// `tenantctl start-provider`.
    public struct ProviderStart: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "start-provider",
            abstract: "Create or repair a provider's network, data volume and containers, and start them.",
            discussion: """
                Idempotent: a provider that is up is left alone (exit 0); a missing or stopped container is \
                recreated or started; changed settings recreate only the containers they affect. If a step \
                fails, what this run created is removed and what existed before is left as it was.

                On the first start the admin password is generated and printed once; only its hash reaches \
                the admin container (TENANT_ADMIN_BOOTSTRAP_HASH), which uses it while no staff account exists.

                Examples:
                  tenantctl start-provider acme
                  tenantctl start-provider acme --gateway-port 6010 --admin-port 8090 --json
                  tenantctl start-provider acme --store cassandra --cassandra 10.0.0.5:9042
                """)

        @OptionGroup public var provider: ProviderOptions
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let request = try provider.request()
            let client = try await global.client()
            let result = try await Provisioner(client: client, logger: global.logger).start(request)
            if json {
                try JSONOutput.print(result)
                return
            }
            if result.changes.isEmpty {
                Console.print("provider \(result.provider) is already running (gateway port \(result.gatewayPort), admin port \(result.adminPort))")
            } else {
                for change in result.changes { Console.print("  \(change)") }
                Console.print("provider \(result.provider) is running (gateway port \(result.gatewayPort), admin port \(result.adminPort))")
            }
            if let password = result.adminPassword { Console.print(Self.passwordLine(password, ifNoAccount: result.adminPasswordIfNoAccount == true)) }
        }

        /// The line that shows a new provider's bootstrap password (also `apply`'s).
        static func passwordLine(_ password: String, ifNoAccount: Bool) -> String {
            let scope = ifNoAccount ? "; applies only if this provider has no staff account yet" : ""
            return "admin password for user 'admin' (shown once, store it now\(scope)): \(password)"
        }
    }
}
