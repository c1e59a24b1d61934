import ArgumentParser
import DockerClient
import TenantModel

extension TenantCtl {
    /// `tenantctl stop`.
    public struct ProviderStop: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract: "Stop a provider's containers; its data volume and containers are kept.",
            discussion: """
                Stopping a stopped provider exits 0; an unknown provider exits 3. Start it again with \
                start-provider.

                Examples:
                  tenantctl stop acme
                  tenantctl stop acme --grace 30 --json
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
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
                let outcomes = try await SwarmOperations(client: client, logger: global.logger, localNode: swarm.NodeID).stop(provider, grace: grace)
                    .map { Outcome(name: $0.0, result: $0.1) }
                return try report(provider, outcomes, services: true)
            }
            let containers = try await providerContainers(client, provider)
            guard !containers.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let grace = self.grace
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for container in containers {
                    group.addTask {
                        do {
                            try await client.stopContainer(id: container.Id, timeout: grace)
                            return Outcome(name: container.name, result: "stopped")
                        } catch DockerError.notModified {
                            return Outcome(name: container.name, result: "already stopped")
                        } catch {
                            throw TenantCtlError("stopping \(container.name)", error)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.name < $1.name }
            }
            try report(provider, outcomes, services: false)
        }

        /// On a swarm the entries are services scaled to 0 (`services` in the JSON).
        private func report(_ provider: ProviderID, _ outcomes: [Outcome], services: Bool) throws {
            if json {
                try JSONOutput.print(["provider": JSONString(provider.rawValue), services ? "services" : "containers": JSONString(outcomes)])
            } else {
                for outcome in outcomes { Console.print("\(outcome.name): \(outcome.result)") }
                Console.print("provider \(provider) stopped; its data is kept")
            }
        }
    }
}

/// The id, or a usage error naming the rule.
func validatedProviderID(_ text: String) throws -> ProviderID {
    do { return try ProviderID(text) } catch { throw ValidationError(error.description) }
}

/// All containers labelled with the provider (any role).
func providerContainers(_ client: DockerClient, _ provider: ProviderID) async throws -> [DockerAPIContainerSummary] {
    do {
        return try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(provider)"])
    } catch {
        throw TenantCtlError("listing containers of \(provider)", error)
    }
}

/// A heterogeneous JSON field for small ad-hoc documents.
struct JSONString: Encodable, Sendable {
    let encodeValue: @Sendable (any Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
