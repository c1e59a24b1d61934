import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan

/// Where a service's current task is: its state, node and the engine's error.
struct SwarmTaskView: Sendable, Codable, Hashable {
    /// Task id.
    var id: String
    /// `running`, `pending`, `rejected`, ...
    var state: String
    /// Node id ("" while unscheduled).
    var node: String?
    /// Why it failed or waits (`no suitable node (...)`, `No such image: ...`).
    var error: String?
}

/// Reads the tasks of a provider's services and the swarm's nodes.
struct SwarmTasks: Sendable {
    let client: DockerClient

    /// The task that stands for each service now: the newest one the swarm wants running
    /// (excluding `previous`, the tasks of the spec before an update); else the newest at all.
    /// The error is the newest one any of its tasks reported, so a restart loop shows why.
    func current(services: [String], previous: Set<String> = []) async throws -> [String: SwarmTaskView] {
        let tasks: [SwarmTask]
        var serviceIDs: [String: String] = [:]
        do {
            tasks = try await client.listTasks(filters: ["service": services])
            for name in services { serviceIDs[name] = try await client.inspectService(id: name).ID }
        } catch {
            throw TenantCtlError("listing the tasks of \(services.joined(separator: ", "))", error)
        }
        var views: [String: SwarmTaskView] = [:]
        for name in services {
            let mine = tasks.filter { $0.ServiceID == serviceIDs[name] && !previous.contains($0.ID) }
                .sorted { ($0.Status?.Timestamp ?? "") > ($1.Status?.Timestamp ?? "") }
            guard let chosen = mine.first(where: { $0.DesiredState == "running" }) ?? mine.first else { continue }
            let error = mine.lazy.compactMap { $0.Status?.Err.flatMap { $0.isEmpty ? nil : $0 } }.first
            views[name] = SwarmTaskView(id: chosen.ID, state: chosen.Status?.State ?? "unknown", node: chosen.NodeID, error: error)
        }
        return views
    }

    /// Node id → address where its host-mode ports are reached.
    func nodeAddresses() async throws -> [String: String] {
        do {
            return Dictionary(uniqueKeysWithValues: try await client.listNodes().map { ($0.ID, $0.Status?.Addr ?? "") })
        } catch {
            throw TenantCtlError("listing the swarm's nodes", error)
        }
    }
}

/// Waits, with a bound, until both services of a provider have a running task and (unless
/// told not to probe) both servers answer on the node that runs them, as
/// ``ProviderReadiness`` probes them on a single engine. On timeout: exit 75 with each
/// service's task state and the engine's error ("no suitable node", a missing image, ...).
struct SwarmReadiness: Sendable {
    let client: DockerClient

    /// Returns the address of the node running the ingest task (where gateways connect).
    func wait(provider: ProviderID, gatewayPort: Int, adminPort: Int, previous: Set<String>, probe: Bool, timeout: Duration) async throws -> String? {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + timeout
        let names = [ProviderNames.container(.ingest, provider), ProviderNames.container(.admin, provider)]
        let tasks = SwarmTasks(client: client)
        var pause = Duration.milliseconds(50)
        var problems: [String] = []
        var addresses: [String: String] = [:]
        while true {
            let views = try await tasks.current(services: names, previous: previous)
            problems = []
            for name in names {
                guard let view = views[name] else { problems.append("\(name): no task yet"); continue }
                if view.state != "running" { problems.append("\(name): task \(view.state)\(view.error.map { ": \($0)" } ?? "")") }
            }
            if problems.isEmpty {
                if addresses.isEmpty { addresses = try await tasks.nodeAddresses() }
                let gatewayHost = views[names[0]]?.node.flatMap { addresses[$0] } ?? ""
                let adminHost = views[names[1]]?.node.flatMap { addresses[$0] } ?? ""
                guard probe else { return gatewayHost }
                let probeTimeout = min(.seconds(2), max(.milliseconds(100), clock.now.duration(to: deadline)))
                async let gateway = ServerProbe.gateway(host: gatewayHost, port: gatewayPort, timeout: probeTimeout)
                async let admin = ServerProbe.admin(host: adminHost, port: adminPort, timeout: probeTimeout)
                let (gatewayNow, adminNow) = await (gateway, admin)
                if gatewayNow.isReady && adminNow.isReady { return gatewayHost }
                if case .notReady(let reason) = gatewayNow { problems.append("gateway \(gatewayHost):\(gatewayPort): \(reason)") }
                if case .notReady(let reason) = adminNow { problems.append("admin \(adminHost):\(adminPort) /health: \(reason)") }
            }
            if clock.now >= deadline {
                let waited = ProviderReadiness.NotReady.seconds(start.duration(to: clock.now))
                throw TenantCtlError("provider \(provider) is not ready after \(waited): \(problems.joined(separator: "; "))", exitCode: ExitStatus.timeout)
            }
            try? await Task.sleep(for: min(pause, clock.now.duration(to: deadline)))
            pause = min(pause * 2, .milliseconds(500))
        }
    }
}
