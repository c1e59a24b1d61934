import ArgumentParser
import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan

/// Server roles whose logs `logs --role` can show.
public enum ServerRole: String, ExpressibleByArgument, Sendable, CaseIterable {
    /// tenant-ingest.
    case ingest
    /// tenant-admin.
    case admin
}

extension TenantCtl {
    /// `tenantctl logs`.
    public struct ProviderLogs: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "logs",
            abstract: "Print a provider's server logs, both servers merged in time order (stdout to stdout, stderr to stderr).",
            discussion: """
                Without --role, the lines of tenant-ingest and tenant-admin are merged by the engine's \
                timestamps and prefixed `ingest | ` or `admin  | `; with --role, one server's lines as they are. \
                --tail counts per server. --since takes a duration back from now (90s, 10m, 2h, 1d), an RFC 3339 \
                time, or Unix seconds. With --follow, new lines of both servers are printed as they arrive.

                Examples:
                  tenantctl logs acme
                  tenantctl logs acme --since 10m --timestamps
                  tenantctl logs acme --role admin --follow
                  tenantctl logs acme --tail 100
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(help: "Only this server (default: both, merged).") public var role: ServerRole?
        @Flag(name: [.short, .long], help: "Keep streaming new lines until interrupted.") public var follow = false
        @Option(help: ArgumentHelp("Only the last N lines of each server.", valueName: "N")) public var tail: Int?
        @Option(help: ArgumentHelp("Only lines since this time: 10m, 2h, 1d, an RFC 3339 time or Unix seconds.", valueName: "WHEN"))
        public var since: String?
        @Flag(name: [.short, .long], help: "Show the engine's time of each line.") public var timestamps = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
            if let since, LogSince.parse(since) == nil {
                throw ValidationError("--since '\(since)' is not a duration (90s, 10m, 2h, 1d), an RFC 3339 time or Unix seconds")
            }
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let (client, orchestrator) = try await global.connect()
            if case .swarm = orchestrator { return try await swarmLogs(provider, client: client) }
            let all = try await providerContainers(client, provider)
            guard !all.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let roles: [ServerRole] = role.map { [$0] } ?? [.ingest, .admin]
            var sources: [(role: ServerRole, name: String, tty: Bool)] = []
            for role in roles {
                // By its labels, as every command finds a provider's containers: a container that
                // only has the expected name is not the provider's.
                let name = ProviderNames.container(role.role, provider)
                guard let found = all.first(where: { summary in
                    summary.Labels?[Labels.role] == role.role.rawValue && !ObservedContainer(summary).name.hasSuffix(Provisioner.replacedSuffix)
                }) else {
                    // One server missing: show the other; asked for by --role: say so.
                    if self.role != nil {
                        throw TenantCtlError("provider \(provider) has no \(role.rawValue) container (\(name))", exitCode: ExitStatus.notFound)
                    }
                    continue
                }
                do {
                    sources.append((role, found.Id, try await client.inspectContainer(id: found.Id).Config?.Tty ?? false))
                } catch {
                    throw TenantCtlError("inspecting \(name)", error)
                }
            }
            guard !sources.isEmpty else { throw TenantCtlError("provider \(provider) has no server containers", exitCode: ExitStatus.notFound) }
            let format = LogLineFormat(prefixed: role == nil, timestamps: timestamps)
            let since = self.since.flatMap { LogSince.parse($0) }
            let console = Console.current
            let tail = self.tail
            let write: @Sendable (LogLine) -> Void = { line in
                let text = format.render(line)
                if line.stream == .stderr { console.err(text) } else { console.out(text) }
            }
            if follow {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for source in sources {
                        group.addTask {
                            let splitter = LockedValue(LogLineSplitter(role: source.role.rawValue, tty: source.tty))
                            do {
                                try await client.followLogs(id: source.name, tail: tail, since: since, timestamps: true) { bytes in
                                    for line in splitter.withLock({ $0.feed(bytes) }) { write(line) }
                                }
                            } catch {
                                throw TenantCtlError("reading logs of \(source.name)", error)
                            }
                            for line in splitter.withLock({ $0.flush() }) { write(line) }
                        }
                    }
                    try await group.waitForAll()
                }
                return
            }
            var lists: [[LogLine]] = []
            for source in sources {
                var splitter = LogLineSplitter(role: source.role.rawValue, tty: source.tty)
                do {
                    let bytes = try await client.logs(id: source.name, tail: tail, since: since, timestamps: true)
                    lists.append(splitter.feed(bytes) + splitter.flush())
                } catch {
                    throw TenantCtlError("reading logs of \(source.name)", error)
                }
            }
            for line in LogLineSplitter.merge(lists) { write(line) }
        }

        /// On a swarm: the services' logs (every task's), merged by time as on a single engine.
        private func swarmLogs(_ provider: ProviderID, client: DockerClient) async throws {
            guard !follow else {
                throw TenantCtlError("logs --follow does not run on a swarm yet: use `docker service logs -f` on a manager", exitCode: ExitStatus.usage)
            }
            let services = try await SwarmProvisioner(client: client, logger: global.logger).services(provider)
            guard !services.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let roles: [ServerRole] = role.map { [$0] } ?? [.ingest, .admin]
            let format = LogLineFormat(prefixed: role == nil, timestamps: timestamps)
            let since = self.since.flatMap { LogSince.parse($0) }
            var lists: [[LogLine]] = []
            for role in roles {
                guard let service = services.first(where: { SwarmProvisioner.role(of: $0) == role.role }) else { continue }
                var splitter = LogLineSplitter(role: role.rawValue, tty: false)
                do {
                    let bytes = try await client.serviceLogs(id: service.ID, tail: tail, since: since, timestamps: true)
                    lists.append(splitter.feed(bytes) + splitter.flush())
                } catch {
                    throw TenantCtlError("reading logs of service \(service.Spec.Name)", error)
                }
            }
            let console = Console.current
            for line in LogLineSplitter.merge(lists) {
                let text = format.render(line)
                if line.stream == .stderr { console.err(text) } else { console.out(text) }
            }
        }
    }
}
