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

                Returns when the provider is ready: its gateway port answers a protocol exchange and its admin \
                /health answers 200 (probed on the engine's host). A server that exits while starting fails the \
                run at once with its last log line (exit 1); one that is not ready within --wait-timeout exits 75 \
                naming what is not ready. --no-wait returns once the containers are started.

                On the first start the admin password is generated and printed once; only its hash reaches \
                the admin container (TENANT_ADMIN_BOOTSTRAP_HASH), which uses it while no staff account exists.

                Examples:
                  tenantctl start-provider acme
                  tenantctl start-provider acme --gateway-port 6010 --admin-port 8090 --json
                  tenantctl start-provider acme --store cassandra --cassandra 10.0.0.5:9042
                """)

        @OptionGroup public var provider: ProviderOptions
        @OptionGroup public var wait: WaitOptions
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let request = try provider.request()
            let client = try await global.client()
            var result = try await Provisioner(client: client, logger: global.logger).start(request)
            let host = ServerProbe.host(forEngineEndpoint: client.transport.endpoint)
            result.locate(host: host)
            // The password is printed before waiting: a run that then times out has still
            // created the account's only copy of it.
            if !json { printStarted(result) }
            var failure: ProviderReadiness.NotReady?
            if let timeout = wait.timeout {
                do {
                    try await ProviderReadiness(client: client, host: host).wait(
                        provider: request.id, gatewayPort: result.gatewayPort, adminPort: result.adminPort, timeout: timeout)
                    result.ready = true
                } catch { failure = error; result.ready = false }
            }
            if json { try JSONOutput.print(result) }
            if let failure { throw TenantCtlError(failure.description, exitCode: failure.exitCode) }
            if !json {
                let state = result.ready == true ? "ready" : "started (not waited for)"
                Console.print("provider \(result.provider) is \(state): gateways connect to \(result.gatewayAddress ?? "-"), admin at \(result.adminURL ?? "-")")
            }
        }

        private func printStarted(_ result: ProvisionResult) {
            if result.changes.isEmpty {
                Console.print("provider \(result.provider) was already running (gateway port \(result.gatewayPort), admin port \(result.adminPort))")
            } else {
                for change in result.changes { Console.print("  \(change)") }
            }
            if let password = result.adminPassword {
                let scope = result.adminPasswordIfNoAccount == true ? "; applies only if this provider has no staff account yet" : ""
                Console.print("admin password for user 'admin' (shown once, store it now\(scope)): \(password)")
            }
        }
    }
}
