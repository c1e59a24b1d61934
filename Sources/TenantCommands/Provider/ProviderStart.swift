import ArgumentParser
import DockerClient
import TenantPlan

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
        @Option(help: "On a swarm: publish the ports on the node that runs each task (host) or on every node (ingress, needs IPVS).")
        public var publishMode: PublishMode = .host
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let request = try provider.request()
            let (client, orchestrator) = try await global.connect()
            if case .swarm = orchestrator {
                try await runOnSwarm(request, client: client)
                return
            }
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

        /// The swarm run: services instead of containers; `--no-wait` still waits (bounded) for
        /// the tasks to run, as the engine's run returns once its containers are started.
        private func runOnSwarm(_ request: ProvisionRequest, client: DockerClient) async throws {
            var provisioner = SwarmProvisioner(client: client, logger: global.logger)
            provisioner.publishMode = publishMode
            let outcome = try await provisioner.start(request)
            var result = outcome.result
            if !json { printStarted(result) }
            var failure: TenantCtlError?
            do {
                let host = try await SwarmReadiness(client: client).wait(
                    provider: request.id, gatewayPort: result.gatewayPort, adminPort: result.adminPort, previous: outcome.previousTasks,
                    probe: wait.timeout != nil, timeout: .seconds(wait.waitTimeout))
                if let host { result.locate(host: host) }
                result.ready = wait.timeout != nil
            } catch let error as TenantCtlError {
                failure = error
                result.ready = false
            }
            if json { try JSONOutput.print(result) }
            if let failure { throw failure }
            if !json {
                let state = result.ready == true ? "ready" : "running (servers not probed)"
                Console.print("provider \(result.provider) is \(state) on the swarm: gateways connect to \(result.gatewayAddress ?? "-"), admin at \(result.adminURL ?? "-")")
            }
        }

        private func printStarted(_ result: ProvisionResult) {
            if result.changes.isEmpty {
                Console.print("provider \(result.provider) was already running (gateway port \(result.gatewayPort), admin port \(result.adminPort))")
            } else {
                for change in result.changes { Console.print("  \(change)") }
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

extension PublishMode: ExpressibleByArgument {}
