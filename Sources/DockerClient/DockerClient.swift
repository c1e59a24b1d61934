import DockerAPI
import Foundation

/// An async Docker Engine API client. Every call has a timeout; the transport runs
/// blocking I/O off the cooperative pool. Create one with ``connect(transport:timeout:)``,
/// which negotiates the API version.
public struct DockerClient: Sendable {
    /// Lowest Engine API version tenantctl accepts.
    public static let minimumVersion = APIVersion(1, 40)
    /// Highest Engine API version tenantctl speaks (newer engines still accept it; Docker 29
    /// refuses anything below 1.44, so this must stay at or above that).
    public static let maximumVersion = APIVersion(1, 47)

    /// The transport requests travel over.
    public let transport: any DockerTransport
    /// The negotiated API version used in every path.
    public let version: APIVersion
    /// Default timeout of each call.
    public let timeout: Duration

    /// A client for an already negotiated `version`.
    public init(transport: any DockerTransport, version: APIVersion, timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.version = version
        self.timeout = timeout
    }

    /// Reads `/version` and returns a client speaking min(engine, ``maximumVersion``), or
    /// `pinned` when given (`DOCKER_API_VERSION`, as the docker CLI reads it); throws
    /// ``DockerError/versionUnsupported(engine:minimum:)`` for engines older than
    /// ``minimumVersion`` and ``DockerError/pinnedVersionUnsupported(pinned:engine:)`` for a
    /// pin tenantctl or the engine does not speak.
    public static func connect(transport: any DockerTransport, timeout: Duration = .seconds(30), pinned: APIVersion? = nil) async throws(DockerError) -> DockerClient {
        let info = try await engineVersion(transport: transport, timeout: timeout)
        let version = try negotiate(engine: info, pinned: pinned)
        return DockerClient(transport: transport, version: version, timeout: timeout)
    }

    /// The version to speak with an engine that reports `engine`: `pinned` if both sides
    /// speak it, else the highest both speak.
    public static func negotiate(engine: VersionResponse, pinned: APIVersion? = nil) throws(DockerError) -> APIVersion {
        guard let engineVersion = APIVersion(engine.ApiVersion) else {
            throw .invalidResponse("API version '\(engine.ApiVersion)' in /version")
        }
        guard engineVersion >= minimumVersion else {
            throw .versionUnsupported(engine: engineVersion, minimum: minimumVersion)
        }
        guard let pinned else { return min(engineVersion, maximumVersion) }
        let engineMinimum = engine.MinAPIVersion.flatMap(APIVersion.init) ?? minimumVersion
        guard pinned >= max(minimumVersion, engineMinimum), pinned <= min(engineVersion, maximumVersion) else {
            throw .pinnedVersionUnsupported(pinned: pinned, engine: engineVersion)
        }
        return pinned
    }

    /// `GET /version` (unversioned): the engine's version and API range.
    public static func engineVersion(transport: any DockerTransport, timeout: Duration = .seconds(30)) async throws(DockerError) -> VersionResponse {
        let response = try await perform(transport, DockerRequest(method: "GET", path: "/version", timeout: timeout))
        return try decode(VersionResponse.self, response, "/version")
    }

    // MARK: Containers

    /// `POST /containers/create?name=`: creates a container and returns its id.
    public func createContainer(name: String, _ request: ContainerCreateRequest) async throws(DockerError) -> ContainerCreateResponse {
        let response = try await call("POST", "/containers/create", query: [("name", name)], body: request)
        return try Self.decode(ContainerCreateResponse.self, response, "container create")
    }

    /// `POST /containers/{id}/start`; throws ``DockerError/notModified`` when already running.
    public func startContainer(id: String) async throws(DockerError) {
        _ = try await call("POST", "/containers/\(escape(id))/start")
    }

    /// `POST /containers/{id}/stop?t=`: SIGTERM, then SIGKILL after `timeout` seconds.
    /// Throws ``DockerError/notModified`` when already stopped.
    public func stopContainer(id: String, timeout seconds: Int = 10) async throws(DockerError) {
        _ = try await call("POST", "/containers/\(escape(id))/stop", query: [("t", String(seconds))], timeout: self.timeout + .seconds(seconds))
    }

    /// `POST /containers/{id}/restart?t=`.
    public func restartContainer(id: String, timeout seconds: Int = 10) async throws(DockerError) {
        _ = try await call("POST", "/containers/\(escape(id))/restart", query: [("t", String(seconds))], timeout: self.timeout + .seconds(seconds))
    }

