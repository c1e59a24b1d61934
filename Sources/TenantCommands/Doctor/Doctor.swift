import ArgumentParser
import DockerClient
import TenantModel

extension TenantCtl {
    /// `tenantctl doctor`.
    public struct Doctor: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check the engine, its API version, the image and the default ports; one line each.",
            discussion: """
                Exits 0 when every check passes, 1 otherwise (69 when the engine cannot be reached).

                Examples:
                  tenantctl doctor
                  tenantctl doctor --image tenantctl:0.1.0 --gateway-port 6010
                """)

        @Option(help: ArgumentHelp("Image to look for [environment: TENANTCTL_IMAGE].", valueName: "REF")) public var image: String?
        @Option(help: ArgumentHelp("Gateway port to check (default: the next free from 6001).", valueName: "N")) public var gatewayPort: Int?
        @Option(help: ArgumentHelp("Admin port to check (default: the next free from 8081).", valueName: "N")) public var adminPort: Int?
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let transport = try global.transport()
            let info: VersionResponse
            do {
                info = try await DockerClient.engineVersion(transport: transport, timeout: .seconds(global.timeout))
            } catch {
                Console.print("FAIL engine: \(error)")
                throw ExitCode(ExitStatus.code(for: error))
            }
            Console.print("ok   engine: Docker \(info.Version) reachable at \(transport.endpoint)")
            let version: APIVersion
            do { version = try DockerClient.negotiate(engine: info) } catch {
                Console.print("FAIL api: \(error)")
                throw ExitCode(ExitStatus.versionUnsupported)
            }
            Console.print("ok   api: using \(version) (engine \(info.ApiVersion), tenantctl \(DockerClient.minimumVersion)-\(DockerClient.maximumVersion))")
            let client = DockerClient(transport: transport, version: version, timeout: .seconds(global.timeout))
            var failed = false
            let image = imageOrDefault(self.image)
            do {
                _ = try await client.inspectImage(name: image)
                Console.print("ok   image: \(image) present")
            } catch .notFound {
                failed = true
                Console.print("FAIL image: \(image) is not present on the engine (build or pull it, or pass --image)")
            } catch {
                failed = true
                Console.print("FAIL image: \(image): \(error)")
            }
            let provisioner = Provisioner(client: client, logger: global.logger)
            let used = try await provisioner.usedPorts(excluding: ProviderID("doctor_probe_only"))
            for (what, given, first) in [("gateway", gatewayPort, Provisioner.firstGatewayPort), ("admin", adminPort, Provisioner.firstAdminPort)] {
                if let given {
                    if used.contains(given) || !HostPorts.isFree(given) {
                        failed = true
                        Console.print("FAIL \(what) port: \(given) is in use")
                    } else {
                        Console.print("ok   \(what) port: \(given) is free")
                    }
                } else if let port = PortChooser.next(from: first, used: used, isFreeOnHost: HostPorts.isFree) {
                    Console.print("ok   \(what) port: next free is \(port)")
                } else {
                    failed = true
                    Console.print("FAIL \(what) port: none free from \(first)")
                }
            }
            if failed { throw ExitCode(ExitStatus.failure) }
        }
    }
}

import DockerAPI
import TenantPlan
