import CCurl
import Dispatch
import Foundation
import Synchronization

/// Engine API transport over libcurl: a unix socket (`unix:///var/run/docker.sock`, the
/// default) or TCP (`tcp://host:port`), as `DOCKER_HOST` says. Each call runs the blocking
/// `curl_easy_perform` on a private dispatch queue, so neither the cooperative pool nor a
/// NIO event loop ever waits on the engine.
public struct CurlTransport: DockerTransport {
    /// The default engine socket.
    public static let defaultHost = "unix:///var/run/docker.sock"

    public let endpoint: String
    private let socketPath: String?
    private let baseURL: String

    /// Creates a transport for `dockerHost` (`unix://PATH`, `tcp://HOST:PORT`,
    /// `http://HOST:PORT`); nil or empty means ``defaultHost``.
    public init(dockerHost: String? = nil) throws(DockerError) {
        let host = (dockerHost?.isEmpty ?? true) ? Self.defaultHost : dockerHost!
        endpoint = host
        if host.hasPrefix("unix://") {
            let path = String(host.dropFirst("unix://".count))
            guard !path.isEmpty else { throw .invalidAddress(address: host, reason: "unix:// names no socket path") }
            socketPath = path
            baseURL = "http://localhost"
        } else if host.hasPrefix("tcp://") || host.hasPrefix("http://") {
            let rest = host.hasPrefix("tcp://") ? host.dropFirst("tcp://".count) : host.dropFirst("http://".count)
            let authority = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard !authority.isEmpty else { throw .invalidAddress(address: host, reason: "tcp:// names no host") }
            socketPath = nil
            baseURL = "http://\(authority)"
        } else {
            throw .invalidAddress(address: host, reason: "expected unix://PATH or tcp://HOST:PORT")
        }
    }

    /// A transport for the process's `DOCKER_HOST`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(DockerError) -> CurlTransport {
        try CurlTransport(dockerHost: environment["DOCKER_HOST"])
    }

    public func send(_ request: DockerRequest) async throws -> DockerResponse {
        try await run(request, sink: nil)
    }

    public func stream(_ request: DockerRequest, sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> DockerResponse {
        try await run(request, sink: sink)
    }

    private func run(_ request: DockerRequest, sink: (@Sendable ([UInt8]) -> Void)?) async throws -> DockerResponse {
        let call = CurlCall(sink: sink)
        let url = baseURL + request.target
        let socketPath = self.socketPath
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<DockerResponse, any Error>) in
                CurlRuntime.queue.async {
                    continuation.resume(with: Result { try call.perform(request, url: url, socketPath: socketPath) })
                }
            }
        } onCancel: {
            call.cancelled.store(true, ordering: .relaxed)
        }
    }
}

/// Process-wide libcurl state.
enum CurlRuntime {
    /// Concurrent queue that runs the blocking transfers (parallel creates stay parallel).
    static let queue = DispatchQueue(label: "tenantctl.docker.curl", attributes: .concurrent)
    /// `curl_global_init` must run once before any handle exists.
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// State of one transfer, reached from libcurl's C callbacks through an opaque pointer.
final class CurlCall: @unchecked Sendable {
    // Touched only on the transfer's thread, except `cancelled`.
    let sink: (@Sendable ([UInt8]) -> Void)?
    let cancelled = Atomic<Bool>(false)
    var body: [UInt8] = []
    var handle: UnsafeMutableRawPointer?

    init(sink: (@Sendable ([UInt8]) -> Void)?) { self.sink = sink }

    func perform(_ request: DockerRequest, url: String, socketPath: String?) throws -> DockerResponse {
        _ = CurlRuntime.initialized
        guard let handle = curl_easy_init() else { throw DockerTransportError.failed("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        self.handle = handle
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        tc_setopt_string(handle, CURLOPT_URL, url)
        if let socketPath { tc_setopt_string(handle, CURLOPT_UNIX_SOCKET_PATH, socketPath) }
        tc_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        tc_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        tc_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5_000)
        if let timeout = request.timeout {
            let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            tc_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(max(ms, 1)))
        }
        tc_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        headers = curl_slist_append(headers, "Expect:")
        if let body = request.body {
            headers = curl_slist_append(headers, "Content-Type: \(request.contentType ?? "application/json")")
            tc_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = tc_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            }
        } else if request.method == "POST" {
            tc_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0)
            tc_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
        }
        tc_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)

        let context = Unmanaged.passUnretained(self).toOpaque()
        tc_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        tc_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { pointer, size, count, userdata in
            let call = Unmanaged<CurlCall>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            guard length > 0, let pointer else { return length }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
            call.received(Array(bytes))
            return length
        }
        // The progress callback is how a cancelled task stops a transfer (logs --follow).
        tc_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        tc_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        tc_setopt_xferinfo(handle) { userdata, _, _, _, _ in
            let call = Unmanaged<CurlCall>.fromOpaque(userdata!).takeUnretainedValue()
            return call.cancelled.load(ordering: .relaxed) ? 1 : 0
        }

        let code = withExtendedLifetime(self) { curl_easy_perform(handle) }
        var status = 0
        tc_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        switch code {
        case CURLE_OK:
            return DockerResponse(status: status, body: Data(body))
        case CURLE_ABORTED_BY_CALLBACK:
            // Cancelled: a stream simply ends; a plain call reports the cancellation.
            if sink != nil, status != 0 { return DockerResponse(status: status, body: Data(body)) }
            throw CancellationError()
        case CURLE_OPERATION_TIMEDOUT:
            throw DockerTransportError.timedOut(Self.message(code, errorBuffer))
        case CURLE_COULDNT_CONNECT where socketPath != nil:
            // libcurl's text names the URL's placeholder host ("localhost port 80"), not the socket.
            throw DockerTransportError.unreachable(Self.socketProblem(socketPath!))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw DockerTransportError.unreachable(Self.message(code, errorBuffer))
        default:
            throw DockerTransportError.failed(Self.message(code, errorBuffer))
        }
    }

    private func received(_ bytes: [UInt8]) {
        if let sink, let handle {
            var status = 0
            tc_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            if (200..<300).contains(status) {
                sink(bytes)
                return
            }
        }
        body.append(contentsOf: bytes)
    }

    /// Why a unix socket did not accept a connection, naming its path.
    static func socketProblem(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "socket \(path): \(String(cString: strerror(errno)))" }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFSOCK) else { return "\(path) is not a socket" }
        guard access(path, R_OK | W_OK) == 0 else { return "socket \(path): \(String(cString: strerror(errno)))" }
        return "socket \(path) refuses connections"
    }

    private static func message(_ code: CURLcode, _ buffer: UnsafeMutablePointer<CChar>) -> String {
        let detail = String(cString: buffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}