    /// `DELETE /containers/{id}?force=&v=`: removes a container (`force` kills it first) and,
    /// by default, the anonymous volumes only it used; named volumes are never touched.
    public func removeContainer(id: String, force: Bool = false, removeAnonymousVolumes: Bool = true) async throws(DockerError) {
        _ = try await call("DELETE", "/containers/\(escape(id))", query: [("force", force ? "1" : "0"), ("v", removeAnonymousVolumes ? "1" : "0")])
    }

    /// `POST /containers/{id}/rename?name=`.
    public func renameContainer(id: String, to name: String) async throws(DockerError) {
        _ = try await call("POST", "/containers/\(escape(id))/rename", query: [("name", name)])
    }

    /// `GET /containers/{id}/json`.
    public func inspectContainer(id: String) async throws(DockerError) -> ContainerInspect {
        let response = try await call("GET", "/containers/\(escape(id))/json")
        return try Self.decode(ContainerInspect.self, response, "container inspect")
    }

    /// `GET /containers/json?all=&filters=`: containers carrying every label in `labels`
    /// (`"key"` matches any value, `"key=value"` an exact one).
    public func listContainers(all: Bool = true, labels: [String] = []) async throws(DockerError) -> [ContainerSummary] {
        var query = [("all", all ? "1" : "0")]
        if !labels.isEmpty { query.append(("filters", try Self.labelFilter(labels))) }
        let response = try await call("GET", "/containers/json", query: query)
        return try Self.decode([ContainerSummary].self, response, "container list")
    }

    /// `POST /containers/{id}/wait`: waits until the container exits (up to `timeout`).
    public func waitContainer(id: String, timeout: Duration = .seconds(300)) async throws(DockerError) -> ContainerWaitResponse {
        let response = try await call("POST", "/containers/\(escape(id))/wait", timeout: timeout)
        return try Self.decode(ContainerWaitResponse.self, response, "container wait")
    }

    /// `GET /containers/{id}/logs`: the raw log bytes (multiplexed unless the container
    /// has a TTY; split them with ``LogDemuxer``).
    /// `since` is a Unix time in seconds (fractions allowed, as the engine takes them);
    /// `timestamps` prefixes each line with its RFC 3339 nanosecond time.
    public func logs(id: String, tail: Int? = nil, since: Double? = nil, timestamps: Bool = false) async throws(DockerError) -> [UInt8] {
        let query = Self.logQuery(follow: false, tail: tail, since: since, timestamps: timestamps)
        let response = try await call("GET", "/containers/\(escape(id))/logs", query: query)
        return Array(response.body)
    }

    /// `GET /containers/{id}/logs?follow=1`: streams log bytes to `sink` until the
    /// container stops or the calling task is cancelled.
    public func followLogs(
        id: String, tail: Int? = nil, since: Double? = nil, timestamps: Bool = false, sink: @escaping @Sendable ([UInt8]) -> Void
    ) async throws(DockerError) {
        let query = Self.logQuery(follow: true, tail: tail, since: since, timestamps: timestamps)
        let request = DockerRequest(method: "GET", path: versioned("/containers/\(escape(id))/logs"), query: query, timeout: nil)
        let response: DockerResponse
        do {
            response = try await transport.stream(request, sink: sink)
        } catch {
            throw Self.map(error, transport: transport, operation: "GET logs")
        }
        try Self.check(response)
    }

    // MARK: Exec

    /// Runs `command` in the running container `id` (`docker exec`): create, start attached,
    /// inspect. Returns the exit code and the multiplexed output (split it with ``LogDemuxer``).
    public func exec(id: String, command: [String], timeout: Duration = .seconds(30)) async throws(DockerError) -> (exitCode: Int, output: [UInt8]) {
        let created = try await call("POST", "/containers/\(escape(id))/exec", body: ExecCreateRequest(Cmd: command))
        let exec = try Self.decode(ExecCreateResponse.self, created, "exec create")
        let started = try await call("POST", "/exec/\(escape(exec.Id))/start", body: ExecStartRequest(), timeout: timeout)
        let inspected = try await call("GET", "/exec/\(escape(exec.Id))/json")
        let state = try Self.decode(ExecInspect.self, inspected, "exec inspect")
        return (state.Running ? -1 : state.ExitCode ?? -1, Array(started.body))
    }

    // MARK: Archives

