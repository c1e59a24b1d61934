import DockerAPI
import DockerClient
import Foundation
import Logging
import TenantAuth
import TenantModel
import TenantPlan

/// A `start-provider` run on a swarm: what changed and where the provider is reached.
struct SwarmProvisionOutcome: Sendable {
    /// The run's result, as the single-engine provisioner reports it.
    var result: ProvisionResult
    /// The services' tasks that existed before this run changed them; readiness waits for others.
    var previousTasks: Set<String>
    /// The node a SQLite provider is pinned to.
    var node: String?
}

/// Brings a provider's swarm services to their plan (``SwarmPlanner``): overlay network,
/// versioned secrets, one replicated service per server. An update reads the current spec and
/// version and sends the whole desired spec; a failure part-way removes what this run created.
struct SwarmProvisioner: Sendable {
    let client: DockerClient
    let logger: Logger
    var publishMode: PublishMode = .host
    /// Take the host lock before changing anything (off for `plan`, which changes nothing).
    var useLock = true
    var bootstrapSecret: @Sendable () async throws -> (password: String?, hash: String) = Provisioner.generateBootstrapSecret

    /// The provider's server services (by the contract's labels).
    func services(_ id: ProviderID) async throws -> [Service] {
        do {
            return try await client.listServices(labels: ["\(Labels.provider)=\(id)"]).filter { Self.role(of: $0) != nil }
        } catch {
            throw TenantCtlError("listing services of \(id)", error)
        }
    }

    static func role(of service: Service) -> Role? {
        service.Spec.Labels?[Labels.role].flatMap(Role.init(rawValue:)).flatMap { $0 == .ingest || $0 == .admin ? $0 : nil }
    }

    func start(_ request: ProvisionRequest) async throws -> SwarmProvisionOutcome {
        let id = request.id
        // The provider's gateway CA lives in its secrets volume, which a swarm provider has
        // not: refused before anything changes rather than started without TLS.
        if request.gatewayTLS != nil {
            throw TenantCtlError("--gateway-tls is not supported on a swarm yet (docs/swarm.md); use --orchestrator engine on one host", exitCode: ExitStatus.usage)
        }
        let lock = useLock ? try await ProviderLock.acquire() : nil
        defer { lock?.release() }
        let existing = try await services(id)
        let kept = { (role: Role) in existing.first { Self.role(of: $0) == role }?.Spec.Labels?[PlanLabels.hostPort].flatMap(Int.init) }
        let others = try await publishedPorts(excluding: id)
        for (port, what) in [(request.gatewayPort, "gateway"), (request.adminPort, "admin")] {
            if let port, others.contains(port) {
                throw TenantCtlError("\(what) port \(port) is already published by another service on the swarm", exitCode: ExitStatus.conflict)
            }
        }
        var used = others
        let gateway = try request.gatewayPort ?? kept(.ingest)
            ?? Self.choose(from: Provisioner.firstGatewayPort, used: used.union([request.adminPort].compactMap { $0 }), what: "gateway")
        used.insert(gateway)
        let admin = try request.adminPort ?? kept(.admin) ?? Self.choose(from: Provisioner.firstAdminPort, used: used, what: "admin")
        var settings = ProviderSettings(
            id: id, image: request.image, gatewayPort: gateway, adminPort: admin, store: request.store,
            memoryBytes: request.memoryBytes, nanoCPUs: request.nanoCPUs,
            fleet: request.fleet ?? existing.lazy.compactMap { $0.Spec.Labels?[Labels.fleet] }.first)
        settings.secretDigests = request.secrets.digests(provider: id)
        settings.smtpRelay = request.smtpRelay
        let node = try await placement(settings, existing: existing)
        let journal = SwarmJournal()
        do {
            let networkCreated = try await ensureNetwork(settings, pool: request.subnetPool, chosen: request.subnet, journal: journal)
            let secrets = try await ensureSecrets(settings, values: request.secrets, journal: journal)
            let plan = SwarmPlanner.plan(settings, node: node, secrets: secrets, publishMode: publishMode)
            var previous = Set<String>()
            var password: String?
            for service in plan.services {
                let current = existing.first { $0.Spec.Name == service.name }
                if let current {
                    let upToDate = current.Spec.Labels?[Labels.configHash] == service.configHash && current.Spec.replicas == 1
                    if upToDate { continue }
                    previous.formUnion(try await client.listTasks(filters: ["service": [current.ID]]).map(\.ID))
                    var spec = service.spec
                    // The bootstrap hash is given once, at creation; an update keeps it.
                    let bootstrap = current.Spec.TaskTemplate.ContainerSpec.Env?.filter { $0.hasPrefix(Self.bootstrapVariable) } ?? []
                    spec.TaskTemplate.ContainerSpec.Env = (spec.TaskTemplate.ContainerSpec.Env ?? []) + bootstrap
                    try await client.updateService(id: current.ID, version: current.Version?.Index ?? 0, spec)
                    await journal.record("update service \(service.name)", undo: nil)
                } else {
                    var spec = service.spec
                    if service.role == .admin {
                        let secret = try await bootstrapSecret()
                        password = secret.password
                        spec.TaskTemplate.ContainerSpec.Env = (spec.TaskTemplate.ContainerSpec.Env ?? []) + ["\(Self.bootstrapVariable)\(secret.hash)"]
                    }
                    let created = try await client.createService(spec)
                    await journal.record("create service \(service.name)", undo: .service(created.ID))
                }
            }
            await removeUnusedSecrets(id, keeping: Set(secrets.values.map(\.id)))
            var result = ProvisionResult(
                provider: id.rawValue, state: "running", gatewayPort: gateway, adminPort: admin, changes: await journal.done,
                adminPassword: password, adminPasswordIfNoAccount: password != nil && !networkCreated ? true : nil)
            result.changes = await journal.done
            return SwarmProvisionOutcome(result: result, previousTasks: previous, node: node)
        } catch {
            for undo in await journal.undos.reversed() {
                logger.debug("undo", metadata: ["step": "\(undo)"])
                switch undo {
                case .service(let id): try? await client.removeService(id: id)
                case .secret(let id): try? await client.removeSecret(id: id)
                case .network(let name): try? await removeNetwork(name, within: .seconds(20))
                }
            }
            throw TenantCtlError("starting \(id) on the swarm", error)
        }
    }

