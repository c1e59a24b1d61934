import DockerAPI
import DockerClient
import Foundation
import Logging
import TenantAuth
import TenantModel
import TenantPlan

/// A `start-provider` request before ports are settled.
public struct ProvisionRequest: Sendable, Hashable {
    /// The provider.
    public var id: ProviderID
    /// Image reference.
    public var image: String
    /// Requested gateway port, or nil to keep/choose.
    public var gatewayPort: Int?
    /// Requested admin port, or nil to keep/choose.
    public var adminPort: Int?
    /// Data store.
    public var store: StoreChoice
    /// Memory limit per container.
    public var memoryBytes: Int64?
    /// CPU limit per container.
    public var nanoCPUs: Int64?
    /// The fleet to stamp on what is created (`apply -f`), or nil to keep the provider's.
    public var fleet: String?
    /// Secret values for the secrets volume (Cassandra login, relay password).
    public var secrets: ProviderSecretValues
    /// The platform mail relay of the admin app, if any.
    public var smtpRelay: SMTPRelay?
    /// TLS on the gateway port (`--gateway-tls`); nil is plain.
    public var gatewayTLS: GatewayTLSPlan?
    /// Where the provider's network takes its subnet from when this run creates it.
    public var subnetPool: SubnetPool
    /// The subnet to create the network with, chosen beforehand from the pool (`apply`
    /// chooses for a whole batch at once); nil to choose when the network is created.
    public var subnet: IPv4Block?

    /// Creates a request.
    public init(
        id: ProviderID, image: String, gatewayPort: Int? = nil, adminPort: Int? = nil, store: StoreChoice = .sqlite,
        memoryBytes: Int64? = ProviderSettings.defaultMemoryBytes, nanoCPUs: Int64? = ProviderSettings.defaultNanoCPUs,
        subnetPool: SubnetPool = .default, fleet: String? = nil, secrets: ProviderSecretValues = ProviderSecretValues(), smtpRelay: SMTPRelay? = nil
    ) {
        self.secrets = secrets
        self.smtpRelay = smtpRelay
        self.id = id
        self.image = image
        self.gatewayPort = gatewayPort
        self.adminPort = adminPort
        self.store = store
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.fleet = fleet
        self.subnetPool = subnetPool
    }
}

/// What a `start-provider` run did.
public struct ProvisionResult: Sendable, Encodable {
    /// Provider id.
    public var provider: String
    /// `running` after a successful run.
    public var state: String
    /// Published gateway port.
    public var gatewayPort: Int
    /// Published admin port.
    public var adminPort: Int
    /// Steps taken, empty when nothing changed.
    public var changes: [String]
    /// The bootstrap admin password, only on a run that created the admin container for a
    /// new store (or for a provider without containers).
    public var adminPassword: String?
    /// Present (true) when the store existed before this run: the password applies only if
    /// the store has no staff account yet.
    public var adminPasswordIfNoAccount: Bool?
    /// Where gateways connect, `HOST:PORT` (the engine's host; loopback for a local engine).
    public var gatewayAddress: String?
    /// The admin panel, `http://HOST:PORT/`.
    public var adminURL: String?
    /// True once both servers answered their probes; false with `--no-wait`.
    public var ready: Bool?

    /// Fills in the addresses for `host`.
    mutating func locate(host: String) {
        gatewayAddress = ProviderInventory.gatewayAddress(host: host, port: gatewayPort)
        adminURL = ProviderInventory.adminURL(host: host, port: adminPort)
    }
}

/// Brings a provider to its plan: observe (one list call), and when anything differs,
/// take the host lock, choose ports, create/start what is missing in parallel, and undo
/// this run's work if a step fails.
public struct Provisioner: Sendable {
    /// Engine client.
    public let client: DockerClient
    /// Step log.
    public let logger: Logger
    /// Take the host lock before changing anything (off for `plan`, which changes nothing).
    public var useLock = true
    /// Generates the bootstrap password's hash; `plan` substitutes a placeholder.
    public var bootstrapSecret: @Sendable () async throws -> (password: String?, hash: String) = Provisioner.generateBootstrapSecret

    /// First gateway port tried when none is given or kept.
    public static let firstGatewayPort = 6001
    /// First admin port tried when none is given or kept.
    public static let firstAdminPort = 8081
    /// Suffix of a container kept aside while its replacement starts.
    static let replacedSuffix = "_tenantctl_replaced"

