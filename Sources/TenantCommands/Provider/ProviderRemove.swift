import ArgumentParser
import DockerClient
import Logging
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl remove`.
    public struct ProviderRemove: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a provider's containers and network; with --purge-data also its data volume or Cassandra keyspace.",
            discussion: """
                Without --purge-data the data volume (or Cassandra keyspace) is kept, and start-provider \
                brings the provider back with its data. --purge-data asks you to type the provider id unless \
                --yes is given; without a terminal it refuses unless --yes is given. An unknown provider exits 3.

                A Cassandra provider's keyspace is found from its containers' io.tenantctl.store label and \
                dropped after the containers are stopped and before they are removed, so a failed drop \
                leaves them (stopped) for a retry. The shared database (`tenantctl db`) must be running.

                Examples:
                  tenantctl remove acme
                  tenantctl remove acme --purge-data
                  tenantctl remove acme --purge-data --yes
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Flag(help: "Also delete the provider's data volume or Cassandra keyspace (all its data).") public var purgeData = false
        @Flag(name: [.short, .long], help: "Do not ask for confirmation.") public var yes = false
        @Option(help: ArgumentHelp("Seconds to wait after SIGTERM before SIGKILL.", valueName: "SECONDS")) public var grace = 10
        @Flag(help: "Print what was removed as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            guard (0...600).contains(grace) else { throw ValidationError("--grace must be 0 to 600 seconds") }
            if purgeData, !yes, !Console.current.isInteractive() {
                throw ValidationError("--purge-data deletes all data of '\(id)': confirm with --yes when not running on a terminal")
            }
        }

        struct Removed: Codable, Sendable {
            var provider: String
            var containers: [String]
            var networks: [String]
            var volumes: [String]
            var keptVolumes: [String]
            var keyspaces: [String]
            var keptKeyspaces: [String]
        }

        /// The provider's Cassandra store as its containers' labels record it, if any.
        static func cassandraStore(_ containers: [DockerAPIContainerSummary]) -> (url: String, store: StoreChoice)? {
            for container in containers {
                guard let labels = container.Labels, let text = labels[PlanLabels.store],
                    case .cassandra(let hosts, _)? = try? StoreURL(parsing: text)
                else { continue }
                return (text, labels[PlanLabels.sharedNetwork] != nil ? .sharedCassandra : .cassandra(hosts))
            }
            return nil
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let (client, orchestrator) = try await global.connect()
            let yes = self.yes
            if case .swarm(let swarm) = orchestrator {
                let removed = try await SwarmOperations(client: client, logger: global.logger, localNode: swarm.NodeID).remove(provider, purgeData: purgeData) { provider, data in
                    guard !yes else { return }
                    Console.current.err("This deletes all data of provider \(provider) (\(data.joined(separator: ", "))). Type the provider id to confirm: ")
                    guard Console.current.readLine()?.trimmingCharacters(in: .whitespaces) == provider.rawValue else {
                        throw TenantCtlError("confirmation did not match '\(provider)'; nothing was removed")
                    }
                }
                if json { return try JSONOutput.print(removed) }
                for name in removed.services { Console.print("removed service \(name)") }
                for name in removed.networks { Console.print("removed network \(name)") }
                for name in removed.secrets { Console.print("removed secret \(name)") }
                for name in removed.volumes { Console.print("removed volume \(name)") }
                for name in removed.keptVolumes { Console.print("kept volume \(name) (remove it with --purge-data)") }
                for text in removed.leftBehind { Console.print("left behind: volume \(text)") }
                return
            }
            let removed = try await Self.remove(provider, client: client, purgeData: purgeData, grace: grace, logger: global.logger) { provider, data in
                guard !yes else { return }
                Console.current.err("This deletes all data of provider \(provider) (\(data.joined(separator: ", "))). Type the provider id to confirm: ")
                guard Console.current.readLine()?.trimmingCharacters(in: .whitespaces) == provider.rawValue else {
                    throw TenantCtlError("confirmation did not match '\(provider)'; nothing was removed")
                }
            }
            if json {
                try JSONOutput.print(removed)
                return
            }
            for name in removed.containers { Console.print("removed container \(name)") }
            for name in removed.networks { Console.print("removed network \(name)") }
            for name in removed.volumes { Console.print("removed volume \(name)") }
            for name in removed.keptVolumes { Console.print("kept volume \(name) (remove it with --purge-data)") }
            for name in removed.keyspaces { Console.print("dropped keyspace \(name)") }
            for name in removed.keptKeyspaces { Console.print("kept keyspace \(name) (drop it with --purge-data)") }
        }

        /// Stops and removes the provider's containers and network, and with `purgeData` its
        /// volume or keyspace after `confirm` (given the data to delete) returns. Shared by
        /// `remove` and `apply --prune`.
        static func remove(
            _ provider: ProviderID, client: DockerClient, purgeData: Bool, grace: Int, logger: Logger,
            confirm: (ProviderID, [String]) throws -> Void
        ) async throws -> Removed {
            let label = "\(Labels.provider)=\(provider)"
            let containers = try await providerContainers(client, provider)
            let networks: [String]
            let volumes: [String]
            do {
                networks = try await client.listNetworks(labels: [label]).map(\.Name)
                volumes = try await client.listVolumes(labels: [label]).map(\.Name)
            } catch {
                throw TenantCtlError("listing objects of \(provider)", error)
            }
            guard !containers.isEmpty || !networks.isEmpty || !volumes.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let cassandra = Self.cassandraStore(containers)
            // Everything the drop needs is settled before anything is touched.
            var keyspaceDrop: (provisioner: any KeyspaceProvisioner, hosts: [HostPort])?
            if purgeData, let cassandra {
                guard let provisioner = try KeyspaceProvisioners.cassandra else {
                    throw TenantCtlError("cannot drop keyspace \(provider): this tenantctl build registers no Cassandra provisioner; nothing was removed")
                }
                keyspaceDrop = (provisioner, try await SharedDatabase.hostContactPoints(for: cassandra.store) { client })
            }
            let data = volumes + (cassandra.map { ["keyspace \(provider) (\($0.url))"] } ?? [])
            if purgeData, !data.isEmpty { try confirm(provider, data) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for container in containers {
                    group.addTask {
                        // Stop first so the servers get SIGTERM and finish what they accepted.
                        do { try await client.stopContainer(id: container.Id, timeout: grace) } catch DockerError.notModified {} catch DockerError.notFound {} catch {
                            throw TenantCtlError("stopping \(container.name)", error)
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Drop while the (stopped) containers still record the store: a failure can be retried.
            if let keyspaceDrop {
                do { try await keyspaceDrop.provisioner.dropKeyspace(provider: provider, contactPoints: keyspaceDrop.hosts, logger: logger) } catch {
                    throw TenantCtlError(
                        "dropping keyspace \(provider) at \(keyspaceDrop.hosts.map(\.description).joined(separator: ",")) (containers are stopped, not removed; retry)",
                        error)
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for container in containers {
                    group.addTask {
                        do { try await client.removeContainer(id: container.Id, force: true) } catch DockerError.notFound {} catch {
                            throw TenantCtlError("removing \(container.name)", error)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for network in networks {
                // The shared database container may be on this provider's network; the engine
                // refuses to remove a network a running container is attached to.
                do { try await client.disconnectNetwork(id: network, container: SharedDatabaseNames.container) } catch {}
                do { try await client.removeNetwork(id: network) } catch DockerError.notFound {} catch { throw TenantCtlError("removing network \(network)", error) }
            }
            if purgeData {
                for volume in volumes {
                    do { try await client.removeVolume(name: volume) } catch DockerError.notFound {} catch { throw TenantCtlError("removing volume \(volume)", error) }
                }
            }
            return Removed(
                provider: provider.rawValue, containers: containers.map(\.name).sorted(), networks: networks, volumes: purgeData ? volumes : [],
                keptVolumes: purgeData ? [] : volumes, keyspaces: keyspaceDrop == nil ? [] : [provider.rawValue],
                keptKeyspaces: cassandra != nil && keyspaceDrop == nil ? [provider.rawValue] : [])
        }
    }
}

import Foundation
