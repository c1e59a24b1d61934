import DockerAPI
import DockerClient
import Foundation
import Synchronization

/// An in-memory Docker engine behind the ``DockerTransport`` protocol: containers,
/// networks, volumes and images with labels, states and published ports, so tests drive
/// the real client and commands without Docker. Records every request; failures can be
/// injected per route.
public final class FakeDockerTransport: DockerTransport {
    /// A stored container.
    public struct Container: Sendable {
        /// Id.
        public var id: String
        /// Name without slash.
        public var name: String
        /// Creation request.
        public var config: ContainerCreateRequest
        /// `created`, `running` or `exited`.
        public var state: String
        /// Raw multiplexed log bytes returned by the logs endpoint.
        public var logs: [UInt8] = []
        /// Networks the container is attached to: its `NetworkMode` plus connected ones.
        public var networks: [String] = []
        /// Files by absolute path: what `PUT .../archive` unpacked and `GET .../archive` returns.
        public var files: [String: [UInt8]] = [:]
        /// Times the engine restarted it (`RestartCount`).
        public var restarts = 0
    }

    /// What a waited-for container does: it may change its files and logs; returns its exit code.
    public typealias Job = @Sendable (inout Container) -> Int

    /// A failure to inject: the first request whose method matches and whose path contains
    /// `pathContains` gets `status` with `message`.
    public struct Failure: Sendable {
        /// HTTP method.
        public var method: String
        /// Substring of the unversioned path.
        public var pathContains: String
        /// Status to answer.
        public var status: Int
        /// Engine message.
        public var message: String
        /// Fail every matching request instead of only the first.
        public var repeating: Bool

        /// Creates a failure.
        public init(method: String, pathContains: String, status: Int, message: String, repeating: Bool = false) {
            self.method = method
            self.pathContains = pathContains
            self.status = status
            self.message = message
            self.repeating = repeating
        }
    }

    struct State {
        var containers: [Container] = []
        var networks: [Network] = []
        var volumes: [Volume] = []
        var images: Set<String> = []
        var failures: [Failure] = []
        var requests: [DockerRequest] = []
        var nextID = 1
        var waitExitCode = 0
        var waitLogs: [UInt8] = []
        var job: Job?
        /// Files put into volumes through a container's archive endpoint, by volume then name.
        var volumeFiles: [String: [String: TarArchive.Entry]] = [:]
        /// What `GET /info` reports as the engine's swarm membership.
        var swarm = SwarmInfo(NodeID: "", LocalNodeState: "inactive", ControlAvailable: false)
    }

    private let state = Mutex(State())
    /// The API version `/version` reports.
    public let apiVersion: String
    /// `fake://engine`, or the address the fake stands in for (`unix://...` makes tenantctl
    /// treat it as an engine on this host, probing host ports).
    public let endpoint: String

    /// An engine speaking `apiVersion` that knows `images`.
    public init(apiVersion: String = "1.41", images: [String] = [], endpoint: String = "fake://engine") {
        self.apiVersion = apiVersion
        self.endpoint = endpoint
        state.withLock { $0.images = Set(images) }
    }

    /// Every request received, in order.
    public var requests: [DockerRequest] { state.withLock { $0.requests } }
    /// Requests other than GET.
    public var changingRequests: [DockerRequest] { requests.filter { $0.method != "GET" } }
    /// Stored containers.
    public var containers: [Container] { state.withLock { $0.containers } }
    /// Stored networks.
    public var networks: [Network] { state.withLock { $0.networks } }
    /// Stored volumes.
    public var volumes: [Volume] { state.withLock { $0.volumes } }

    /// The files uploaded into volume `name` (through `PUT /containers/{id}/archive`), by file name.
    public func files(inVolume name: String) -> [String: TarArchive.Entry] { state.withLock { $0.volumeFiles[name] ?? [:] } }

