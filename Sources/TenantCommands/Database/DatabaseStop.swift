import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl db stop`.
    public struct DatabaseStop: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract: "Stop the shared Cassandra container; its data volume and network are kept.",
            discussion: """
                Providers using the shared database lose their store until `tenantctl db start`. Stopping \
                a stopped container exits 0; no shared database container exits 3.

                Examples:
                  tenantctl db stop
                  tenantctl db stop --grace 120 --json
                """)

        @Option(help: ArgumentHelp("Seconds to wait after SIGTERM before SIGKILL (Cassandra flushes on SIGTERM).", valueName: "SECONDS"))
        public var grace = 60
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            guard (0...600).contains(grace) else { throw ValidationError("--grace must be 0 to 600 seconds") }
        }

        struct Result: Codable, Sendable {
            var container: String
            var state: String
            var changed: Bool
        }

        public func run() async throws {
            let client = try await global.client()
            guard let container = try await SharedDatabase.observe(client) else {
                throw TenantCtlError("no shared database container (\(SharedDatabaseNames.container)) exists", exitCode: ExitStatus.notFound)
            }
            // Not a refusal (an operator may stop it on purpose), but say who loses their store.
            if let users = try? await client.listContainers(all: false, labels: [PlanLabels.sharedNetwork]) {
                let providers = Set(users.compactMap { $0.Labels?[Labels.provider] }).sorted()
                if !providers.isEmpty {
                    Console.printError(
                        "warning: providers \(providers.joined(separator: ", ")) use the shared database; their store is unavailable until `tenantctl db start`")
                }
            }
            var changed = true
            do { try await client.stopContainer(id: container.Id, timeout: grace) } catch DockerError.notModified { changed = false } catch {
                throw TenantCtlError("stopping \(container.name)", error)
            }
            let result = Result(container: container.name, state: "exited", changed: changed)
            if json {
                try JSONOutput.print(result)
            } else {
                Console.print(changed ? "stopped \(container.name) (data kept in \(SharedDatabaseNames.volume))" : "\(container.name) is already stopped")
            }
        }
    }
}
