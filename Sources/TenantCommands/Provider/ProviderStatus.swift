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
            abstract: "Show one provider's state, store, image, addresses, servers with uptime, health and restarts, live figures, network and volume.",
            discussion: """
                Health is probed now, over the published ports: the gateway port must answer a protocol \
                exchange and the admin port's /health 200, each within 2 s; a hung or dead server shows as \
                unhealthy with the reason. Each server also shows the engine's status with uptime (`Up 5 \
                minutes`) and its restart count; one that restarts or exited with an error shows its last log \
                line as its reason (e.g. a secret file it cannot read). Live figures (gateways connected, \
                readings in the last minute, last reading's age, mails pending) come from the running servers' \
                metrics, read through the engine as `tenantctl top` does. The provider's secrets are listed by \
                name with the first 8 hex digits of their SHA-256 digests, never values. Exits 3 when no \
                Docker object carries the provider's label.

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
            /// `healthy` (every server answers), `unhealthy` (one does not answer, restarts, or
            /// exited with an error: see its `reason`); null otherwise (stopped).
            var health: String?
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
            /// The secrets volume, if the provider has one.
            var secretsVolume: String?
            /// Secrets the containers read, with digests (never values).
            var secrets: [SecretView]
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let (client, orchestrator) = try await global.connect()
            if case .swarm(let swarm) = orchestrator {
                let operations = SwarmOperations(client: client, logger: global.logger, localNode: swarm.NodeID)
                guard let listed = try await operations.views(only: provider).first else { throw TenantCtlError.unknownProvider(provider) }
                let view = await ProviderHealth.probe(listed, host: ServerProbe.host(forEngineEndpoint: client.transport.endpoint))
                let pinned = view.containers.first?.node
                return try show(
                    Status(
                        provider: view.provider, state: view.state, health: Self.health(view.containers), gatewayPort: view.gatewayPort,
                        adminPort: view.adminPort, containers: view.containers, network: ProviderNames.network(provider),
                        volume: view.store == "sqlite" ? "\(ProviderNames.volume(provider))\(pinned.map { " on node \($0)" } ?? "")" : nil,
                        live: nil, store: view.store, image: view.image, gatewayAddress: view.gatewayAddress, adminURL: view.adminURL,
                        secretsVolume: nil, secrets: []))
            }
            let label = "\(Labels.provider)=\(provider)"
            async let summaries = providerContainers(client, provider)
            async let networks = client.listNetworks(labels: [label])
            async let volumes = client.listVolumes(labels: [label])
            let host = ServerProbe.host(forEngineEndpoint: client.transport.endpoint)
            var view = ProviderInventory.view(provider: provider.rawValue, summaries: try await summaries, host: host)
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
            let listed = view
            async let probed = ProviderHealth.probe(listed, host: host)
            let restarts = await ProviderInventory.readRestarts([listed], client: client)[0]
            view = await probed
            for index in view.containers.indices { view.containers[index].restarts = restarts.containers[index].restarts }
            // A server that keeps failing says why in its last log line (e.g. a secret file it cannot read).
            for index in view.containers.indices where Self.needsReason(view.containers[index]) {
                view.containers[index].reason = await reason(client, view.containers[index])
            }
            let status = Status(
                provider: view.provider, state: view.containers.isEmpty ? "absent" : view.state, health: Self.health(view.containers),
                gatewayPort: view.gatewayPort,
                adminPort: view.adminPort, containers: view.containers, network: networkNames.first, volume: volumeNames.first,
                live: view.containers.contains { $0.state == "running" } ? await LiveFigureReader.read(client, view, summaries: try await summaries) : nil,
                store: view.store, image: view.image, gatewayAddress: view.gatewayAddress, adminURL: view.adminURL,
                secretsVolume: secretsVolume, secrets: ProviderInventory.secrets(try await summaries))
            try show(status)
        }

        private func show(_ status: Status) throws {
            if json {
                try JSONOutput.print(status)
                return
            }
            Console.print("provider \(status.provider): \(status.state)\(status.health.map { ", \($0)" } ?? "") (store \(status.store ?? "-"), image \(status.image ?? "-"))")
            Console.print("  gateways connect to \(status.gatewayAddress ?? "-"), admin at \(status.adminURL ?? "-")")
            for container in status.containers {
                Console.print("  \(container.role) \(container.name): \(ContainerView.summary(container))")
                if let node = container.node { Console.print("    node: \(node)") }
                if let reason = container.reason { Console.print("    reason: \(reason)") }
            }
            Console.print("  network: \(status.network ?? "-"), volume: \(status.volume ?? "-"), secrets volume: \(status.secretsVolume ?? "-")")
            for secret in status.secrets {
                Console.print("  secret \(secret.name): sha256 \(secret.sha256 ?? "(generated, not read back)") (\(secret.containers.joined(separator: ", ")))")
            }
            if let live = status.live {
                Console.print("  live: \(live.summary)")
                for problem in live.problems ?? [] { Console.print("  (no figures from \(problem))") }
            }
        }
    }
}

extension TenantCtl.ProviderStatus {
    /// The provider's health from its server containers': `unhealthy` when one is failing
    /// (unhealthy, restarting, or exited with an error), `healthy` when every one answers, else
    /// nil (stopped, or not probed).
    static func health(_ containers: [ContainerView]) -> String? {
        let servers = containers.filter(isServer)
        guard !servers.isEmpty else { return nil }
        if servers.contains(where: { $0.health == "unhealthy" || $0.state == "restarting" || $0.reason != nil }) { return "unhealthy" }
        if servers.allSatisfy({ $0.health == "healthy" }) { return "healthy" }
        return nil
    }

    static func isServer(_ container: ContainerView) -> Bool {
        container.role == Role.ingest.rawValue || container.role == Role.admin.rawValue
    }

    /// Whether to look for why a server container is down or not answering.
    static func needsReason(_ container: ContainerView) -> Bool {
        isServer(container) && (container.state == "restarting" || container.state == "exited" || container.state == "dead" || container.health == "unhealthy")
    }

    /// Why a server container is down or not answering: its last log line (a server that cannot
    /// start says why in one line, e.g. a missing secret file), else its exit code. Nil for a
    /// server that exited 0 (stopped on purpose).
    func reason(_ client: DockerClient, _ container: ContainerView) async -> String? {
        var exitCode: Int?
        if container.state != "running" {
            exitCode = (try? await client.inspectContainer(id: container.id))?.State.ExitCode
            guard container.state == "restarting" || (exitCode ?? 0) != 0 else { return nil }
        }
        var demuxer = LogDemuxer()
        let bytes = (try? await client.logs(id: container.id, tail: 5)) ?? []
        let text = demuxer.feed(bytes).flatMap(\.payload)
        let lines = String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        if let last = lines.last { return String(last.prefix(300)) }
        return exitCode.map { "exited with code \($0)" }
    }
}