    /// Injects a failure.
    public func fail(_ failure: Failure) { state.withLock { $0.failures.append(failure) } }
    /// Forgets recorded requests.
    public func clearRequests() { state.withLock { $0.requests.removeAll() } }
    /// Changes a container's state behind tenantctl's back (a crash, `docker stop`).
    public func setState(container name: String, _ newState: String) {
        state.withLock { state in
            if let index = state.containers.firstIndex(where: { $0.name == name }) { state.containers[index].state = newState }
        }
    }
    /// Adds a network created by someone else (another tool, the engine's defaults).
    public func addNetwork(name: String, subnet: String, labels: [String: String]? = nil) {
        state.withLock { state in
            state.networks.append(
                Network(Id: "net\(state.nextID)", Name: name, Driver: "bridge", Labels: labels, IPAM: IPAMSettings(Config: [IPAMPool(Subnet: subnet)])))
            state.nextID += 1
        }
    }
    /// Removes a container behind tenantctl's back.
    public func deleteContainer(named name: String) { state.withLock { $0.containers.removeAll { $0.name == name } } }
    /// Makes every waited-for container exit with `code` and log `logs` (raw multiplexed bytes).
    public func setWaitResult(exitCode code: Int, logs: [UInt8] = []) {
        state.withLock {
            $0.waitExitCode = code
            $0.waitLogs = logs
        }
    }

    /// Makes every waited-for container run `job` (a one-shot command's effect) instead of
    /// the fixed wait result.
    public func setJob(_ job: @escaping Job) { state.withLock { $0.job = job } }

    /// Changes a container behind tenantctl's back (its restart count, files...).
    public func update(container name: String, _ change: (inout Container) -> Void) {
        state.withLock { state in
            if let index = state.containers.firstIndex(where: { $0.name == name }) { change(&state.containers[index]) }
        }
    }

    /// Sets the log bytes a container returns.
    public func setLogs(container name: String, _ bytes: [UInt8]) {
        state.withLock { state in
            if let index = state.containers.firstIndex(where: { $0.name == name }) { state.containers[index].logs = bytes }
        }
    }

    /// Makes `GET /info` report `swarm` (a manager, a worker...).
    public func setSwarm(_ swarm: SwarmInfo) {
        state.withLock { $0.swarm = swarm }
    }

    public func send(_ request: DockerRequest) async throws -> DockerResponse {
        state.withLock { state in
            state.requests.append(request)
            return Self.handle(request, &state, apiVersion: apiVersion)
        }
    }

