import Foundation

/// Probes a provider's two servers from outside, over their published ports: the same
/// path a gateway and a browser take. tenantctl's health is this probe, not an engine
/// health check (see `Planner.healthCheck` for why).
public enum ServerProbe {
    /// What one probe found.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        /// The server answered as it should.
        case ready
        /// It did not; the reason is one short phrase ("connection refused", "no reply in 2 s").
        case notReady(String)

        /// Whether the server answered as it should.
        public var isReady: Bool { self == .ready }

        public var description: String {
            switch self {
            case .ready: return "ready"
            case .notReady(let reason): return reason
            }
        }
    }

    /// The report the gateway probe sends: no gateway id, so the server refuses it with a
    /// `nack` (code `invalid`) without storing or registering anything. A reply proves the
    /// whole request path works: accept, framer, parser and the reply queue that acks share.
    static let gatewayProbeRequest = Array(#"<report seq="0"/>"#.utf8) + [0x0a]

    /// A protocol exchange on the gateway port: the server must answer the probe report with
    /// one reply line (`<nack ...`, or `<ack ...` from a lenient server).
    public static func gateway(host: String, port: Int, timeout: Duration = .seconds(2)) async -> Outcome {
        await exchange(host: host, port: port, timeout: timeout, request: gatewayProbeRequest) { reply in
            // `--gateway-tls required`: the plain probe meets the TLS layer, which answers with
            // an alert record (type 21, version 3.x) and closes. That proves the server loaded
            // its certificate and accepts connections; the exchange inside TLS is the same
            // framer a plain probe reaches on the other modes.
            if reply.count >= 2, reply[0] == 0x15, reply[1] == 0x03 { return .ready }
            guard let line = reply.split(separator: 0x0a, omittingEmptySubsequences: false).first, reply.contains(0x0a) else { return nil }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("<nack ") || text.hasPrefix("<ack ") { return .ready }
            return .notReady("unexpected reply \(text.prefix(80))")
        }
    }

    /// `GET /health` on the admin port must answer 200.
    public static func admin(host: String, port: Int, timeout: Duration = .seconds(2)) async -> Outcome {
        let request = Array("GET /health HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        return await exchange(host: host, port: port, timeout: timeout, request: request) { reply in
            guard let end = reply.firstIndex(of: 0x0a) else { return nil }
            let statusLine = String(decoding: reply[..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let fields = statusLine.split(separator: " ")
            guard fields.count >= 2, fields[0].hasPrefix("HTTP/") else { return .notReady("not an HTTP reply") }
            return fields[1] == "200" ? .ready : .notReady("/health answered \(fields[1])")
        }
    }

    /// Connects, writes `request`, reads until `judge` decides (nil: read more) or the
    /// deadline passes. Runs on a dispatch thread: the socket calls block.
    static func exchange(
        host: String, port: Int, timeout: Duration, request: [UInt8], judge: @escaping @Sendable ([UInt8]) -> Outcome?
    ) async -> Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: blockingExchange(host: host, port: port, timeout: timeout, request: request, judge: judge))
            }
        }
    }

    private static func blockingExchange(
        host: String, port: Int, timeout: Duration, request: [UInt8], judge: ([UInt8]) -> Outcome?
    ) -> Outcome {
        guard (1...65535).contains(port) else { return .notReady("no port") }
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return .notReady("cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return .notReady("no socket") }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return .notReady(String(cString: strerror(errno))) }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .notReady("no connection in \(timeout)") }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return .notReady(String(cString: strerror(error))) }
        }
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 { sent += written; continue }
            guard written < 0, errno == EAGAIN || errno == EINTR, wait(fd, for: Int16(POLLOUT), until: deadline) else {
                return .notReady("connection closed while sending")
            }
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let outcome = judge(reply) { return outcome }
            guard reply.count < 64 * 1024 else { return .notReady("reply too long") }
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { return .notReady("no reply in \(timeout)") }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                reply += buffer[..<count]
            } else if count == 0 {
                return judge(reply) ?? .notReady(reply.isEmpty ? "closed without a reply" : "incomplete reply")
            } else if errno != EAGAIN && errno != EINTR {
                return .notReady(String(cString: strerror(errno)))
            }
        }
    }

    /// Polls `fd` for `events` until the deadline; false on timeout or error.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return descriptor.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0 }
            if ready < 0 && errno != EINTR { return false }
        }
    }
}

extension ServerProbe {
    /// The host to probe published ports on: the engine's host for `tcp://HOST:PORT`,
    /// loopback for a local socket (published ports bind every host address by default).
    public static func host(forEngineEndpoint endpoint: String) -> String {
        guard endpoint.hasPrefix("tcp://") else { return "127.0.0.1" }
        let authority = endpoint.dropFirst("tcp://".count).prefix { $0 != "/" }
        if authority.hasPrefix("[") {  // [v6]:port
            return String(authority.dropFirst().prefix { $0 != "]" })
        }
        let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return host.isEmpty ? "127.0.0.1" : host
    }
}
