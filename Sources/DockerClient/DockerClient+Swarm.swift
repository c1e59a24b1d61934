import DockerAPI
import Foundation

/// The swarm endpoints: engine info, services, tasks, nodes, secrets.
extension DockerClient {
    /// `GET /info`: the engine's swarm membership among much else.
    public func info() async throws(DockerError) -> SystemInfo {
        try Self.decode(SystemInfo.self, try await call("GET", "/info"), "info")
    }

    // MARK: Services

    /// `POST /services/create`: returns the new service's id.
    public func createService(_ spec: ServiceSpec) async throws(DockerError) -> IDResponse {
        try Self.decode(IDResponse.self, try await call("POST", "/services/create", body: spec), "service create")
    }

    /// `GET /services/{id}` (id or name).
    public func inspectService(id: String) async throws(DockerError) -> Service {
        try Self.decode(Service.self, try await call("GET", "/services/\(escape(id))"), "service inspect")
    }

    /// `POST /services/{id}/update?version=`: replaces the whole spec; `version` is the one
    /// read with the spec, so a concurrent change fails instead of being overwritten.
    public func updateService(id: String, version: UInt64, _ spec: ServiceSpec) async throws(DockerError) {
        _ = try await call("POST", "/services/\(escape(id))/update", query: [("version", String(version))], body: spec)
    }

    /// `DELETE /services/{id}`.
    public func removeService(id: String) async throws(DockerError) {
        _ = try await call("DELETE", "/services/\(escape(id))")
    }

    /// `GET /services?filters=`: services carrying every label in `labels`.
    public func listServices(labels: [String] = []) async throws(DockerError) -> [Service] {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.filters(["label": labels]))) }
        return try Self.decode([Service].self, try await call("GET", "/services", query: query), "service list")
    }

    /// `GET /services/{id}/logs`: the raw multiplexed log bytes of every task of the service.
    public func serviceLogs(id: String, tail: Int? = nil, since: Double? = nil, timestamps: Bool = false) async throws(DockerError) -> [UInt8] {
        var query = [("stdout", "1"), ("stderr", "1"), ("tail", tail.map(String.init) ?? "all")]
        if let since { query.append(("since", String(Int64(since)))) }
        if timestamps { query.append(("timestamps", "1")) }
        return Array(try await call("GET", "/services/\(escape(id))/logs", query: query).body)
    }

    // MARK: Tasks, nodes

    /// `GET /tasks?filters=`: e.g. `["service": [name], "desired-state": ["running"]]`.
    public func listTasks(filters: [String: [String]] = [:]) async throws(DockerError) -> [SwarmTask] {
        var query: [(String, String)] = []
        if !filters.isEmpty { query.append(("filters", try Self.filters(filters))) }
        return try Self.decode([SwarmTask].self, try await call("GET", "/tasks", query: query), "task list")
    }

    /// `GET /nodes`.
    public func listNodes() async throws(DockerError) -> [SwarmNode] {
        try Self.decode([SwarmNode].self, try await call("GET", "/nodes"), "node list")
    }

    // MARK: Secrets

    /// `POST /secrets/create`: returns the secret's id.
    public func createSecret(_ spec: SecretSpec) async throws(DockerError) -> IDResponse {
        try Self.decode(IDResponse.self, try await call("POST", "/secrets/create", body: spec), "secret create")
    }

    /// `GET /secrets?filters=`: secrets (without values) carrying every label in `labels`.
    public func listSecrets(labels: [String] = []) async throws(DockerError) -> [SwarmSecret] {
        var query: [(String, String)] = []
        if !labels.isEmpty { query.append(("filters", try Self.filters(["label": labels]))) }
        return try Self.decode([SwarmSecret].self, try await call("GET", "/secrets", query: query), "secret list")
    }

    /// `DELETE /secrets/{id}`; a secret still used by a service is refused (conflict).
    public func removeSecret(id: String) async throws(DockerError) {
        _ = try await call("DELETE", "/secrets/\(escape(id))")
    }

    /// A `filters` query value.
    static func filters(_ filters: [String: [String]]) throws(DockerError) -> String {
        do {
            return String(decoding: try JSONCoding.encoder.encode(filters), as: UTF8.self)
        } catch {
            throw .invalidResponse("cannot encode filter: \(error)")
        }
    }
}
