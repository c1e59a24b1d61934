import ArgumentParser
import TenantModel

extension TenantCtl {
    /// `tenantctl list`.
    public struct ProviderList: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every provider with its state, ports and containers.",
            discussion: """
                Works from labels (io.tenantctl.provider) with one Engine API list call. State is running \
                (ingest and admin up), stopped (none up) or partial. Each provider shows its store, image, \
                addresses, and per server its status with uptime (as `docker ps` words it). --full adds each \
                running server's health, probed now as `status` does, and each server's restart count: one \
                probe pair and one inspection per container, 8 providers at a time (`status` always shows \
                both). Environment variables are never shown.

                Examples:
                  tenantctl list
                  tenantctl list --full
                  tenantctl list --json | jq '.[] | select(.state != "running") | .provider'
                """)

        @Flag(help: "Print one JSON array of {provider, state, store, image, gateway_port, gateway_address, admin_port, admin_url, containers}.") public var json = false
        @Flag(help: "Add probed health and restart counts (one probe and one inspection per server).") public var full = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let (client, orchestrator) = try await global.connect()
            let host = ServerProbe.host(forEngineEndpoint: client.transport.endpoint)
            var providers: [ProviderView]
            if case .swarm(let swarm) = orchestrator {
                // Three calls (services, tasks, nodes) for any number of providers; --full probes each.
                providers = try await SwarmOperations(client: client, logger: global.logger, localNode: swarm.NodeID).views()
                if full { providers = await Self.probed(providers, host: host) }
            } else {
                let summaries: [DockerAPIContainerSummary]
                do { summaries = try await client.listContainers(all: true, labels: [Labels.provider]) } catch {
                    throw TenantCtlError("listing containers", error)
                }
                providers = ProviderInventory.providers(from: summaries, host: host)
                if full { providers = await Self.probed(ProviderInventory.readRestarts(providers, client: client), host: host) }
            }
            if json {
                try JSONOutput.print(providers)
                return
            }
            guard !providers.isEmpty else {
                Console.print("no providers")
                return
            }
            var rows = [["PROVIDER", "STATE", "STORE", "IMAGE", "GATEWAY", "ADMIN", "INGEST", "ADMIN APP"]]
            for provider in providers {
                rows.append([
                    provider.provider, provider.state, provider.store ?? "-", provider.image ?? "-", provider.gatewayAddress ?? "-",
                    provider.adminURL ?? "-", Self.describe(provider, .ingest), Self.describe(provider, .admin),
                ])
            }
            Console.print(Table.render(rows))
        }

        /// `providers` with their servers' health probed, `width` providers at a time.
        static func probed(_ providers: [ProviderView], host: String, width: Int = 8) async -> [ProviderView] {
            var result = providers
            await withTaskGroup(of: (Int, ProviderView).self) { group in
                var next = providers.indices.makeIterator()
                for _ in 0..<width {
                    guard let index = next.next() else { break }
                    group.addTask { (index, await ProviderHealth.probe(providers[index], host: host)) }
                }
                for await (index, view) in group {
                    result[index] = view
                    if let index = next.next() { group.addTask { (index, await ProviderHealth.probe(providers[index], host: host)) } }
                }
            }
            return result
        }

        /// `Up 5 minutes, healthy, 0 restarts` for the server of `role`, `-` when it has none.
        static func describe(_ provider: ProviderView, _ role: Role) -> String {
            guard let container = provider.containers.first(where: { $0.role == role.rawValue }) else { return "-" }
            return ContainerView.summary(container)
        }
    }
}

extension ContainerView {
    /// The engine's status, health and restarts in one phrase.
    static func summary(_ container: ContainerView) -> String {
        var parts = [container.status ?? container.state]
        if let health = container.health { parts.append(container.healthDetail.map { "\(health) (\($0))" } ?? health) }
        if let restarts = container.restarts { parts.append(restarts == 1 ? "1 restart" : "\(restarts) restarts") }
        return parts.joined(separator: ", ")
    }
}

import DockerAPI
typealias DockerAPIContainerSummary = DockerAPI.ContainerSummary

/// Left-aligned text columns.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

import Foundation
