import Foundation

/// One HTTP request to the Engine API. `path` is already versioned (`/v1.41/...`)
/// except for the unversioned `/version` and `/_ping` calls.
public struct DockerRequest: Sendable, Hashable {
    /// HTTP method.
    public var method: String
    /// Path including any version prefix.
    public var path: String
    /// Query items in order; values are percent-encoded by ``url(base:)``.
    public var query: [(String, String)]
    /// Body, if any: JSON unless ``contentType`` says otherwise.
    public var body: Data?
    /// Media type of ``body``; nil means `application/json`.
    public var contentType: String?
    /// Total time the call may take; nil for streams that run until cancelled.
    public var timeout: Duration?

    /// Creates a request.
    public init(
        method: String, path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String = "application/json",
        timeout: Duration?
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
        self.timeout = timeout
    }

    /// Path plus percent-encoded query (`/v1.41/containers/json?all=1`).
    public var target: String {
        guard !query.isEmpty else { return path }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let items = query.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return path + "?" + items.joined(separator: "&")
    }

    public static func == (lhs: DockerRequest, rhs: DockerRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.body == rhs.body && lhs.timeout == rhs.timeout
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(target)
        hasher.combine(body)
    }
}

/// An Engine API response: status and body.
public struct DockerResponse: Sendable, Hashable {
    /// HTTP status code.
    public var status: Int
    /// Body bytes (empty for streamed responses, whose bytes went to the sink).
    public var body: Data

    /// Creates a response.
    public init(status: Int, body: Data = Data()) {
        self.status = status
        self.body = body
    }
}

/// Failure below HTTP: the engine could not be reached or did not answer in time.
public enum DockerTransportError: Error, Sendable, Hashable {
    /// No connection (socket missing, refused, permission denied, DNS...).
    case unreachable(String)
    /// The call exceeded its timeout.
    case timedOut(String)
    /// Anything else the transport reports.
    case failed(String)
}

/// Moves Engine API requests over some connection. ``CurlTransport`` is the real one;
/// tests use an in-memory fake.
public protocol DockerTransport: Sendable {
    /// Human name of the endpoint (`unix:///var/run/docker.sock`), for messages.
    var endpoint: String { get }

    /// Sends `request` and returns the whole response.
    func send(_ request: DockerRequest) async throws -> DockerResponse

    /// Sends `request` and passes body bytes to `sink` as they arrive (for
    /// `logs?follow=1`). Returns with an empty body once the stream ends or the task
    /// is cancelled; non-2xx responses return their body instead of streaming it.
    func stream(_ request: DockerRequest, sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> DockerResponse
}
