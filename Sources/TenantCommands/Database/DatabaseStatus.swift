import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl db status`.
    public struct DatabaseStatus: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the shared Cassandra container's state, health, port, volume and network.",
            discussion: """
                State is running, exited (stopped), created or absent; health is the image's health check \
                (starting, healthy, unhealthy). No shared database container prints state absent and exits 3.

                Examples:
                  tenantctl db status
                  tenantctl db status --json
                """)

        @Flag(help: "Print the status as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        struct Status: Codable, Sendable {
            var container: String
            var state: String
            var health: String?
            var port: Int?
            var image: String?
            var network: String?
            var volume: String?
            var contactPoint: String
        }

        public func run() async throws {
            let client = try await global.client()
            async let summary = SharedDatabase.observe(client)
            async let network = objectExists { try await client.inspectNetwork(id: SharedDatabaseNames.network) }
            async let volume = objectExists { try await client.inspectVolume(name: SharedDatabaseNames.volume) }
            let container = try await summary
            var status = Status(
                container: container?.name ?? SharedDatabaseNames.container, state: container?.State ?? "absent", health: nil,
                port: container.flatMap { ObservedContainer($0).hostPort }, image: container?.Image,
                network: try await network ? SharedDatabaseNames.network : nil, volume: try await volume ? SharedDatabaseNames.volume : nil,
                contactPoint: SharedDatabaseNames.contactPoint.description)
            if let container, let inspect = try? await client.inspectContainer(id: container.Id) {
                status.health = inspect.State.Health?.Status
            }
            if json {
                try JSONOutput.print(status)
            } else {
                Console.print("shared database \(status.container): \(status.state)\(status.health.map { ", \($0)" } ?? "")")
                Console.print("  port: \(status.port.map(String.init) ?? "-"), image: \(status.image ?? "-")")
                Console.print("  network: \(status.network ?? "-"), volume: \(status.volume ?? "-"), providers' contact point: \(status.contactPoint)")
            }
            if container == nil {
                throw TenantCtlError("no shared database container: run `tenantctl db start --image REF`", exitCode: ExitStatus.notFound)
            }
        }
    }
}
