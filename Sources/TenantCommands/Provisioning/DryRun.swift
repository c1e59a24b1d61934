import DockerAPI
import DockerClient
import Foundation
import Logging

/// start-provider's own run with every change recorded instead of sent (`plan`, and the
/// fleet's `diff` on a swarm), so what is shown cannot differ from what would be done. Reads
/// go to the engine; no host lock is taken, since nothing changes; the generated admin
/// password's hash is a placeholder.
struct DryRun: Sendable {
    let recorder: RecordingTransport
    let client: DockerClient
    let logger: Logger
    let placeholderHash: String

    init(against real: DockerClient, logger: Logger, placeholderHash: String) {
        recorder = RecordingTransport(reads: real.transport)
        client = DockerClient(transport: recorder, version: real.version, timeout: real.timeout)
        self.logger = logger
        self.placeholderHash = placeholderHash
    }

    var provisioner: Provisioner {
        var provisioner = Provisioner(client: client, logger: logger)
        provisioner.useLock = false
        provisioner.bootstrapSecret = { [placeholderHash] in (nil, placeholderHash) }
        return provisioner
    }

    var swarmProvisioner: SwarmProvisioner {
        var provisioner = SwarmProvisioner(client: client, logger: logger)
        provisioner.useLock = false
        provisioner.bootstrapSecret = { [placeholderHash] in (nil, placeholderHash) }
        return provisioner
    }
}

/// Passes reads (GET) to the engine and records every other request, answering it with
/// a plausible success so the provisioner carries on as if it had been sent.
actor RecordingTransport: DockerTransport {
    nonisolated let endpoint: String
    private let reads: any DockerTransport
    private var log: [(order: Int, request: PlannedRequest)] = []

    init(reads: any DockerTransport) {
        self.reads = reads
        endpoint = reads.endpoint
    }

    func recorded() -> [PlannedRequest] { log.map(\.request) }

    func send(_ request: DockerRequest) async throws -> DockerResponse {
        if request.method == "GET" { return try await reads.send(request) }
        let body = try request.body.map { body in
            // A swarm secret: its name and labels, never its value.
            if request.path.hasSuffix("/secrets/create"), case .object(var secret) = try JSONDecoder().decode(JSONValue.self, from: body) {
                secret["Data"] = .string("(set, not shown)")
                return JSONValue.object(secret)
            }
            // An archive of secret files: names, modes and owners only, never the contents.
            guard request.contentType == "application/x-tar" else { return try JSONDecoder().decode(JSONValue.self, from: body) }
            let entries = (try? TarArchive.read(Array(body))) ?? []
            return JSONValue.array(entries.map { entry in
                .object([
                    "name": .string(entry.name), "mode": .string("0" + String(entry.mode, radix: 8)), "uid": .number(Double(entry.uid)),
                    "content": .string(entry.content.isEmpty ? "(empty)" : "(set, not shown)"),
                ])
            })
        }
        log.append((log.count, PlannedRequest(method: request.method, path: request.target, body: body)))
        if request.path.hasSuffix("/containers/create") {
            let name = request.query.first { $0.0 == "name" }?.1 ?? "container"
            return DockerResponse(status: 201, body: Data(#"{"Id":"\#(name)","Warnings":[]}"#.utf8))
        }
        if request.path.hasSuffix("/networks/create") { return DockerResponse(status: 201, body: Data(#"{"Id":"planned"}"#.utf8)) }
        if request.path.hasSuffix("/services/create") || request.path.hasSuffix("/secrets/create") {
            return DockerResponse(status: 201, body: Data(#"{"ID":"planned-\#(log.count)"}"#.utf8))
        }
        if request.path.hasSuffix("/volumes/create"), let raw = request.body { return DockerResponse(status: 201, body: raw) }
        return DockerResponse(status: 204)
    }

    func stream(_ request: DockerRequest, sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> DockerResponse {
        try await send(request)
    }
}

/// A request as `plan` prints it.
struct PlannedRequest: Encodable, Sendable {
    var method: String
    var path: String
    var body: JSONValue?
}

/// Any JSON value, to re-emit request bodies as nested JSON rather than strings.
indirect enum JSONValue: Codable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 9e18 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
