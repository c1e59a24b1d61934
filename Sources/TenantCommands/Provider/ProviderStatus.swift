import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl status`.
    public struct ProviderStatus: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show one provider's state, ports, containers with health, network and volume.",
            discussion: """
                Exits 3 when no Docker object carries the provider's label.

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
            var store: String?
            var image: String?
            var gatewayURL: String?
            var adminURL: String?
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            let label = "\(Labels.provider)=\(provider)"
            async let summaries = providerContainers(client, provider)
            async let networks = client.listNetworks(labels: [label])
            async let volumes = client.listVolumes(labels: [label])
            let host = ProviderInventory.publishedHost(endpoint: client.transport.endpoint)
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
            // The summary has no restart count and shows health only while running: inspect each.
            view = await ProviderInventory.inspect([view], client: client)[0]
            let status = Status(
                provider: view.provider, state: view.containers.isEmpty ? "absent" : view.state, gatewayPort: view.gatewayPort,
                adminPort: view.adminPort, containers: view.containers, network: networkNames.first, volume: volumeNames.first,
                store: view.store, image: view.image, gatewayURL: view.gatewayURL, adminURL: view.adminURL)
            if json {
                try JSONOutput.print(status)
                return
            }
            Console.print("provider \(status.provider): \(status.state) (store \(status.store ?? "-"), image \(status.image ?? "-"))")
            Console.print("  gateway: \(status.gatewayURL ?? "-"), admin: \(status.adminURL ?? "-")")
            for container in status.containers {
                Console.print("  \(container.role) \(container.name): \(ContainerView.summary(container))")
            }
            Console.print("  network: \(status.network ?? "-"), volume: \(status.volume ?? "-")")
        }
    }
}