    static let bootstrapVariable = "TENANT_ADMIN_BOOTSTRAP_HASH="

    /// Ports published by every service on the swarm but `id`'s.
    func publishedPorts(excluding id: ProviderID?) async throws -> Set<Int> {
        do {
            return Set(
                try await client.listServices().filter { id == nil || $0.Spec.Labels?[Labels.provider] != id?.rawValue }
                    .flatMap { $0.Spec.EndpointSpec?.Ports ?? [] }.compactMap(\.PublishedPort))
        } catch {
            throw TenantCtlError("listing the swarm's services", error)
        }
    }

    static func choose(from start: Int, used: Set<Int>, what: String) throws -> Int {
        // Host ports of this machine say nothing about the swarm's nodes: the services' list does.
        guard let port = PortChooser.next(from: start, used: used, isFreeOnHost: { _ in true }) else {
            throw TenantCtlError("no free \(what) port from \(start) up on the swarm")
        }
        return port
    }

    /// SQLite: the node already recorded, else the least-loaded node that takes tasks.
    /// Cassandra: nil (tasks may run on any node).
    func placement(_ settings: ProviderSettings, existing: [Service]) async throws -> String? {
        guard settings.store.needsVolume else { return nil }
        if let node = existing.lazy.compactMap({ $0.Spec.Labels?[SwarmPlanner.Label.node] }).first { return node }
        do {
            let nodes = try await client.listNodes().filter { $0.Status?.State == "ready" && ($0.Spec?.Availability ?? "active") == "active" }
            let pinned = try await client.listServices(labels: [SwarmPlanner.Label.node]).compactMap { $0.Spec.Labels?[SwarmPlanner.Label.node] }
            let load = pinned.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            guard let node = SwarmPlanner.leastLoaded(nodes.map { ($0.ID, $0.Description?.Hostname ?? $0.ID, load[$0.ID] ?? 0) }) else {
                throw TenantCtlError("no swarm node is ready and active to hold \(settings.id)'s data")
            }
            return node
        } catch let error as TenantCtlError {
            throw error
        } catch {
            throw TenantCtlError("choosing a node for \(settings.id)", error)
        }
    }