    /// Creates a provisioner.
    public init(client: DockerClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Starts or repairs the provider.
    public func start(_ request: ProvisionRequest) async throws -> ProvisionResult {
        let id = request.id
        var observed = try await observe(id)
        // Fast path: ports known (given or kept) and everything running as planned.
        if let settings = settingsWithoutChoosing(request, observed: observed) {
            let plan = Planner.plan(settings)
            if Reconciler.isSatisfied(plan: plan, observed: observed), try await sharedDatabaseIsolated(plan) {
                logger.debug("provider already up", metadata: ["tenant.id": "\(id)"])
                return ProvisionResult(
                    provider: id.rawValue, state: "running", gatewayPort: settings.gatewayPort, adminPort: settings.adminPort, changes: [],
                    adminPassword: nil, adminPasswordIfNoAccount: nil)
            }
        }
        if request.store.sharedNetwork != nil, !(try await objectExists { try await client.inspectContainer(id: SharedDatabaseNames.container) }) {
            throw TenantCtlError(
                "--store cassandra without --cassandra uses the shared Cassandra container, but \(SharedDatabaseNames.container) does not exist: "
                    + "run `tenantctl db start --image REF` first", exitCode: ExitStatus.notFound)
        }
        let lock = useLock ? try await ProviderLock.acquire() : nil
        defer { lock?.release() }
        if lock != nil { observed = try await observe(id) }  // another run may have acted meanwhile
        let holders = try await portHolders(excluding: id)
        var used = Set(holders.keys)
        var settings = try settle(request, observed: observed, used: &used)
        // Before any change: a run that would fail on a taken port must not disturb anything.
        if let conflict = portConflict(settings, request: request, observed: observed, holders: holders) {
            throw TenantCtlError(conflict.description, exitCode: ExitStatus.conflict)
        }
        async let networkExists = objectExists { try await client.inspectNetwork(id: ProviderNames.network(id)) }
        let needsVolume = settings.store.needsVolume
        async let volumeExists: Bool? = needsVolume ? objectExists { try await client.inspectVolume(name: ProviderNames.volume(id)) } : nil
        // A network this run creates gets its subnet from the pool, chosen under the lock
        // like the ports; an existing one keeps whatever it has.
        if !(try await networkExists) {
            if let chosen = request.subnet { settings.subnet = chosen } else { settings.subnet = try await freeSubnet(in: request.subnetPool) }
        }
        let plan = Planner.plan(settings)
        let steps = Reconciler.actions(plan: plan, observed: observed, networkExists: try await networkExists, volumeExists: try await volumeExists)
        let changes = try await execute(steps, plan: plan, observed: observed, secrets: request.secrets)
        return ProvisionResult(
            provider: id.rawValue, state: "running", gatewayPort: settings.gatewayPort, adminPort: settings.adminPort,
            changes: changes.steps, adminPassword: changes.password, adminPasswordIfNoAccount: changes.storeMayHaveAccount ? true : nil)
    }

    /// The provider's containers (one list call filtered by its label).
    public func observe(_ id: ProviderID) async throws -> [ObservedContainer] {
        do {
            return try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(id)"]).map(ObservedContainer.init)
                .filter { ($0.role == .ingest || $0.role == .admin) && !$0.name.hasSuffix(Self.replacedSuffix) }
        } catch {
            throw TenantCtlError("listing containers of \(id)", error)
        }
    }

    func settingsWithoutChoosing(_ request: ProvisionRequest, observed: [ObservedContainer]) -> ProviderSettings? {
        guard let gateway = request.gatewayPort ?? observed.first(where: { $0.role == .ingest })?.hostPort,
            let admin = request.adminPort ?? observed.first(where: { $0.role == .admin })?.hostPort
        else { return nil }
        return settings(request, gateway: gateway, admin: admin, observed: observed)
    }

    private func settings(_ request: ProvisionRequest, gateway: Int, admin: Int, observed: [ObservedContainer]) -> ProviderSettings {
        // A run without a fleet (start-provider by hand) keeps the fleet the provider has, as
        // it keeps its ports, so repairing a fleet's provider by hand does not orphan it.
        var settings = ProviderSettings(
            id: request.id, image: request.image, gatewayPort: gateway, adminPort: admin, store: request.store,
            memoryBytes: request.memoryBytes, nanoCPUs: request.nanoCPUs, fleet: request.fleet ?? observed.lazy.compactMap(\.fleet).first)
        settings.secretDigests = request.secrets.digests(provider: request.id)
        settings.smtpRelay = request.smtpRelay
        settings.gatewayTLS = request.gatewayTLS
        if let tls = request.gatewayTLS, tls.generated {
            // Made in the volume (SecretsWriter): the plan sees that they exist, not their content.
            for kind in [SecretKind.gatewayTLSCertificate, .gatewayTLSKey, .gatewayCACertificate] {
                settings.secretDigests[kind] = GatewayTLSPlan.generatedDigest
            }
        }
        return settings
    }

    /// Settings with both ports: given, kept from existing containers, or chosen free outside
    /// `used` (the ports other containers have published or reserved), which gains them.
    func settle(_ request: ProvisionRequest, observed: [ObservedContainer], used: inout Set<Int>) throws -> ProviderSettings {
        if let settings = settingsWithoutChoosing(request, observed: observed) { return settings }
        let gateway = try request.gatewayPort ?? observed.first(where: { $0.role == .ingest })?.hostPort
            ?? choose(from: Self.firstGatewayPort, used: used.union([request.adminPort].compactMap { $0 }), what: "gateway")
        used.insert(gateway)
        let admin = try request.adminPort ?? observed.first(where: { $0.role == .admin })?.hostPort
            ?? choose(from: Self.firstAdminPort, used: used, what: "admin")
        used.insert(admin)
        return settings(request, gateway: gateway, admin: admin, observed: observed)
    }

    private func choose(from start: Int, used: Set<Int>, what: String) throws -> Int {
        guard let port = PortChooser.next(from: start, used: used, isFreeOnHost: HostPorts.isFree) else {
            throw TenantCtlError("no free \(what) port from \(start) up")
        }
        return port
    }

    /// The first subnet of `pool` that no network on the engine overlaps.
    func freeSubnet(in pool: SubnetPool) async throws -> IPv4Block {
        try Self.firstFreeSubnet(in: pool, avoiding: try await takenSubnets())
    }

    /// The first subnet of `pool` that overlaps none of `taken`.
    static func firstFreeSubnet(in pool: SubnetPool, avoiding taken: [IPv4Block]) throws -> IPv4Block {
        guard let subnet = pool.firstFree(avoiding: taken) else {
            throw TenantCtlError(
                "the subnet pool \(pool) is full (\(pool.used(by: taken)) of \(pool.capacity) subnets in use): "
                    + "pass a larger or another range with --subnet-pool")
        }
        return subnet
    }

    /// Every IPv4 subnet of every network on the engine, whoever created it.
    func takenSubnets() async throws -> [IPv4Block] {
        do {
            return try await client.listNetworks().flatMap(\.subnets).compactMap { IPv4Block(cidr: $0) }
        } catch {
            throw TenantCtlError("listing networks", error)
        }
    }

    /// Default bootstrap secret: a fresh password and its yescrypt hash, computed off the pool.
    public static let generateBootstrapSecret: @Sendable () async throws -> (password: String?, hash: String) = {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let password = SecretGenerator.password()
                continuation.resume(with: Result { (password, try PasswordHasher.hash(password)) })
            }
        }
    }

    // MARK: Execution

    private func execute(
        _ steps: ReconcilePlan, plan: ProviderPlan, observed: [ObservedContainer], secrets: ProviderSecretValues
    ) async throws -> (steps: [String], password: String?, storeMayHaveAccount: Bool) {
        let journal = Journal()
        let id = plan.settings.id
        // A bootstrap admin password goes with an admin container created for a new store (a
        // data volume made by this run) or for a provider with no container at all (its store
        // may be new: create-keyspace made the volume, or Cassandra). tenant-admin uses the
        // hash only while no staff account exists, so a store that already has one ignores it;
        // the printed line says so when the store was not created by this run.
        let createsAdmin = steps.all.contains(.createContainer(role: .admin, name: ProviderNames.container(.admin, id)))
        let newVolume = steps.shared.contains(.createVolume(name: ProviderNames.volume(id)))
        let secret: Task<(password: String?, hash: String), any Error>? =
            createsAdmin && (newVolume || observed.isEmpty) ? Task { [bootstrapSecret] in try await bootstrapSecret() } : nil
        do {
            // Network and volume in parallel, then each container's steps in parallel with the
            // other's. Every branch finishes (none is cancelled half-way, which could leave an
            // object the journal does not know) before a failure is judged.
            try await runInParallel(steps.shared.map { [$0] }, plan: plan, journal: journal, bootstrapHash: nil)
            try await isolateOnSharedDatabase(plan, journal: journal)
            // Secret files before any container that reads them is created; containers that
            // keep running read theirs again only when restarted.
            if steps.all.contains(where: { if case .createContainer = $0 { return true } else { return false } }) {
                try await SecretsWriter(client: client, logger: logger).write(secrets, settings: plan.settings, journal: journal)
            }
            let hash = try await secret?.value.hash
            try await runInParallel(steps.containers.map(\.actions), plan: plan, journal: journal, bootstrapHash: hash)
        } catch {
            secret?.cancel()
            await rollback(journal)
            throw error
        }
        await commit(journal)
        let password = try await secret?.value.password
        return (await journal.done, password, password != nil && !newVolume)
    }

    /// Runs each sequence of steps concurrently with the others; throws the first failure
    /// after all have finished.
    private func runInParallel(_ sequences: [[ProvisionAction]], plan: ProviderPlan, journal: Journal, bootstrapHash: String?) async throws {
        let failures = await withTaskGroup(of: (any Error)?.self) { group in
            for actions in sequences where !actions.isEmpty {
                group.addTask {
                    do {
                        for step in actions { try await self.perform(step, plan: plan, journal: journal, bootstrapHash: bootstrapHash) }
                        return nil
                    } catch { return error }
                }
            }
            var failures: [any Error] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        if let first = failures.first { throw first }
    }

    private func perform(_ step: ProvisionAction, plan: ProviderPlan, journal: Journal, bootstrapHash: String?) async throws {
        logger.debug("step", metadata: ["tenant.id": "\(plan.settings.id)", "step": "\(step)"])
        do {
            try await performStep(step, plan: plan, journal: journal, bootstrapHash: bootstrapHash)
        } catch {
            throw TenantCtlError("\(step) failed", error)
        }
    }

    private func performStep(_ step: ProvisionAction, plan: ProviderPlan, journal: Journal, bootstrapHash: String?) async throws(DockerError) {
        switch step {
        case .createNetwork:
            do {
                _ = try await client.createNetwork(plan.network)
                await journal.record(step, undo: .removeNetwork(plan.network.Name))
            } catch {
                guard case .conflict = error else { throw error }
                await journal.record(step, undo: nil)  // created meanwhile by someone else: keep it
            }
        case .createVolume:
            guard let volume = plan.volume else { return }
            _ = try await client.createVolume(volume)
            await journal.record(step, undo: .removeVolume(volume.Name))
        case .removeContainer(let name, let id):
            // Keep the old container aside (stopped, renamed) until its replacement runs.
            let wasRunning: Bool
            do { wasRunning = try await client.inspectContainer(id: id).State.Running ?? false } catch { wasRunning = false }
            do { try await client.stopContainer(id: id) } catch {
                guard case .notModified = error else { throw error }
            }
            // A set-aside container left by an interrupted run would block the name.
            do { try await client.removeContainer(id: name + Self.replacedSuffix, force: true) } catch {
                guard case .notFound = error else { throw error }
            }
            try await client.renameContainer(id: id, to: name + Self.replacedSuffix)
            await journal.record(step, undo: .restore(id: id, name: name, wasRunning: wasRunning))
        case .createContainer(let role, let name):
            guard let container = plan.container(role) else { return }
            var request = Planner.createRequest(container, provider: plan.settings.id, engine: client.version)
            if role == .admin, let bootstrapHash { request.Env?.append("TENANT_ADMIN_BOOTSTRAP_HASH=\(bootstrapHash)") }
            let created = try await client.createContainer(name: name, request)
            await journal.record(step, undo: .removeContainer(created.Id), createdID: (name, created.Id))
        case .startContainer(_, let name):
            let target = await journal.createdID(name) ?? name
            do {
                try await client.startContainer(id: target)
                let isNew = await journal.createdID(name) != nil
                await journal.record(step, undo: isNew ? nil : .stopContainer(target))
            } catch {
                guard case .notModified = error else { throw error }
                await journal.record(step, undo: nil)
            }
        }
    }

    // MARK: The shared database

    /// True unless the provider uses the shared database and that container is not on the
    /// provider's network yet (a first start, a recreated database, or a deployment from
    /// before providers were isolated from each other).
    private func sharedDatabaseIsolated(_ plan: ProviderPlan) async throws -> Bool {
        guard plan.settings.store.sharedNetwork != nil else { return true }
        do {
            let database = try await client.inspectContainer(id: SharedDatabaseNames.container)
            return database.NetworkSettings?.Networks?[plan.network.Name] != nil
        } catch {
            return false
        }
    }

    /// Providers on the shared Cassandra container must reach it but never each other: the
    /// database container joins this provider's network (its name resolves there, as the
    /// contact point `tenantctl_db:9042` expects), and the provider's containers leave the
    /// shared network if an older tenantctl put them there.
    private func isolateOnSharedDatabase(_ plan: ProviderPlan, journal: Journal) async throws {
        guard let shared = plan.settings.store.sharedNetwork else { return }
        let network = plan.network.Name
        do {
            if !(try await sharedDatabaseIsolated(plan)) {
                try await client.connectNetwork(id: network, container: SharedDatabaseNames.container)
                await journal.record(description: "connect \(SharedDatabaseNames.container) to network \(network)", undo: .disconnect(network: network, container: SharedDatabaseNames.container))
            }
            for container in plan.containers {
                guard let inspect = try? await client.inspectContainer(id: container.name), inspect.NetworkSettings?.Networks?[shared] != nil else { continue }
                try await client.disconnectNetwork(id: shared, container: container.name)
                await journal.record(description: "disconnect \(container.name) from network \(shared)", undo: nil)
            }
        } catch {
            throw TenantCtlError("connecting the shared database to network \(network)", error)
        }
    }

    private func rollback(_ journal: Journal) async {
        for undo in await journal.undos.reversed() {
            logger.debug("undo", metadata: ["step": "\(undo)"])
            switch undo {
            case .removeNetwork(let name): try? await client.removeNetwork(id: name)
            case .disconnect(let network, let container): try? await client.disconnectNetwork(id: network, container: container)
            case .removeVolume(let name): try? await client.removeVolume(name: name)
            case .removeContainer(let id): try? await client.removeContainer(id: id, force: true)
            case .stopContainer(let id): try? await client.stopContainer(id: id)
            case .restore(let id, let name, let wasRunning):
                try? await client.renameContainer(id: id, to: name)
                if wasRunning { try? await client.startContainer(id: id) }
            }
        }
    }

    /// After success, containers kept aside are no longer needed.
    private func commit(_ journal: Journal) async {
        for undo in await journal.undos {
            if case .restore(let id, _, _) = undo {
                do { try await client.removeContainer(id: id, force: true) } catch {
                    logger.warning("could not remove replaced container", metadata: ["container.id": "\(id)", "error": "\(error)"])
                }
            }
        }
    }
}

