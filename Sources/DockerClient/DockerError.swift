import DockerAPI

/// A failed Engine API call, each case with one readable line.
public enum DockerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 404: the object does not exist.
    case notFound(String)
    /// 409: name in use, or the object is in the wrong state.
    case conflict(String)
    /// 304: already in the requested state (start a running container, stop a stopped one).
    case notModified
    /// Any other non-2xx status, with the engine's reason.
    case engine(status: Int, message: String)
    /// The engine could not be reached.
    case unreachable(endpoint: String, reason: String)
    /// The call did not finish in time.
    case timedOut(operation: String)
    /// The engine speaks an API older than tenantctl supports.
    case versionUnsupported(engine: APIVersion, minimum: APIVersion)
    /// `DOCKER_API_VERSION` names a version tenantctl or the engine does not speak.
    case pinnedVersionUnsupported(pinned: APIVersion, engine: APIVersion)
    /// The engine answered something tenantctl could not decode.
    case invalidResponse(String)
    /// The engine address (`DOCKER_HOST`) is malformed: a usage error, not an engine failure.
    case invalidAddress(address: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let message): return "not found: \(message)"
        case .conflict(let message): return "conflict: \(message)"
        case .notModified: return "not modified: already in the requested state"
        case .engine(let status, let message): return "docker engine error (HTTP \(status)): \(message)"
        case .unreachable(let endpoint, let reason):
            return "cannot reach the Docker engine at \(endpoint): \(reason) (is dockerd running? is DOCKER_HOST right?)"
        case .timedOut(let operation): return "the Docker engine did not answer in time: \(operation)"
        case .versionUnsupported(let engine, let minimum):
            return "the Docker engine speaks API \(engine), older than the minimum \(minimum) tenantctl supports; upgrade Docker"
        case .pinnedVersionUnsupported(let pinned, let engine):
            return "DOCKER_API_VERSION=\(pinned) is not spoken here: tenantctl speaks \(DockerClient.minimumVersion) to \(DockerClient.maximumVersion), the engine up to \(engine)"
        case .invalidResponse(let what): return "unexpected answer from the Docker engine: \(what)"
        case .invalidAddress(let address, let reason): return "invalid Docker engine address '\(address)': \(reason)"
        }
    }

    /// Maps a non-2xx response to its typed error, taking the engine's `message`.
    public static func from(status: Int, body: [UInt8]) -> DockerError {
        let message = (try? JSONCoding.decoder.decode(ErrorResponse.self, from: body).message)
            ?? String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch status {
        case 304: return .notModified
        case 404: return .notFound(message)
        case 409: return .conflict(message)
        default: return .engine(status: status, message: message.isEmpty ? "no reason given" : message)
        }
    }
}
