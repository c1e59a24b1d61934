import ArgumentParser
import TenantModel

extension TenantCtl {
    /// `tenantctl apply -f FILE`.
    public struct FleetApply: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Converge every provider of a fleet file, as start-provider would; with --prune remove the fleet's unlisted ones.",
            discussion: """
                The whole file is checked first: any problem prints one line (FILE:LINE) and exits 64 \
                before anything changes. Each listed provider is then created, updated or repaired as \
                `start-provider` would (idempotent: one already as asked is untouched), several at once \
                (--parallel), and everything created carries io.tenantctl.fleet=NAME. A failure is \
                reported for its provider and the others still converge; the exit status is 1 if any \
                failed. A new provider's admin password is printed once, as start-provider prints it.
                Then, as start-provider does, apply waits (all at once) until every provider it changed \
                serves: the gateway port answers a protocol exchange and the admin /health answers 200; \
                one that does not within --wait-timeout is reported as failed. --no-wait skips that.
                On a swarm manager the providers are swarm services, converged as start-provider \
                does there; --no-wait still waits (bounded) until their tasks run.

                --prune stops and removes the containers and network of providers that carry this \
                fleet's name but are no longer listed; their data is kept unless --purge-data (no \
                confirmation is asked: the flag is the confirmation). Providers started by hand or by \
                another fleet are never touched.

                Examples:
                  tenantctl apply -f fleet.yaml
                  tenantctl apply -f fleet.yaml --prune --parallel 8 --json
                """)

        @OptionGroup public var fleet: FleetFileOptions

        @Flag(help: "With --prune, also delete the pruned providers' data volumes or keyspaces.")
        public var purgeData = false

        @Option(help: ArgumentHelp("Providers converged at once (1 to 64).", valueName: "N"))
        public var parallel = 4

        @OptionGroup public var wait: WaitOptions

        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be 1 to 64, got \(parallel)") }
            if purgeData, !fleet.prune { throw ValidationError("--purge-data needs --prune") }
        }

        public func run() async throws {
            let file = try fleet.load()
            let (client, orchestrator) = try await global.connect()
            var results: [FleetResult]
            if case .swarm(let swarm) = orchestrator {
                let converger = SwarmFleet(client: client, logger: global.logger, swarm: swarm, parallel: parallel)
                let applied = try await converger.apply(file, prune: fleet.prune, purgeData: purgeData)
                // As start-provider on a swarm: the tasks are awaited even with --no-wait.
                results = await converger.waitUntilReady(applied, probe: wait.timeout != nil, timeout: .seconds(wait.waitTimeout))
            } else {
                let converger = FleetConverger(client: client, logger: global.logger, parallel: parallel)
                results = try await converger.apply(file, prune: fleet.prune, purgeData: purgeData)
                if let timeout = wait.timeout { results = await converger.waitUntilReady(results, timeout: timeout) }
            }
            if fleet.json {
                try JSONOutput.print(results)
            } else {
                for result in results { Self.printLine(result, purgeData: purgeData) }
                Console.print("fleet \(file.name): " + Self.summary(results))
            }
            if results.contains(where: { !$0.ok }) { throw ExitCode(ExitStatus.failure) }
        }

        static let pastTense: [String: String] = [
            "create": "created", "update": "updated", "repair": "repaired", "unchanged": "unchanged", "remove": "removed",
        ]

        static func printLine(_ result: FleetResult, purgeData: Bool) {
            guard result.ok else {
                Console.print("\(result.provider): \(result.action) failed: \(result.error ?? "unknown error")")
                return
            }
            if result.action == FleetAction.remove.rawValue {
                Console.print("\(result.provider): removed (\(purgeData ? "data deleted" : "data kept"))")
                return
            }
            let ports = [result.gatewayPort.map { "gateway port \($0)" }, result.adminPort.map { "admin port \($0)" }].compactMap { $0 }
            let ready = result.ready == true ? ", ready" : ""
            Console.print("\(result.provider): \(pastTense[result.action] ?? result.action)\(ports.isEmpty ? "" : " (\(ports.joined(separator: ", "))\(ready))")")
            if let password = result.adminPassword {
                Console.print("  " + ProviderStart.passwordLine(password, ifNoAccount: result.adminPasswordIfNoAccount == true))
            }
        }

        static func summary(_ results: [FleetResult]) -> String {
            var parts: [String] = []
            for action in FleetAction.allCases {
                let count = results.count { $0.ok && $0.action == action.rawValue }
                if count > 0 { parts.append("\(count) \(pastTense[action.rawValue]!)") }
            }
            let failed = results.count { !$0.ok }
            if failed > 0 { parts.append("\(failed) failed") }
            return parts.isEmpty ? "no providers" : parts.joined(separator: ", ")
        }
    }
}
