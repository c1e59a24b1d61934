import ArgumentParser
import DockerAPI
import DockerClient
import Foundation

extension TenantCtl {
    /// `tenantctl plan`.
    public struct ProviderPlan: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Print the Engine API requests start-provider would send, as JSON, without sending them.",
            discussion: """
                Reads the engine's state (version, containers, network, volume) exactly as start-provider \
                does, then prints every changing request in order: method, path and body. An empty array \
                (`[]`, with a line on stderr) means start-provider would change nothing; a requested port \
                that another container or process holds is an error naming the holder (exit 4). The bootstrap password hash is shown as a \
                placeholder; parallel steps are listed in a fixed order. The archive of secret files shows \
                names, modes and owners, never contents (the settings key appears as new whenever no \
                container exists through which tenantctl could see the existing one).

                Examples:
                  tenantctl plan acme
                  tenantctl plan acme --gateway-port 6010 | jq '.[].path'

                On a swarm manager the requests are those of the swarm run: network, secrets (values not shown) \
                and service create/update calls with the whole spec.
                """)

        @OptionGroup public var provider: ProviderOptions
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let request = try provider.request()
            let (real, orchestrator) = try await global.connect()
            let dryRun = DryRun(against: real, logger: global.logger, placeholderHash: "<hash of the generated admin password>")
            let result: ProvisionResult
            if case .swarm = orchestrator {
                // The same run as start-provider on the swarm, its service/secret/network calls recorded.
                result = try await dryRun.swarmProvisioner.start(request).result
            } else {
                result = try await dryRun.provisioner.start(request)
            }
            let recorded = await dryRun.recorder.recorded()
            try JSONOutput.print(recorded, snakeCase: false)
            // stdout stays one JSON document; the human line goes beside it.
            if recorded.isEmpty {
                Console.printError(
                    "provider \(result.provider) is up to date (gateway port \(result.gatewayPort), admin port \(result.adminPort)): start-provider would change nothing")
            }
        }
    }
}
