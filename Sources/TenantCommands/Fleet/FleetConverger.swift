import DockerClient
import Logging
import TenantModel
import TenantPlan

/// What `apply` did to one provider (`--json` prints these).
public struct FleetResult: Sendable, Codable {
    /// Provider id.
    public var provider: String
    /// What was done (`unchanged` when another run had already done it).
    public var action: String
    /// Whether the provider converged.
    public var ok: Bool
    /// Why not, when `ok` is false.
    public var error: String?
    /// Published gateway port, when known.
    public var gatewayPort: Int?
    /// Published admin port, when known.
    public var adminPort: Int?
    /// The bootstrap admin password, shown once, as `start-provider` prints it.
    public var adminPassword: String?
    /// Present (true) when the password applies only if the store has no staff account yet.
    public var adminPasswordIfNoAccount: Bool?
    /// For a provider this run changed: true once both servers answered, false if they did
    /// not in time; absent when not waited for (`--no-wait`, unchanged, failed).
    public var ready: Bool?
}

/// Converges the engine to a fleet file: each provider as `start-provider` would (the same
/// ``Provisioner``), several at once, each failure kept to its provider.
///
/// Changes happen under the host lock (`ProviderLock`), held from the second look at the
/// engine until the last provider is converged: two `apply` runs, or an `apply` and a
/// `start-provider`, never interleave on a provider, and ports are chosen for the whole
/// batch at once so the parallel runs inside never pick the same one. A run with nothing
/// to do takes no lock.
struct FleetConverger: Sendable {
    let client: DockerClient
    let logger: Logger
    /// Providers converged at once.
    var parallel: Int
    /// Seconds a pruned provider's servers get to stop.
    var grace = 10

    /// Applies `file`; with `prune`, removes the fleet's providers it no longer lists.
    func apply(_ file: FleetFile, prune: Bool, purgeData: Bool) async throws -> [FleetResult] {
        var provisioner = Provisioner(client: client, logger: logger)
        let reconciler = FleetReconciler(client: client, provisioner: provisioner)
        let first = try await reconciler.changes(
            file, observation: try await FleetObservation.observe(client: client, fleet: file.name, prune: prune, purgeData: purgeData), prune: prune)
        guard first.contains(where: { $0.action != .unchanged }) else { return first.map(Self.unchanged) }

        let lock = try await ProviderLock.acquire()
        defer { lock.release() }
        // Another run may have acted before the lock was ours.
        let observation = try await FleetObservation.observe(client: client, fleet: file.name, prune: prune, purgeData: purgeData)
        let changes = try await reconciler.changes(file, observation: observation, prune: prune)
        let converging = changes.filter { $0.request != nil && $0.action != .unchanged }
        let settled = try await provisioner.settleBatch(converging.map { $0.request! }, containers: observation.all, observed: observation.byProvider)
        let requests = Dictionary(settled.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        provisioner.useLock = false  // held here, for all of them
        let runner = provisioner

        let jobs = changes.filter { $0.action != .unchanged }
        let done = await Self.boundedMap(jobs, limit: parallel) { change in
            if change.action == .remove { return await remove(change, purgeData: purgeData) }
            return await converge(change, request: requests[change.provider.rawValue]!, provisioner: runner)
        }
        var byProvider: [String: FleetResult] = [:]
        for result in done { byProvider[result.provider] = result }
        return changes.map { byProvider[$0.provider.rawValue] ?? Self.unchanged($0) }
    }

    /// One provider brought to its request; the keyspace of a new Cassandra provider is created
    /// first when the file sets its replication (as `create-keyspace --replication` would).
    func converge(_ change: FleetChange, request: ProvisionRequest, provisioner: Provisioner) async -> FleetResult {
        var result = FleetResult(
            provider: change.provider.rawValue, action: change.action.rawValue, ok: false, gatewayPort: request.gatewayPort, adminPort: request.adminPort)
        do {
            if change.action == .create, let replication = change.replication, request.store.isCassandra,
                let keyspaces = try TenantCtl.KeyspaceCreate.cassandraProvisioner(replication: replication)
            {
                let hosts = try await SharedDatabase.hostContactPoints(for: request.store) { client }
                do { try await keyspaces.createKeyspace(provider: request.id, contactPoints: hosts, logger: logger) } catch {
                    throw TenantCtlError("creating keyspace \(request.id)", error)
                }
            }
            let provisioned = try await provisioner.start(request)
            if provisioned.changes.isEmpty { result.action = FleetAction.unchanged.rawValue }
            result.ok = true
            result.gatewayPort = provisioned.gatewayPort
            result.adminPort = provisioned.adminPort
            result.adminPassword = provisioned.adminPassword
            result.adminPasswordIfNoAccount = provisioned.adminPasswordIfNoAccount
        } catch {
            result.error = Self.oneLine(error)
        }
        return result
    }

    /// One pruned provider removed as `remove` does (data kept unless `purgeData`).
    func remove(_ change: FleetChange, purgeData: Bool) async -> FleetResult {
        var result = FleetResult(
            provider: change.provider.rawValue, action: FleetAction.remove.rawValue, ok: false, gatewayPort: change.gatewayPort, adminPort: change.adminPort)
        do {
            // --purge-data on apply is the confirmation (cron has no terminal to ask on).
            _ = try await TenantCtl.ProviderRemove.remove(change.provider, client: client, purgeData: purgeData, grace: grace, logger: logger) { _, _ in }
            result.ok = true
        } catch {
            result.error = Self.oneLine(error)
        }
        return result
    }

    /// Waits, all at once and after the host lock is released, until every provider this
    /// run changed serves (as `start-provider` waits); one that does not in `timeout` fails.
    func waitUntilReady(_ results: [FleetResult], timeout: Duration) async -> [FleetResult] {
        let readiness = ProviderReadiness(client: client, host: ServerProbe.host(forEngineEndpoint: client.transport.endpoint))
        let changed: Set<String> = [FleetAction.create.rawValue, FleetAction.update.rawValue, FleetAction.repair.rawValue]
        return await Self.boundedMap(results, limit: 256) { result in
            guard result.ok, changed.contains(result.action), let gateway = result.gatewayPort, let admin = result.adminPort,
                let provider = try? ProviderID(result.provider)
            else { return result }
            var waited = result
            do {
                try await readiness.wait(provider: provider, gatewayPort: gateway, adminPort: admin, timeout: timeout)
                waited.ready = true
            } catch {
                waited.ready = false
                waited.ok = false
                waited.error = Self.oneLine(error)
            }
            return waited
        }
    }

    static func unchanged(_ change: FleetChange) -> FleetResult {
        FleetResult(provider: change.provider.rawValue, action: change.action.rawValue, ok: true, gatewayPort: change.gatewayPort, adminPort: change.adminPort)
    }

    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// `body` over `items` with at most `limit` running at once; results in `items` order.
    static func boundedMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async -> R) async -> [R] {
        await withTaskGroup(of: (Int, R).self) { group in
            var results: [R?] = Array(repeating: nil, count: items.count)
            var next = 0
            while next < min(limit, items.count) {
                let index = next
                group.addTask { (index, await body(items[index])) }
                next += 1
            }
            for await (index, result) in group {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, await body(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}