    /// Creates the overlay network if missing, its subnet from `pool` (or `chosen`); true when created.
    private func ensureNetwork(_ settings: ProviderSettings, pool: SubnetPool, chosen: IPv4Block?, journal: SwarmJournal) async throws -> Bool {
        let name = ProviderNames.network(settings.id)
        if try await objectExists({ try await client.inspectNetwork(id: name) }) { return false }
        var settings = settings
        let provisioner = Provisioner(client: client, logger: logger)
        if let chosen {
            settings.subnet = chosen
        } else {
            settings.subnet = try Provisioner.firstFreeSubnet(in: pool, avoiding: try await provisioner.takenSubnets())
        }
        let network = SwarmPlanner.plan(settings, node: nil, secrets: [:]).network
        _ = try await client.createNetwork(network)
        await journal.record("create network \(name) (overlay \(settings.subnet?.description ?? "-"))", undo: .network(name))
        return true
    }

    /// The swarm secret of each kind the services read: existing ones by name (a name carries
    /// the value's digest), new ones created. The settings key is generated once and kept.
    private func ensureSecrets(_ settings: ProviderSettings, values: ProviderSecretValues, journal: SwarmJournal) async throws -> [SecretKind: SwarmSecretHandle] {
        let id = settings.id
        let existing = try await client.listSecrets(labels: ["\(Labels.provider)=\(id)"])
        var handles: [SecretKind: SwarmSecretHandle] = [:]
        let kinds = Set(settings.secrets(for: .ingest) + settings.secrets(for: .admin))
        for kind in kinds.sorted() {
            let value: String
            let version: String
            if kind == .settingsKey {
                if let key = existing.first(where: { $0.Spec.Labels?[SwarmPlanner.Label.secretKind] == kind.rawValue }) {
                    handles[kind] = SwarmSecretHandle(id: key.ID, name: key.Spec.Name)
                    continue
                }
                value = SecretGenerator.token(byteCount: 32)
                version = ProviderSecretValues.digest(kind.digestInput(of: value, provider: id))
            } else {
                guard let given = values[kind], let digest = settings.secretDigests[kind] else { continue }
                value = given
                version = digest
            }
            let name = SwarmPlanner.secretName(id, kind, version: version)
            if let found = existing.first(where: { $0.Spec.Name == name }) {
                handles[kind] = SwarmSecretHandle(id: found.ID, name: name)
                continue
            }
            let spec = SecretSpec(
                Name: name, Labels: SwarmPlanner.secretLabels(id, kind, fleet: settings.fleet), Data: Data(value.utf8).base64EncodedString())
            let created = try await client.createSecret(spec)
            await journal.record("create secret \(name)", undo: .secret(created.ID))
            handles[kind] = SwarmSecretHandle(id: created.ID, name: name)
        }
        return handles
    }

    /// Older versions of the provider's secrets; one a task still holds is left for the next run.
    private func removeUnusedSecrets(_ id: ProviderID, keeping: Set<String>) async {
        guard let all = try? await client.listSecrets(labels: ["\(Labels.provider)=\(id)"]) else { return }
        for secret in all where !keeping.contains(secret.ID) && secret.Spec.Labels?[SwarmPlanner.Label.secretKind] != SecretKind.settingsKey.rawValue {
            try? await client.removeSecret(id: secret.ID)
        }
    }

    /// Removes `name`, retrying while the tasks of removed services still hold it.
    func removeNetwork(_ name: String, within bound: Duration) async throws {
        let deadline = ContinuousClock.now + bound
        var pause = Duration.milliseconds(50)
        while true {
            do {
                try await client.removeNetwork(id: name)
                return
            } catch .notFound {
                return
            } catch {
                if ContinuousClock.now >= deadline { throw error }
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
    }
}

/// What a swarm run did and how to undo it.
actor SwarmJournal {
    enum Undo: Sendable, CustomStringConvertible {
        case service(String)
        case secret(String)
        case network(String)

        var description: String {
            switch self {
            case .service(let id): return "remove service \(id)"
            case .secret(let id): return "remove secret \(id)"
            case .network(let name): return "remove network \(name)"
            }
        }
    }

    private(set) var done: [String] = []
    private(set) var undos: [Undo] = []

    func record(_ step: String, undo: Undo?) {
        done.append(step)
        if let undo { undos.append(undo) }
    }
}
