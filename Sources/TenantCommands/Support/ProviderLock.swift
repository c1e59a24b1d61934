import Dispatch
import Foundation

/// A host-wide exclusive lock (flock) held while a run chooses ports and creates
/// containers, so that two runs at once never pick the same port. The file is
/// `/run/lock/tenantctl.lock` when writable (root), else `$TMPDIR/tenantctl.lock`;
/// `TENANTCTL_LOCK_FILE` overrides both.
public final class ProviderLock: Sendable {
    private let descriptor: Int32
    /// The lock file used.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// The lock file for this process's environment.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["TENANTCTL_LOCK_FILE"], !path.isEmpty { return path }
        if access("/run/lock", W_OK) == 0 { return "/run/lock/tenantctl.lock" }
        let tmp = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (tmp.hasSuffix("/") ? tmp : tmp + "/") + "tenantctl.lock"
    }

    /// Waits (on a dispatch thread, not the cooperative pool) until the lock is ours.
    public static func acquire(path: String = defaultPath()) async throws -> ProviderLock {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ProviderLock, any Error>) in
            DispatchQueue.global().async {
                let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
                guard fd >= 0 else {
                    continuation.resume(throwing: TenantCtlError("cannot open lock file \(path): \(String(cString: strerror(errno)))"))
                    return
                }
                // Let other users share the lock file when umask narrowed it.
                _ = fchmod(fd, 0o666)
                var result: Int32
                repeat { result = flock(fd, LOCK_EX) } while result != 0 && errno == EINTR
                guard result == 0 else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    continuation.resume(throwing: TenantCtlError("cannot lock \(path): \(reason)"))
                    return
                }
                continuation.resume(returning: ProviderLock(descriptor: fd, path: path))
            }
        }
    }

    /// Releases the lock now (it is also released when the object goes away).
    public func release() { _ = flock(descriptor, LOCK_UN) }
}

/// Whether a TCP port can be bound on the host right now.
enum HostPorts {
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
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
