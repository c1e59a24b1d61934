import ArgumentParser
import DockerAPI
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
            /// `healthy` (every server container healthy), `unhealthy` (one is unhealthy, restarting
            /// or exited: see its `reason`), `starting`; null without containers.
            var health: String?
            var gatewayPort: Int?
            var adminPort: Int?
            var containers: [ContainerView]
            var network: String?
            var volume: String?
            /// The secrets volume, if the provider has one.
            var secretsVolume: String?
            /// Secrets the containers read, with digests (never values).
            var secrets: [SecretView]
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            let label = "\(Labels.provider)=\(provider)"
            async let summaries = providerContainers(client, provider)
            async let networks = client.listNetworks(labels: [label])
            async let volumes = client.listVolumes(labels: [label])
            var view = ProviderInventory.view(provider: provider.rawValue, summaries: try await summaries)
            let networkNames: [String]
            let volumeList: [Volume]
            do {
                networkNames = try await networks.map(\.Name)
                volumeList = try await volumes
            } catch let error as DockerError {
                throw TenantCtlError("listing objects of \(provider)", error)
            }
            let volumeNames = volumeList.filter { $0.Labels?[Labels.role] != Role.secrets.rawValue }.map(\.Name)
            let secretsVolume = volumeList.first { $0.Labels?[Labels.role] == Role.secrets.rawValue }?.Name
            guard !view.containers.isEmpty || !networkNames.isEmpty || !volumeList.isEmpty else {
                throw TenantCtlError.unknownProvider(provider)
            }
            // The summary only shows health for running containers; inspect for the exact value.
            for index in view.containers.indices {
                if let inspect = try? await client.inspectContainer(id: view.containers[index].id) {
                    view.containers[index].health = inspect.State.Health?.Status
                    view.containers[index].reason = await reason(client, view.containers[index], inspect.State)
                }
            }
            let secrets = ProviderInventory.secrets(try await summaries)
            let status = Status(
                provider: view.provider, state: view.containers.isEmpty ? "absent" : view.state, health: Self.health(view.containers), gatewayPort: view.gatewayPort,
                adminPort: view.adminPort, containers: view.containers, network: networkNames.first, volume: volumeNames.first,
                secretsVolume: secretsVolume, secrets: secrets)
            if json {
                try JSONOutput.print(status)
                return
            }
            Console.print("provider \(status.provider): \(status.state)\(status.health.map { ", \($0)" } ?? "")")
            Console.print("  gateway port: \(status.gatewayPort.map(String.init) ?? "-"), admin port: \(status.adminPort.map(String.init) ?? "-")")
            for container in status.containers {
                Console.print("  \(container.role) \(container.name): \(container.state)\(container.health.map { ", \($0)" } ?? "")")
                if let reason = container.reason { Console.print("    reason: \(reason)") }
            }
            Console.print("  network: \(status.network ?? "-"), volume: \(status.volume ?? "-"), secrets volume: \(status.secretsVolume ?? "-")")
            for secret in status.secrets {
                Console.print("  secret \(secret.name): sha256 \(secret.sha256 ?? "(generated, not read back)") (\(secret.containers.joined(separator: ", ")))")
            }
        }
    }
}

extension TenantCtl.ProviderStatus {
    /// The provider's health from its server containers'.
    static func health(_ containers: [ContainerView]) -> String? {
        let servers = containers.filter { $0.role == Role.ingest.rawValue || $0.role == Role.admin.rawValue }
        guard !servers.isEmpty else { return nil }
        if servers.contains(where: { $0.health == "unhealthy" || $0.state == "restarting" || $0.reason != nil }) { return "unhealthy" }
        if servers.allSatisfy({ $0.health == "healthy" }) { return "healthy" }
        return "starting"
    }

    /// Why a server container is down or unhealthy: its last log line (a server that cannot
    /// start says why in one line, e.g. a missing secret file), else its exit code.
    func reason(_ client: DockerClient, _ container: ContainerView, _ state: ContainerState) async -> String? {
        // A stopped provider's servers exited 0 on SIGTERM: nothing to explain there.
        let failed = (state.ExitCode ?? 0) != 0 && state.Status != "running"
        let troubled = failed || state.Status == "restarting" || state.Health?.Status == "unhealthy"
        guard troubled, container.role == Role.ingest.rawValue || container.role == Role.admin.rawValue else { return nil }
        var demuxer = LogDemuxer()
        let bytes = (try? await client.logs(id: container.id, tail: 5)) ?? []
        let text = demuxer.feed(bytes).flatMap(\.payload)
        let lines = String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        if let last = lines.last { return String(last.prefix(300)) }
        if failed, let code = state.ExitCode { return "exited with code \(code)" }
        return nil
    }
}

