import ArgumentParser
import TenantModel

extension TenantCtl {
    /// `tenantctl list`.
    public struct ProviderList: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every provider with its state, ports and containers.",
            discussion: """
                Works from labels (io.tenantctl.provider), with one Engine API list call. State is running \
                (ingest and admin up), stopped (none up) or partial. Environment variables are never shown.

                Examples:
                  tenantctl list
                  tenantctl list --json | jq '.[] | select(.state != "running") | .provider'
                """)

        @Flag(help: "Print one JSON array of {provider, state, gateway_port, admin_port, containers}.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let client = try await global.client()
            let summaries: [DockerAPIContainerSummary]
            do { summaries = try await client.listContainers(all: true, labels: [Labels.provider]) } catch {
                throw TenantCtlError("listing containers", error)
            }
            let providers = ProviderInventory.providers(from: summaries)
            if json {
                try JSONOutput.print(providers)
                return
            }
            guard !providers.isEmpty else {
                Console.print("no providers")
                return
            }
            var rows = [["PROVIDER", "STATE", "GATEWAY", "ADMIN", "CONTAINERS"]]
            for provider in providers {
                rows.append([
                    provider.provider, provider.state, provider.gatewayPort.map(String.init) ?? "-", provider.adminPort.map(String.init) ?? "-",
                    provider.containers.map { "\($0.name)(\($0.state))" }.joined(separator: " "),
                ])
            }
            Console.print(Table.render(rows))
        }
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
