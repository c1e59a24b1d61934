import ArgumentParser
import DockerAPI
import DockerClient
import Foundation

/// `--orchestrator`: what tenantctl drives on the engine it talks to.
public enum OrchestratorChoice: String, ExpressibleByArgument, Sendable, CaseIterable {
    /// A swarm manager gets services, any other engine containers (`GET /info` decides).
    case auto
    /// Containers on this engine, even if it is a swarm node.
    case engine
    /// Services on the swarm this engine manages.
    case swarm
}

/// What tenantctl drives, as decided for this run.
public enum Orchestrator: Sendable {
    /// Containers on a single engine.
    case engine
    /// Services on a swarm, through one of its managers.
    case swarm(SwarmInfo)

    /// Decides from `GET /info`, one line of error when the choice cannot be honoured. An
    /// engine that does not answer `/info` (a fake, a proxy that blocks it) counts as a plain engine.
    static func detect(_ client: DockerClient, choice: OrchestratorChoice) async throws -> Orchestrator {
        if choice == .engine { return .engine }
        let swarm: SwarmInfo?
        do {
            swarm = try await client.info().Swarm
        } catch .notFound, .invalidResponse {
            swarm = nil
        } catch {
            throw TenantCtlError("reading the engine's swarm state (GET /info)", error)
        }
        let state = swarm?.LocalNodeState ?? "inactive"
        let isManager = swarm?.ControlAvailable == true
        if state == "active", let swarm {
            if isManager { return .swarm(swarm) }
            if choice == .auto || choice == .swarm { throw workerRefusal(swarm, endpoint: client.transport.endpoint) }
        }
        if choice == .swarm {
            throw TenantCtlError(
                "the engine at \(client.transport.endpoint) is not a swarm manager (swarm state: \(state)): "
                    + "run `docker swarm init` there or point --docker-host at a manager", exitCode: ExitStatus.usage)
        }
        return .engine
    }

    /// A worker accepts no service calls; say where the managers are.
    static func workerRefusal(_ swarm: SwarmInfo, endpoint: String) -> TenantCtlError {
        let managers = (swarm.RemoteManagers ?? []).compactMap(\.Addr).map { $0.split(separator: ":").first.map(String.init) ?? $0 }
        let hint = managers.isEmpty ? "" : " (managers: \(managers.joined(separator: ", ")))"
        return TenantCtlError(
            "the engine at \(endpoint) is a swarm worker: point --docker-host or DOCKER_HOST at a swarm manager\(hint), "
                + "or pass --orchestrator engine to manage this engine's own containers", exitCode: ExitStatus.usage)
    }
}

extension GlobalOptions {
    /// `--orchestrator`, else `TENANTCTL_ORCHESTRATOR`, else auto.
    var orchestratorChoice: OrchestratorChoice {
        if let orchestrator { return orchestrator }
        return ProcessInfo.processInfo.environment["TENANTCTL_ORCHESTRATOR"].flatMap(OrchestratorChoice.init(rawValue:)) ?? .auto
    }

    /// A negotiated client and the orchestrator it drives (commands that run on both).
    public func connect() async throws -> (client: DockerClient, orchestrator: Orchestrator) {
        let client = try await plainClient()
        return (client, try await Orchestrator.detect(client, choice: orchestratorChoice))
    }

    /// A client for commands that drive a single engine's containers only: a swarm manager
    /// (unless `--orchestrator engine`) or worker is refused in one line.
    public func client() async throws -> DockerClient {
        let (client, orchestrator) = try await connect()
        if case .swarm = orchestrator {
            throw TenantCtlError(
                "this command does not run on a swarm yet (on a swarm: start-provider, plan, diff, apply, stop, restart, list, status, logs, remove, doctor); "
                    + "pass --orchestrator engine to act on this engine's own containers", exitCode: ExitStatus.usage)
        }
        return client
    }
}