/// What a run did and how to undo it, shared by the parallel container tasks.
actor Journal {
    enum Undo: Sendable, CustomStringConvertible {
        case removeNetwork(String)
        case disconnect(network: String, container: String)
        case removeVolume(String)
        case removeContainer(String)
        case stopContainer(String)
        case restore(id: String, name: String, wasRunning: Bool)

        var description: String {
            switch self {
            case .removeNetwork(let name): return "remove network \(name)"
            case .disconnect(let network, let container): return "disconnect \(container) from network \(network)"
            case .removeVolume(let name): return "remove volume \(name)"
            case .removeContainer(let id): return "remove container \(id)"
            case .stopContainer(let id): return "stop container \(id)"
            case .restore(_, let name, _): return "restore container \(name)"
            }
        }
    }

    private(set) var done: [String] = []
    private(set) var undos: [Undo] = []
    private var created: [String: String] = [:]

    func record(_ step: ProvisionAction, undo: Undo?, createdID: (name: String, id: String)? = nil) {
        record(description: step.description, undo: undo, createdID: createdID)
    }

    func record(description: String, undo: Undo?, createdID: (name: String, id: String)? = nil) {
        done.append(description)
        if let undo { undos.append(undo) }
        if let createdID { created[createdID.name] = createdID.id }
    }

    func createdID(_ name: String) -> String? { created[name] }
}