    /// `PUT /containers/{id}/archive?path=`: unpacks the tar `archive` into directory `path`
    /// of a (created or stopped) container; files reach its volumes too.
    public func putArchive(id: String, path: String, archive: Data) async throws(DockerError) {
        var request = try self.request("PUT", "/containers/\(escape(id))/archive", query: [("path", path)], body: Optional<EmptyObject>.none)
        request.body = archive
        request.contentType = "application/x-tar"
        request.timeout = timeout + .seconds(max(1, Int64(archive.count / 10_000_000)))
        _ = try await Self.perform(transport, request)
    }

    /// `GET /containers/{id}/archive?path=`: streams a tar of `path` (from a running or
    /// stopped container) to `sink` as it arrives, so a large file never sits in memory.
    public func getArchive(id: String, path: String, sink: @escaping @Sendable ([UInt8]) -> Void) async throws(DockerError) {
        let request = DockerRequest(method: "GET", path: versioned("/containers/\(escape(id))/archive"), query: [("path", path)], timeout: nil)
        let response: DockerResponse
        do {
            response = try await transport.stream(request, sink: sink)
        } catch {
            throw Self.map(error, transport: transport, operation: "GET archive")
        }
        try Self.check(response)
    }

    // MARK: Networks

    /// `POST /networks/create`: returns the new network's id.
    public func createNetwork(_ request: NetworkCreateRequest) async throws(DockerError) -> NetworkCreateResponse {
        let response = try await call("POST", "/networks/create", body: request)
        return try Self.decode(NetworkCreateResponse.self, response, "network create")
    }

    /// `GET /networks/{id}`.
    public func inspectNetwork(id: String) async throws(DockerError) -> Network {
        let response = try await call("GET", "/networks/\(escape(id))")
        return try Self.decode(Network.self, response, "network inspect")
    }

