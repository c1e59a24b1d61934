import ArgumentParser
import TenantModel

extension TenantCtl {
    /// `tenantctl diff -f FILE`.
    public struct FleetDiff: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show what `apply -f FILE` would do to each provider of a fleet file, changing nothing.",
            discussion: """
                One line per provider: create (no container yet), update (with the settings that \
                changed), repair (a container missing or stopped), unchanged, and with --prune remove \
                (carries the fleet's label but is no longer listed). Exit 0 when the engine is in sync \
                with the file, 2 when changes are pending; a file with problems prints one line per \
                problem (FILE:LINE) and exits 64.

                Examples:
                  tenantctl diff -f fleet.yaml
                  tenantctl diff -f fleet.yaml --prune --json
                """)

        @OptionGroup public var fleet: FleetFileOptions
        @OptionGroup public var global: GlobalOptions

        public init() {}

        /// Exit status when changes are pending.
        public static let pendingExitCode: Int32 = 2

        struct Entry: Codable, Sendable {
            var provider: String
            var action: String
            var changes: [String]
            var gatewayPort: Int?
            var adminPort: Int?
        }

        public func run() async throws {
            let file = try fleet.load()
            let (client, orchestrator) = try await global.connect()
            let changes: [FleetChange]
            if case .swarm(let swarm) = orchestrator {
                changes = try await SwarmFleet(client: client, logger: global.logger, swarm: swarm).changes(file, prune: fleet.prune)
            } else {
                let observation = try await FleetObservation.observe(client: client, fleet: file.name, prune: fleet.prune, purgeData: false)
                let reconciler = FleetReconciler(client: client, provisioner: Provisioner(client: client, logger: global.logger))
                changes = try await reconciler.changes(file, observation: observation, prune: fleet.prune)
            }
            let entries = changes.map {
                Entry(provider: $0.provider.rawValue, action: $0.action.rawValue, changes: $0.details, gatewayPort: $0.gatewayPort, adminPort: $0.adminPort)
            }
            if fleet.json {
                try JSONOutput.print(entries)
            } else {
                for change in changes {
                    let details = change.details.isEmpty ? "" : ": " + change.details.joined(separator: ", ")
                    Console.print("\(change.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(change.provider)\(details)")
                }
                let counts = FleetAction.allCases.compactMap { action -> String? in
                    let count = changes.count { $0.action == action }
                    return count == 0 ? nil : "\(count) \(action == .unchanged ? "unchanged" : "to \(action.rawValue)")"
                }
                Console.print("fleet \(file.name): \(counts.isEmpty ? "no providers" : counts.joined(separator: ", "))")
            }
            if changes.contains(where: { $0.action != .unchanged }) { throw ExitCode(Self.pendingExitCode) }
        }
    }
}
