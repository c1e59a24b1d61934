import ArgumentParser
import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl db start`.
    public struct DatabaseStart: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Create or repair the shared Cassandra container, its volume and network, and start it.",
            discussion: """
                Idempotent: a running container with the same settings is left alone (exit 0); a missing \
                network, volume or container is created, a stopped one started, and changed settings \
                (image, port) recreate the container while its data stays in the volume. If a step fails, \
                what this run created is removed.

                The image must be an official cassandra image (or one with the same data directory, \
                /var/lib/cassandra, and cqlsh on PATH: the health check runs `cqlsh -e 'describe keyspaces'`). \
                No default image is pulled: give --image or TENANTCTL_CASSANDRA_IMAGE; a re-run keeps the \
                image of the existing container. Cassandra needs about a minute before it accepts clients.

                Examples:
                  tenantctl db start --image cassandra:4.1
                  tenantctl db start --port 19042 --json
                  tenantctl db start --publish 10.0.0.5:9042   # other hosts may connect: turn on authentication first

                CQL is published on 127.0.0.1 only unless --publish says otherwise. To turn on Cassandra's \
                authentication, see docs/cassandra.md: providers then log in with the login given to \
                start-provider (TENANT_CASSANDRA_USERNAME and --cassandra-password-file), which reaches their \
                containers as secret files, never as environment.
                """)

        @Option(help: ArgumentHelp("Cassandra image [environment: TENANTCTL_CASSANDRA_IMAGE]; default: the existing container's.", valueName: "REF"))
        public var image: String?
        @Option(help: ArgumentHelp("Host port for CQL on 127.0.0.1 (default: kept, else 9042).", valueName: "N")) public var port: Int?
        @Option(
            help: ArgumentHelp(
                "Publish CQL on this host address and port instead of 127.0.0.1 (e.g. 0.0.0.0:9042 for other hosts; turn on Cassandra's authentication first).",
                valueName: "HOST:PORT"))
        public var publish: String?
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            try PortNumber.validate("--port", port)
            if publish != nil, port != nil { throw ValidationError("--publish HOST:PORT and --port exclude each other") }
            _ = try publishAddress()
        }

        /// `--publish` parsed; the host must be an IP address (Docker publishes on addresses, not names).
        func publishAddress() throws -> HostPort? {
            guard let publish else { return nil }
            guard let address = try? HostPort(parsing: publish, defaultPort: nil),
                address.host.contains(":")
                    ? address.host.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" })
                    : address.host.split(separator: ".", omittingEmptySubsequences: false).count == 4
                        && address.host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") })
            else { throw ValidationError("--publish '\(publish)' is not IP:PORT (e.g. 127.0.0.1:9042, 0.0.0.0:9042)") }
            return address
        }

        struct Result: Codable, Sendable {
            var state: String
            var port: Int
            var image: String
            var container: String
            var network: String
            var volume: String
            var contactPoint: String
            var changes: [String]
        }

        public func run() async throws {
            let client = try await global.client()
            let existing = try await SharedDatabase.observe(client)
            let environmentImage = ProcessInfo.processInfo.environment["TENANTCTL_CASSANDRA_IMAGE"].flatMap { $0.isEmpty ? nil : $0 }
            guard let image = image.flatMap({ $0.isEmpty ? nil : $0 }) ?? environmentImage ?? existing?.Image else {
                throw TenantCtlError(
                    "no Cassandra image: give --image REF or set TENANTCTL_CASSANDRA_IMAGE (an official cassandra image, e.g. cassandra:4.1, "
                        + "loaded into the engine; tenantctl has no default it could pull here)", exitCode: ExitStatus.usage)
            }
            let published = try publishAddress()
            let hostPort = published?.port ?? port ?? existing.flatMap { ObservedContainer($0).hostPort } ?? SharedDatabaseNames.cqlPort
            // Loopback unless --publish says otherwise (a re-run keeps an address given before).
            let hostIP = published?.host ?? existing?.Labels?[PlanLabels.hostIP] ?? SharedDatabaseSettings.loopback
            let plan = SharedDatabasePlan(SharedDatabaseSettings(image: image, hostPort: hostPort, hostIP: hostIP))
            let changes = try await SharedDatabaseRunner(client: client, logger: global.logger).start(plan, existing: existing)
            let result = Result(
                state: "running", port: hostPort, image: image, container: SharedDatabaseNames.container, network: SharedDatabaseNames.network,
                volume: SharedDatabaseNames.volume, contactPoint: SharedDatabaseNames.contactPoint.description, changes: changes)
            if json {
                try JSONOutput.print(result)
                return
            }
            if changes.isEmpty {
                Console.print("shared database \(result.container) is already running (port \(hostPort))")
            } else {
                for change in changes { Console.print("  \(change)") }
                Console.print("shared database \(result.container) is running (\(hostIP.contains(":") ? "[\(hostIP)]" : hostIP):\(hostPort); providers use \(result.contactPoint) on \(result.network))")
            }
        }
    }
}
