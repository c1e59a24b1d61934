import ArgumentParser
import DockerClient
import TenantModel

extension TenantCtl {
    /// `tenantctl restart`.
    public struct ProviderRestart: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "restart",
            abstract: "Restart a provider's servers (both, or one with --role); settings and data are kept.",
            discussion: """
                Each container gets SIGTERM, then SIGKILL after --grace seconds, and starts again with its \
                settings unchanged (a stopped container is started). Use start-provider to change settings. \
                An unknown provider exits 3.

                Examples:
                  tenantctl restart acme
                  tenantctl restart acme --role admin --grace 30 --json
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(help: "Only this server (default: both).") public var role: ServerRole?
        @Option(help: ArgumentHelp("Seconds to wait after SIGTERM before SIGKILL.", valueName: "SECONDS")) public var grace = 10
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            guard (0...600).contains(grace) else { throw ValidationError("--grace must be 0 to 600 seconds") }
        }

        struct Outcome: Codable, Sendable {
            var name: String
            var result: String
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let (client, orchestrator) = try await global.connect()
            if case .swarm(let swarm) = orchestrator {
                let roles = Set(role.map { [$0.role] } ?? [.ingest, .admin])
                let restarted = try await SwarmOperations(client: client, logger: global.logger, localNode: swarm.NodeID).restart(provider, roles: roles)
                // Bounded: the replaced tasks must run again (servers are not probed, as on an engine).
                _ = try await SwarmReadiness(client: client).wait(
                    provider: provider, gatewayPort: 0, adminPort: 0, previous: restarted.previous, probe: false, timeout: .seconds(Int64(grace) + 60))
                let outcomes = restarted.names.map { Outcome(name: $0, result: "restarted") }
                if json { return try JSONOutput.print(["provider": JSONString(provider.rawValue), "services": JSONString(outcomes)]) }
                for outcome in outcomes { Console.print("\(outcome.name): \(outcome.result)") }
                return
            }
            let all = try await providerContainers(client, provider)
            guard !all.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let roles = role.map { [$0.role] } ?? [.ingest, .admin]
            let targets = all.filter { summary in roles.contains { $0.rawValue == summary.Labels?[Labels.role] } }
            guard !targets.isEmpty else {
                throw TenantCtlError(
                    "provider \(provider) has no \(role.map { "\($0.rawValue) container" } ?? "server containers"): run `tenantctl start-provider \(provider)`",
                    exitCode: ExitStatus.notFound)
            }
            let grace = self.grace
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for container in targets {
                    group.addTask {
                        do {
                            try await client.restartContainer(id: container.Id, timeout: grace)
                        } catch {
                            throw TenantCtlError("restarting \(container.name)", error)
                        }
                        return Outcome(name: container.name, result: container.State == "running" ? "restarted" : "started")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.name < $1.name }
            }
            if json {
                try JSONOutput.print(["provider": JSONString(provider.rawValue), "containers": JSONString(outcomes)])
            } else {
                for outcome in outcomes { Console.print("\(outcome.name): \(outcome.result)") }
            }
        }
    }
}

extension ServerRole {
    /// The container role of this server.
    var role: Role { self == .ingest ? .ingest : .admin }
}
