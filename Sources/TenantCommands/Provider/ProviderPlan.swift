import ArgumentParser
import DockerAPI
import DockerClient
import Foundation

extension TenantCtl {
    /// `tenantctl plan`.
    public struct ProviderPlan: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Print the Engine API requests start-provider would send, as JSON, without sending them.",
            discussion: """
                Reads the engine's state (version, containers, network, volume) exactly as start-provider \
                does, then prints every changing request in order: method, path and body. An empty array \
                (`[]`, with a line on stderr) means start-provider would change nothing; a requested port \
                that another container or process holds is an error naming the holder (exit 4). The bootstrap password hash is shown as a \
                placeholder; parallel steps are listed in a fixed order. The archive of secret files shows \
                names, modes and owners, never contents (the settings key appears as new whenever no \
                container exists through which tenantctl could see the existing one).

                Examples:
                  tenantctl plan acme
                  tenantctl plan acme --gateway-port 6010 | jq '.[].path'

                On a swarm manager the requests are those of the swarm run: network, secrets (values not shown) \
                and service create/update calls with the whole spec.
                """)

        @OptionGroup public var provider: ProviderOptions
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let request = try provider.request()
            let (real, orchestrator) = try await global.connect()
            let recorder = RecordingTransport(reads: real.transport)
            let client = DockerClient(transport: recorder, version: real.version, timeout: real.timeout)
            let placeholder: @Sendable () async throws -> (password: String?, hash: String) = { (nil, "<hash of the generated admin password>") }
            let result: ProvisionResult
            if case .swarm = orchestrator {
                // The same run as start-provider on the swarm, its service/secret/network calls recorded.
                var provisioner = SwarmProvisioner(client: client, logger: global.logger)
                provisioner.useLock = false
                provisioner.bootstrapSecret = placeholder
                result = try await provisioner.start(request).result
            } else {
                var provisioner = Provisioner(client: client, logger: global.logger)
                provisioner.useLock = false
                provisioner.bootstrapSecret = placeholder
                result = try await provisioner.start(request)
            }
            let recorded = await recorder.recorded()
            try JSONOutput.print(recorded, snakeCase: false)
            // stdout stays one JSON document; the human line goes beside it.
            if recorded.isEmpty {
                Console.printError(
                    "provider \(result.provider) is up to date (gateway port \(result.gatewayPort), admin port \(result.adminPort)): start-provider would change nothing")
            }
        }
    }
}

/// A request as `plan` prints it.
struct PlannedRequest: Encodable, Sendable {
    var method: String
    var path: String
    var body: JSONValue?
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
