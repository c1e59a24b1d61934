import ArgumentParser
import DockerAPI
import DockerClient
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
            abstract: "Print a provider container's logs (stdout to stdout, stderr to stderr).",
            discussion: """
                Examples:
                  tenantctl logs acme
                  tenantctl logs acme --role admin --follow
                  tenantctl logs acme --tail 100
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(help: "Which container.") public var role: ServerRole = .ingest
        @Flag(name: [.short, .long], help: "Keep streaming new lines until interrupted.") public var follow = false
        @Option(help: ArgumentHelp("Only the last N lines.", valueName: "N")) public var tail: Int?
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            let wanted: Role = role == .ingest ? .ingest : .admin
            // By its labels, as every command finds a provider's containers: a container that
            // only has the expected name is not the provider's.
            let found: ContainerSummary?
            do {
                found = try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(provider)", "\(Labels.role)=\(wanted.rawValue)"])
                    .first { !ObservedContainer($0).name.hasSuffix(Provisioner.replacedSuffix) }
            } catch {
                throw TenantCtlError("listing containers of \(provider)", error)
            }
            guard let found else {
                throw TenantCtlError(
                    "provider \(provider) has no \(role.rawValue) container (\(ProviderNames.container(wanted, provider)))", exitCode: ExitStatus.notFound)
            }
            let name = ObservedContainer(found).name, containerID = found.Id
            let tty: Bool
            do {
                tty = try await client.inspectContainer(id: containerID).Config?.Tty ?? false
            } catch {
                throw TenantCtlError("inspecting \(name)", error)
            }
            let writer = LogWriter(tty: tty)
            do {
                if follow {
                    try await client.followLogs(id: containerID, tail: tail) { writer.write($0) }
                } else {
                    writer.write(try await client.logs(id: containerID, tail: tail))
                }
            } catch {
                throw TenantCtlError("reading logs of \(name)", error)
            }
        }
    }
}

/// Demultiplexes log bytes to the console's stdout and stderr.
final class LogWriter: @unchecked Sendable {
    // The transport calls `write` from one thread at a time.
    private var demuxer = LogDemuxer()
    private let tty: Bool
    private let console = Console.current

    init(tty: Bool) { self.tty = tty }

    func write(_ bytes: [UInt8]) {
        if tty {
            console.out(String(decoding: bytes, as: UTF8.self))
            return
        }
        for frame in demuxer.feed(bytes) {
            let text = String(decoding: frame.payload, as: UTF8.self)
            if frame.stream == .stderr { console.err(text) } else { console.out(text) }
        }
    }
}