    /// `GET /networks?filters=`: networks carrying every label in `labels`.
    public func listNetworks(labels: [String] = []) async throws(DockerError) -> [Network] {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.labelFilter(labels))) }
        let response = try await call("GET", "/networks", query: query)
        return try Self.decode([Network].self, response, "network list")
    }

    /// `POST /networks/{id}/connect`: attaches a (created or running) container to a
    /// further network; API 1.41 accepts only one network in the create request.
    public func connectNetwork(id: String, container: String, aliases: [String]? = nil) async throws(DockerError) {
        let body = NetworkConnectRequest(Container: container, EndpointConfig: aliases.map { EndpointSettings(Aliases: $0) })
        _ = try await call("POST", "/networks/\(escape(id))/connect", body: body)
    }

    /// `POST /networks/{id}/disconnect` (forced: also while the container runs).
    public func disconnectNetwork(id: String, container: String) async throws(DockerError) {
        _ = try await call("POST", "/networks/\(escape(id))/disconnect", body: NetworkDisconnectRequest(Container: container))
    }

    /// `DELETE /networks/{id}`.
    public func removeNetwork(id: String) async throws(DockerError) {
        _ = try await call("DELETE", "/networks/\(escape(id))")
    }

    // MARK: Volumes

    /// `POST /volumes/create` (the engine returns an existing volume of that name unchanged).
    public func createVolume(_ request: VolumeCreateRequest) async throws(DockerError) -> Volume {
        let response = try await call("POST", "/volumes/create", body: request)
        return try Self.decode(Volume.self, response, "volume create")
    }

    /// `GET /volumes/{name}`.
    public func inspectVolume(name: String) async throws(DockerError) -> Volume {
        let response = try await call("GET", "/volumes/\(escape(name))")
        return try Self.decode(Volume.self, response, "volume inspect")
    }

    /// `GET /volumes?filters=`: volumes carrying every label in `labels`.
    public func listVolumes(labels: [String] = []) async throws(DockerError) -> [Volume] {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.labelFilter(labels))) }
        let response = try await call("GET", "/volumes", query: query)
        return try Self.decode(VolumeListResponse.self, response, "volume list").Volumes ?? []
    }

    /// `DELETE /volumes/{name}?force=`.
    public func removeVolume(name: String, force: Bool = false) async throws(DockerError) {
        _ = try await call("DELETE", "/volumes/\(escape(name))", query: [("force", force ? "1" : "0")])
    }

    // MARK: Images

    /// `GET /images/{name}/json`.
    public func inspectImage(name: String) async throws(DockerError) -> ImageInspect {
        let response = try await call("GET", "/images/\(escapeImage(name))/json")
        return try Self.decode(ImageInspect.self, response, "image inspect")
    }

    // MARK: Archives

    /// `PUT /containers/{id}/archive?path=`: extracts the tar `archive` into the directory
    /// `path` of the container. Works on a created, never started container: the engine
    /// mounts its volumes for the copy, so this fills a volume without a bind mount of a host
    /// path (and so against a remote engine too). Modes and owners come from the archive.
    public func putArchive(container id: String, path: String, archive: [UInt8]) async throws(DockerError) {
        var request = DockerRequest(
            method: "PUT", path: versioned("/containers/\(escape(id))/archive"), query: [("path", path)], body: Data(archive),
            contentType: "application/x-tar", timeout: timeout)
        request.query.append(("noOverwriteDirNonDir", "1"))
        _ = try await Self.perform(transport, request)
    }

    /// `GET /containers/{id}/archive?path=`: the tar of the file or directory `path` in the
    /// container (its volumes mounted as for ``putArchive(container:path:archive:)``);
    /// ``DockerError/notFound(_:)`` when it does not exist.
    public func archive(container id: String, path: String) async throws(DockerError) -> [UInt8] {
        Array(try await call("GET", "/containers/\(escape(id))/archive", query: [("path", path)]).body)
    }

    // MARK: Plumbing

    /// `path` with the negotiated version prefix.
    public func versioned(_ path: String) -> String { "/v\(version)\(path)" }

    /// The request a call would send, without sending it (for `tenantctl plan`).
    public func request<Body: Encodable>(_ method: String, _ path: String, query: [(String, String)] = [], body: Body?) throws(DockerError) -> DockerRequest {
        var data: Data?
        if let body {
            do { data = try JSONCoding.encoder.encode(body) } catch { throw .invalidResponse("cannot encode request: \(error)") }
        }
        return DockerRequest(method: method, path: versioned(path), query: query, body: data, timeout: timeout)
    }

    func call(_ method: String, _ path: String, query: [(String, String)] = [], timeout: Duration? = nil) async throws(DockerError) -> DockerResponse {
        try await call(method, path, query: query, body: Optional<EmptyObject>.none, timeout: timeout)
    }

    func call<Body: Encodable>(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Body?, timeout: Duration? = nil
    ) async throws(DockerError) -> DockerResponse {
        var request = try self.request(method, path, query: query, body: body)
        if let timeout { request.timeout = timeout }
        return try await Self.perform(transport, request)
    }

    private static func perform(_ transport: any DockerTransport, _ request: DockerRequest) async throws(DockerError) -> DockerResponse {
        let response: DockerResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw map(error, transport: transport, operation: "\(request.method) \(request.path)")
        }
        try check(response)
        return response
    }

    private static func check(_ response: DockerResponse) throws(DockerError) {
        guard (200..<300).contains(response.status) else {
            throw DockerError.from(status: response.status, body: Array(response.body))
        }
    }

    private static func map(_ error: any Error, transport: any DockerTransport, operation: String) -> DockerError {
        switch error {
        case let error as DockerError: return error
        case DockerTransportError.unreachable(let reason): return .unreachable(endpoint: transport.endpoint, reason: reason)
        case DockerTransportError.timedOut: return .timedOut(operation: operation)
        case DockerTransportError.failed(let reason): return .unreachable(endpoint: transport.endpoint, reason: reason)
        default: return .unreachable(endpoint: transport.endpoint, reason: String(describing: error))
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: DockerResponse, _ what: String) throws(DockerError) -> T {
        do {
            return try JSONCoding.decoder.decode(type, from: response.body)
        } catch {
            throw .invalidResponse("\(what): \(error)")
        }
    }

    /// `{"label":[...]}` as the `filters` query value.
    static func labelFilter(_ labels: [String]) throws(DockerError) -> String {
        do {
            return String(decoding: try JSONCoding.encoder.encode(["label": labels]), as: UTF8.self)
        } catch {
            throw .invalidResponse("cannot encode filter: \(error)")
        }
    }

    private static func logQuery(follow: Bool, tail: Int?, since: Double?, timestamps: Bool) -> [(String, String)] {
        var query = [("stdout", "1"), ("stderr", "1"), ("follow", follow ? "1" : "0"), ("tail", tail.map(String.init) ?? "all")]
        if let since { query.append(("since", since == since.rounded() ? String(Int64(since)) : String(format: "%.9f", since))) }
        if timestamps { query.append(("timestamps", "1")) }
        return query
    }

    func escape(_ component: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }

    /// Image references keep `/` and `:` (the engine routes `/images/{name}/json` with slashes).
    private func escapeImage(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:@")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }
}
