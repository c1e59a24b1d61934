import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl status`.
    public struct ProviderStatus: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show one provider's state, store, image, addresses, servers with uptime, health and restarts, live figures, network and volume.",
            discussion: """
                Health is probed now, over the published ports: the gateway port must answer a protocol \
                exchange and the admin port's /health 200, each within 2 s; a hung or dead server shows as \
                unhealthy with the reason. Each server also shows the engine's status with uptime (`Up 5 \
                minutes`) and its restart count. Live figures (gateways connected, readings in the last minute, \
                last reading's age, mails pending) come from the running servers' metrics, read through the \
                engine as `tenantctl top` does. Exits 3 when no Docker object carries the provider's label.

                Examples:
                  tenantctl status acme
                  tenantctl status acme --json | jq .state
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Flag(help: "Print the status as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws { _ = try validatedProviderID(id) }

        struct Status: Codable, Sendable {
            var provider: String
            var state: String
            var gatewayPort: Int?
            var adminPort: Int?
            var containers: [ContainerView]
            var network: String?
            var volume: String?
            /// From the servers' metrics; nil when no container runs.
            var live: LiveFigures?
            var store: String?
            var image: String?
            var gatewayAddress: String?
            var adminURL: String?
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            let label = "\(Labels.provider)=\(provider)"
            async let summaries = providerContainers(client, provider)
            async let networks = client.listNetworks(labels: [label])
            async let volumes = client.listVolumes(labels: [label])
            let host = ServerProbe.host(forEngineEndpoint: client.transport.endpoint)
            var view = ProviderInventory.view(provider: provider.rawValue, summaries: try await summaries, host: host)
            let networkNames: [String]
            let volumeNames: [String]
            do {
                networkNames = try await networks.map(\.Name)
                volumeNames = try await volumes.map(\.Name)
            } catch let error as DockerError {
                throw TenantCtlError("listing objects of \(provider)", error)
            }
            guard !view.containers.isEmpty || !networkNames.isEmpty || !volumeNames.isEmpty else {
                throw TenantCtlError.unknownProvider(provider)
            }
            let listed = view
            async let probed = ProviderHealth.probe(listed, host: host)
            let restarts = await ProviderInventory.readRestarts([listed], client: client)[0]
            view = await probed
            for index in view.containers.indices { view.containers[index].restarts = restarts.containers[index].restarts }
            let status = Status(
                provider: view.provider, state: view.containers.isEmpty ? "absent" : view.state, gatewayPort: view.gatewayPort,
                adminPort: view.adminPort, containers: view.containers, network: networkNames.first, volume: volumeNames.first,
                live: view.containers.contains { $0.state == "running" } ? await LiveFigureReader.read(client, view) : nil,
                store: view.store, image: view.image, gatewayAddress: view.gatewayAddress, adminURL: view.adminURL)
            if json {
                try JSONOutput.print(status)
                return
            }
            Console.print("provider \(status.provider): \(status.state) (store \(status.store ?? "-"), image \(status.image ?? "-"))")
            Console.print("  gateways connect to \(status.gatewayAddress ?? "-"), admin at \(status.adminURL ?? "-")")
            for container in status.containers {
                Console.print("  \(container.role) \(container.name): \(ContainerView.summary(container))")
            }
            Console.print("  network: \(status.network ?? "-"), volume: \(status.volume ?? "-")")
            if let live = status.live {
                Console.print("  live: \(live.summary)")
                for problem in live.problems ?? [] { Console.print("  (no figures from \(problem))") }
            }
        }
    }
}
