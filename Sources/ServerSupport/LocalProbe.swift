#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TenantModel
import TextFormat

/// One-shot checks of a server on this machine over a plain blocking socket, for
/// `--health-check` (Docker runs it every few seconds, so it loads no client library and
/// starts no event loop) and for reading a server's `/metrics` from inside its container.
public enum LocalProbe {
    /// The address to dial for a listen address: loopback for a wildcard.
    public static func dialable(_ address: HostPort) -> HostPort {
        switch address.host {
        case "0.0.0.0", "": return HostPort(host: "127.0.0.1", port: address.port)
        case "::": return HostPort(host: "::1", port: address.port)
        default: return address
        }
    }

    /// Whether something accepts TCP connections at `address` (wildcards dialled on loopback).
    public static func accepts(_ address: HostPort, timeoutSeconds: Int = 3) -> Bool {
        guard let fd = connect(dialable(address), timeoutSeconds: timeoutSeconds) else { return false }
        close(fd)
        return true
    }

    /// An HTTP/1.1 response: status code and body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]
    }

    /// `GET path` on `address` (wildcards dialled on loopback), read to the end; nil when
    /// nothing answers or the answer is not HTTP. Bodies past `maxBytes` are cut off.
    public static func get(_ address: HostPort, path: String, timeoutSeconds: Int = 5, maxBytes: Int = 8 << 20) -> Response? {
        let target = dialable(address)
        guard let fd = connect(target, timeoutSeconds: timeoutSeconds) else { return nil }
        defer { close(fd) }
        let hostHeader = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n\r\n".utf8)
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        guard send(fd, request, request.count, flags) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while response.count < maxBytes {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        return parse(response)
    }

    /// Splits a `Connection: close` response into status and body (chunked bodies decoded).
    static func parse(_ bytes: [UInt8]) -> Response? {
        guard bytes.starts(with: Array("HTTP/1.".utf8)), bytes.count >= 12,
            let status = Int(String(decoding: bytes[9..<12], as: UTF8.self))
        else { return nil }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else {
            return Response(status: status, body: [])
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        let body = Array(bytes[(end + 4)...])
        if head.contains("transfer-encoding: chunked") { return Response(status: status, body: dechunk(body)) }
        return Response(status: status, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].firstIndex(of: 10) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first?.trimmed ?? ""
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd + 1
            guard start + size <= bytes.count else { out += bytes[start...]; break }
            out += bytes[start..<start + size]
            index = start + size + 2
        }
        return out
    }

    /// A connected blocking socket with send/receive timeouts, or nil.
    static func connect(_ address: HostPort, timeoutSeconds: Int) -> Int32? {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address.host, String(address.port), &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(found) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Glibc)
        let connected = Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0
        #else
        let connected = Darwin.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0
        #endif
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }
}


extension LocalProbe {
    /// `--print-metrics`: writes what `GET /metrics` on `address` returns to stdout; 0 on a
    /// 200, else 1 with one line on stderr. `tenantctl status` runs this inside the container,
    /// where the metrics listener is reachable and nothing is published.
    public static func printMetrics(from address: HostPort, program: String) -> ServerExitCode {
        guard let response = get(address, path: "/metrics"), response.status == 200 else {
            var standardError = StandardError()
            print("\(program): error: no metrics on \(address)", to: &standardError)
            return .unhealthy
        }
        response.body.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        return .success
    }
}