    public func stream(_ request: DockerRequest, sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> DockerResponse {
        let response = try await send(request)
        guard (200..<300).contains(response.status) else { return response }
        sink(Array(response.body))
        return DockerResponse(status: response.status)
    }

    // MARK: Routing

    private static func handle(_ request: DockerRequest, _ state: inout State, apiVersion: String) -> DockerResponse {
        var path = request.path
        if path.hasPrefix("/v"), let slash = path.dropFirst().firstIndex(of: "/") { path = String(path[slash...]) }
        if let index = state.failures.firstIndex(where: { $0.method == request.method && path.contains($0.pathContains) }) {
            let failure = state.failures[index]
            if !failure.repeating { state.failures.remove(at: index) }
            return error(failure.status, failure.message)
        }
        let parts = path.split(separator: "/").map(String.init)
        let query = Dictionary(request.query, uniquingKeysWith: { $1 })
        switch (request.method, parts.first ?? "") {
        case ("GET", "version"):
            return json(VersionResponse(Version: "fake", ApiVersion: apiVersion, MinAPIVersion: "1.12", Os: "linux"))
        case ("GET", "info"):
            return json(SystemInfo(Name: "fake", Swarm: state.swarm))
        case (_, "containers"): return containers(request.method, Array(parts.dropFirst()), query, request.body, &state)
        case (_, "networks"): return networks(request.method, Array(parts.dropFirst()), query, request.body, &state)
        case (_, "volumes"): return volumes(request.method, Array(parts.dropFirst()), query, request.body, &state)
        case ("GET", "images"):
            let name = parts.dropFirst().dropLast().joined(separator: "/").removingPercentEncoding ?? ""
            guard state.images.contains(name) else { return error(404, "No such image: \(name)") }
            return json(ImageInspect(Id: "sha256:fake", RepoTags: [name]))
        default:
            return error(404, "page not found")
        }
    }

    private static func containers(_ method: String, _ parts: [String], _ query: [String: String], _ body: Data?, _ state: inout State) -> DockerResponse {
        if method == "GET", parts == ["json"] {
            let filters = labelFilters(query)
            let all = query["all"] == "1"
            let list = state.containers.filter { (all || $0.state == "running") && matches($0.config.Labels ?? [:], filters) }.map(summary)
            return json(list)
        }
        if method == "POST", parts == ["create"] {
            guard let body, let config = try? JSONDecoder().decode(ContainerCreateRequest.self, from: body) else { return error(400, "bad body") }
            let name = query["name"] ?? "c\(state.nextID)"
            guard !state.containers.contains(where: { $0.name == name }) else {
                return error(409, "Conflict. The container name \"/\(name)\" is already in use")
            }
            guard state.images.contains(config.Image) else { return error(404, "No such image: \(config.Image)") }
            let id = String(format: "%064x", state.nextID)
            state.nextID += 1
            var container = Container(id: id, name: name, config: config, state: "created")
            if let mode = config.HostConfig?.NetworkMode, mode != "none" { container.networks = [mode] }
            state.containers.append(container)
            return json(ContainerCreateResponse(Id: id, Warnings: []), status: 201)
        }
        guard let key = parts.first, let index = state.containers.firstIndex(where: { $0.id == key || $0.name == key }) else {
            return error(404, "No such container: \(parts.first ?? "")")
        }
        let action = parts.count > 1 ? parts[1] : ""
        switch (method, action) {
        case ("GET", "json"):
            let container = state.containers[index]
            return json(inspect(container))
        case ("POST", "start"):
            if state.containers[index].state == "running" { return DockerResponse(status: 304) }
            let ports = hostPorts(state.containers[index].config)
            let busy = state.containers.enumerated().contains { other in
                other.offset != index && other.element.state == "running" && !hostPorts(other.element.config).isDisjoint(with: ports)
            }
            if busy { return error(500, "driver failed programming external connectivity: Bind for 0.0.0.0:\(ports.sorted()[0]) failed: port is already allocated") }
            state.containers[index].state = "running"
            return DockerResponse(status: 204)
        case ("POST", "stop"):
            if state.containers[index].state != "running" { return DockerResponse(status: 304) }
            state.containers[index].state = "exited"
            return DockerResponse(status: 204)
        case ("POST", "restart"):
            state.containers[index].state = "running"
            return DockerResponse(status: 204)
        case ("POST", "rename"):
            guard let name = query["name"] else { return error(400, "no name") }
            state.containers[index].name = name
            return DockerResponse(status: 204)
        case ("POST", "wait"):
            state.containers[index].state = "exited"
            if let job = state.job {
                let code = job(&state.containers[index])
                return json(ContainerWaitResponse(StatusCode: code, Error: nil))
            }
            state.containers[index].logs = state.waitLogs
            return json(ContainerWaitResponse(StatusCode: state.waitExitCode, Error: nil))
        case ("PUT", "archive"):
            // Like the engine: into a volume the container mounts, whether it ever ran or not
            // (secrets), else into the container's own files (maintenance jobs).
            let mounts = state.containers[index].config.HostConfig?.Mounts ?? []
            if let target = query["path"], let volume = mounts.first(where: { $0.Type == "volume" && $0.Target == target })?.Source,
                let body, let entries = try? TarArchive.read(Array(body))
            {
                if mounts.first(where: { $0.Source == volume })?.ReadOnly == true { return error(403, "fake engine: read-only mount") }
                for entry in entries { state.volumeFiles[volume, default: [:]][entry.name] = entry }
                if entries.count != 1 { return DockerResponse(status: 200) }
            }
            guard let directory = query["path"], let body else { return error(400, "bad archive request") }
            var contents: [UInt8] = []
            var extractor = Tar.FileExtractor { contents += $0 }
            do {
                try extractor.feed(Array(body))
                try extractor.finish()
            } catch let failure {
                return Self.error(400, "bad tar: \(failure)")
            }
            let name = extractor.fileName ?? "file"
            state.containers[index].files[(directory.hasSuffix("/") ? directory : directory + "/") + name] = contents
            return DockerResponse(status: 200)
        case ("GET", "archive"):
            // A file in a mounted volume (with its mode and owner), else one of the container's own.
            let mounts = state.containers[index].config.HostConfig?.Mounts ?? []
            if let path = query["path"], let slash = path.lastIndex(of: "/"),
                let volume = mounts.first(where: { $0.Type == "volume" && $0.Target == String(path[..<slash]) })?.Source,
                let entry = state.volumeFiles[volume]?[String(path[path.index(after: slash)...])],
                let tar = try? TarArchive.write([entry])
            {
                return DockerResponse(status: 200, body: Data(tar))
            }
            guard let path = query["path"], let contents = state.containers[index].files[path] else {
                return error(404, "Could not find the file \(query["path"] ?? "") in container \(state.containers[index].name)")
            }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return DockerResponse(status: 200, body: Data(Tar.archive(name: name, contents: contents)))
        case ("GET", "logs"):
            return DockerResponse(status: 200, body: Data(state.containers[index].logs))
        case ("DELETE", ""):
            if state.containers[index].state == "running", query["force"] != "1" {
                return error(409, "You cannot remove a running container. Stop the container before attempting removal or force remove")
            }
            state.containers.remove(at: index)
            return DockerResponse(status: 204)
        default:
            return error(404, "page not found")
        }
    }

    private static func networks(_ method: String, _ parts: [String], _ query: [String: String], _ body: Data?, _ state: inout State) -> DockerResponse {
        switch (method, parts.first) {
        case ("GET", nil):
            return json(state.networks.filter { matches($0.Labels ?? [:], labelFilters(query)) })
        case ("POST", "create"):
            guard let body, let request = try? JSONDecoder().decode(NetworkCreateRequest.self, from: body) else { return error(400, "bad body") }
            guard !state.networks.contains(where: { $0.Name == request.Name }) else { return error(409, "network with name \(request.Name) already exists") }
            let subnets = request.IPAM?.Config?.compactMap(\.Subnet) ?? []
            if subnets.contains(where: { wanted in state.networks.flatMap(\.subnets).contains { cidrOverlap(wanted, $0) } }) {
                return error(403, "Pool overlaps with other one on this address space")
            }
            let network = Network(Id: "net\(state.nextID)", Name: request.Name, Driver: request.Driver, Labels: request.Labels, IPAM: request.IPAM)
            state.nextID += 1
            state.networks.append(network)
            return json(NetworkCreateResponse(Id: network.Id), status: 201)
        case (_, let key?):
            guard let index = state.networks.firstIndex(where: { $0.Id == key || $0.Name == key }) else { return error(404, "network \(key) not found") }
            if method == "GET" { return json(state.networks[index]) }
            if method == "POST", parts.count == 2, parts[1] == "connect" || parts[1] == "disconnect" {
                // Both bodies name the container in `Container`.
                struct ContainerField: Decodable { let Container: String }
                guard let body, let request = try? JSONDecoder().decode(ContainerField.self, from: body) else { return error(400, "bad body") }
                guard let container = state.containers.firstIndex(where: { $0.id == request.Container || $0.name == request.Container }) else {
                    return error(404, "No such container: \(request.Container)")
                }
                let name = state.networks[index].Name
                let connected = state.containers[container].networks.contains(name)
                if parts[1] == "connect" {
                    if connected { return error(403, "endpoint with name \(state.containers[container].name) already exists in network \(name)") }
                    state.containers[container].networks.append(name)
                } else {
                    guard connected else { return error(403, "container \(request.Container) is not connected to network \(name)") }
                    state.containers[container].networks.removeAll { $0 == name }
                }
                return DockerResponse(status: 200)
            }
            if method == "DELETE" {
                let networkName = state.networks[index].Name
                if state.containers.contains(where: { $0.state == "running" && $0.networks.contains(networkName) }) {
                    return error(403, "error while removing network: network \(networkName) has active endpoints")
                }
                state.networks.remove(at: index)
                return DockerResponse(status: 204)
            }
            return error(404, "page not found")
        default:
            return error(404, "page not found")
        }
    }

    private static func volumes(_ method: String, _ parts: [String], _ query: [String: String], _ body: Data?, _ state: inout State) -> DockerResponse {
        switch (method, parts.first) {
        case ("GET", nil):
            return json(VolumeListResponse(Volumes: state.volumes.filter { matches($0.Labels ?? [:], labelFilters(query)) }))
        case ("POST", "create"):
            guard let body, let request = try? JSONDecoder().decode(VolumeCreateRequest.self, from: body) else { return error(400, "bad body") }
            if let existing = state.volumes.first(where: { $0.Name == request.Name }) { return json(existing, status: 201) }
            let volume = Volume(Name: request.Name, Driver: request.Driver, Mountpoint: "/fake/\(request.Name)", Labels: request.Labels)
            state.volumes.append(volume)
            return json(volume, status: 201)
        case (_, let key?):
            guard let index = state.volumes.firstIndex(where: { $0.Name == key }) else { return error(404, "get \(key): no such volume") }
            if method == "GET" { return json(state.volumes[index]) }
            if method == "DELETE" {
                let inUse = state.containers.contains { ($0.config.HostConfig?.Mounts ?? []).contains { $0.Source == key } }
                if inUse { return error(409, "remove \(key): volume is in use") }
                state.volumes.remove(at: index)
                state.volumeFiles[key] = nil
                return DockerResponse(status: 204)
            }
            return error(404, "page not found")
        default:
            return error(404, "page not found")
        }
    }

    // MARK: Helpers

    private static func labelFilters(_ query: [String: String]) -> [String] {
        guard let text = query["filters"], let data = text.data(using: .utf8),
            let filters = try? JSONDecoder().decode([String: [String]].self, from: data)
        else { return [] }
        return filters["label"] ?? []
    }

    private static func matches(_ labels: [String: String], _ filters: [String]) -> Bool {
        filters.allSatisfy { filter in
            if let equals = filter.firstIndex(of: "=") {
                return labels[String(filter[..<equals])] == String(filter[filter.index(after: equals)...])
            }
            return labels[filter] != nil
        }
    }

    private static func hostPorts(_ config: ContainerCreateRequest) -> Set<Int> {
        Set((config.HostConfig?.PortBindings ?? [:]).values.flatMap { $0 }.compactMap { $0.HostPort.flatMap { Int($0) } })
    }

    private static func summary(_ container: Container) -> ContainerSummary {
        var ports: [SummaryPort] = []
        for (key, bindings) in container.config.HostConfig?.PortBindings ?? [:] {
            let privatePort = Int(key.split(separator: "/")[0]) ?? 0
            for binding in bindings {
                ports.append(SummaryPort(IP: "0.0.0.0", PrivatePort: privatePort,
                                         PublicPort: container.state == "running" ? binding.HostPort.flatMap { Int($0) } : nil, Type: "tcp"))
            }
        }
        return ContainerSummary(
            Id: container.id, Names: ["/" + container.name], Image: container.config.Image, State: container.state,
            Status: container.state == "running" ? "Up 1 second" : "Exited (0)", Labels: container.config.Labels, Ports: ports)
    }

    private static func inspect(_ container: Container) -> ContainerInspect {
        ContainerInspect(
            Id: container.id, Name: "/" + container.name,
            State: ContainerState(Status: container.state, Running: container.state == "running", ExitCode: 0, Health: nil),
            Config: ContainerConfig(Image: container.config.Image, Labels: container.config.Labels, Tty: container.config.Tty),
            HostConfig: container.config.HostConfig,
            NetworkSettings: NetworkSettings(Networks: Dictionary(uniqueKeysWithValues: container.networks.map { ($0, NetworkSettings.EndpointInfo()) })),
            RestartCount: container.restarts)
    }

    private static func json(_ value: some Encodable, status: Int = 200) -> DockerResponse {
        DockerResponse(status: status, body: (try? JSONCoding.encoder.encode(value)) ?? Data())
    }

    private static func error(_ status: Int, _ message: String) -> DockerResponse {
        json(ErrorResponse(message: message), status: status)
    }
}

/// Whether two IPv4 CIDR blocks share an address, as the engine's IPAM checks (IPv6: false).
private func cidrOverlap(_ a: String, _ b: String) -> Bool {
    func range(_ cidr: String) -> ClosedRange<UInt64>? {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = UInt64(parts[1]), prefix <= 32 else { return nil }
        let octets = parts[0].split(separator: ".").compactMap { UInt64($0) }
        guard octets.count == 4 else { return nil }
        let base = (octets.reduce(0) { $0 << 8 | $1 } >> (32 - prefix)) << (32 - prefix)
        return base...(base + (1 << (32 - prefix)) - 1)
    }
    guard let first = range(a), let second = range(b) else { return false }
    return first.overlaps(second)
}
