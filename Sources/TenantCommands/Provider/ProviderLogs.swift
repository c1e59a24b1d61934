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
            let name = ProviderNames.container(role == .ingest ? .ingest : .admin, provider)
            let tty: Bool
            do {
                tty = try await client.inspectContainer(id: name).Config?.Tty ?? false
            } catch .notFound {
                throw TenantCtlError("provider \(provider) has no \(role.rawValue) container (\(name))", exitCode: ExitStatus.notFound)
            } catch {
                throw TenantCtlError("inspecting \(name)", error)
            }
            let writer = LogWriter(tty: tty)
            do {
                if follow {
                    try await client.followLogs(id: name, tail: tail) { writer.write($0) }
                } else {
                    writer.write(try await client.logs(id: name, tail: tail))
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
