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

    /// Waits until the lock is ours. Polls with a non-blocking flock and sleeps between
    /// tries, so no thread (cooperative or dispatch) is held while another run works.
    public static func acquire(path: String = defaultPath(), timeout: Duration = .seconds(300)) async throws -> ProviderLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw TenantCtlError("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        // Let other users share the lock file when umask narrowed it.
        _ = fchmod(fd, 0o666)
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            guard reason == EWOULDBLOCK || reason == EINTR, ContinuousClock.now < deadline else {
                close(fd)
                throw TenantCtlError("cannot lock \(path): \(reason == EWOULDBLOCK ? "another tenantctl run holds it" : String(cString: strerror(reason)))")
            }
            do { try await Task.sleep(for: .milliseconds(5)) } catch {
                close(fd)
                throw error
            }
        }
        return ProviderLock(descriptor: fd, path: path)
    }

    /// Releases the lock now (it is also released when the object goes away).
    public func release() { _ = flock(descriptor, LOCK_UN) }
}
