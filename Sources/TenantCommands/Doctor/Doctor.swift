import ArgumentParser
import DockerAPI
import DockerClient
import TenantPlan
import TenantModel

extension TenantCtl {
    /// `tenantctl doctor`.
    public struct Doctor: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check the engine, its API version, the image and the default ports; one line each.",
            discussion: """
                Exits 0 when every check passes, 1 otherwise (69 when the engine cannot be reached, 76 when its \
                API is too old).

                Examples:
                  tenantctl doctor
                  tenantctl doctor --image tenantctl:0.1.0 --gateway-port 6010
                  tenantctl doctor --json
                """)

        @Option(help: ArgumentHelp("Image to look for [environment: TENANTCTL_IMAGE].", valueName: "REF")) public var image: String?
        @Option(help: ArgumentHelp("Gateway port to check (default: the next free from 6001).", valueName: "N")) public var gatewayPort: Int?
        @Option(help: ArgumentHelp("Admin port to check (default: the next free from 8081).", valueName: "N")) public var adminPort: Int?
        @OptionGroup public var subnets: SubnetPoolOption
        @Flag(help: "Print the checks as a JSON array of {check, ok, detail}.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            try PortNumber.validate("--gateway-port", gatewayPort)
            try PortNumber.validate("--admin-port", adminPort)
        }

        struct Check: Codable, Sendable {
            var check: String
            var ok: Bool
            var detail: String
        }

        /// Collects check lines; prints them one per line as they come, or as JSON at the end.
        final class Report: @unchecked Sendable {
            // Used from the command's task only.
            var checks: [Check] = []
            let json: Bool
            init(json: Bool) { self.json = json }
            func add(_ check: String, _ ok: Bool, _ detail: String) {
                checks.append(Check(check: check, ok: ok, detail: detail))
                if !json { Console.print("\(ok ? "ok  " : "FAIL") \(check): \(detail)") }
            }
            func finish(exitCode: Int32) throws {
                if json { try JSONOutput.print(checks) }
                if exitCode != 0 { throw ExitCode(exitCode) }
            }
        }

        public func run() async throws {
            let report = Report(json: json)
            let transport = try global.transport()
            let info: VersionResponse
            do {
                info = try await DockerClient.engineVersion(transport: transport, timeout: .seconds(global.timeout))
            } catch {
                report.add("engine", false, "\(error)")
                try report.finish(exitCode: ExitStatus.code(for: error))
                return
            }
            report.add("engine", true, "Docker \(info.Version) reachable at \(transport.endpoint)")
            let version: APIVersion
            do {
                let pinned = try GlobalOptions.pinnedVersion(DockerEnvironment.current["DOCKER_API_VERSION"])
                version = try DockerClient.negotiate(engine: info, pinned: pinned)
            } catch {
                report.add("api", false, "\(error)")
                try report.finish(exitCode: (error as? DockerError).map(ExitStatus.code(for:)) ?? ExitStatus.usage)
                return
            }
            report.add("api", true, "using \(version) (engine \(info.ApiVersion), tenantctl \(DockerClient.minimumVersion)-\(DockerClient.maximumVersion))")
            let client = DockerClient(transport: transport, version: version, timeout: .seconds(global.timeout))
            var failed = false
            var swarm: SwarmInfo?
            do {
                switch try await Orchestrator.detect(client, choice: global.orchestratorChoice) {
                case .engine:
                    report.add("orchestrator", true, "engine: containers on this engine (not a swarm manager)")
                case .swarm(let info):
                    swarm = info
                    let nodes = (try? await client.listNodes()) ?? []
                    let ready = nodes.filter { $0.Status?.State == "ready" }.count
                    report.add(
                        "orchestrator", true,
                        "swarm: this node (\(info.NodeAddr ?? "-")) is a manager; \(info.Nodes ?? nodes.count) nodes (\(ready) ready), \(info.Managers ?? 0) managers")
                }
            } catch {
                report.add("orchestrator", false, "\(error)")
                try report.finish(exitCode: ExitStatus.failure)
                return
            }
            let image = imageOrDefault(self.image)
            do {
                _ = try await client.inspectImage(name: image)
                report.add("image", true, "\(image) present")
            } catch .notFound {
                failed = true
                report.add("image", false, "\(image) is not present on the engine (build or pull it, or pass --image)")
            } catch {
                failed = true
                report.add("image", false, "\(image): \(error)")
            }
            let provisioner = Provisioner(client: client, logger: global.logger)
            if swarm != nil {
                // Ports are the swarm's: those its services publish (host ports here say nothing).
                let used = try await SwarmProvisioner(client: client, logger: global.logger).publishedPorts(excluding: nil)
                for (what, first) in [("gateway", Provisioner.firstGatewayPort), ("admin", Provisioner.firstAdminPort)] {
                    let next = PortChooser.next(from: first, used: used, isFreeOnHost: { _ in true }).map(String.init) ?? "none"
                    report.add("\(what) port", next != "none", "next free on the swarm is \(next)")
                }
                try report.finish(exitCode: failed ? ExitStatus.failure : ExitStatus.ok)
                return
            }
            let holders = try await provisioner.portHolders(excluding: nil)
            let used = Set(holders.keys)
            for (what, given, first) in [("gateway", gatewayPort, Provisioner.firstGatewayPort), ("admin", adminPort, Provisioner.firstAdminPort)] {
                if let given {
                    if let holder = holders[given] {
                        failed = true
                        report.add("\(what) port", false, "\(given) is held by \(holder)")
                    } else if !HostPorts.isFree(given) {
                        failed = true
                        report.add("\(what) port", false, "\(given) is in use on this host by a process that is not a Docker container")
                    } else {
                        report.add("\(what) port", true, "\(given) is free")
                    }
                } else if let port = PortChooser.next(from: first, used: used, isFreeOnHost: HostPorts.isFree) {
                    report.add("\(what) port", true, "next free is \(port)")
                } else {
                    failed = true
                    report.add("\(what) port", false, "none free from \(first)")
                }
            }
            let pool = try subnets.pool()
            let taken = try await provisioner.takenSubnets()
            let inUse = pool.used(by: taken)
            if let next = pool.firstFree(avoiding: taken) {
                report.add("subnet pool", true, "\(pool): \(inUse) of \(pool.capacity) in use, next free \(next)")
            } else {
                failed = true
                report.add("subnet pool", false, "\(pool): all \(pool.capacity) in use (pass another range with --subnet-pool)")
            }
            try report.finish(exitCode: failed ? ExitStatus.failure : ExitStatus.ok)
        }
    }
}

import DockerAPI
import TenantPlan
