import Foundation

/// Whether a TCP port can be bound on the host right now (by a listener such as the engine's).
enum HostPorts {
    /// False for anything outside 1-65535 (never a trapping 16-bit conversion).
    static func isFree(_ port: Int) -> Bool {
        guard PortNumber.range.contains(port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // As the engine's own bind does: connections lingering in TIME_WAIT (a probe of a
        // server just stopped) do not make a port taken; only a socket bound to it does.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
