import Hummingbird
import NIOCore
import TenantStorage

/// Per-request state: who is signed in, the CSRF token, the parsed form.
public struct AdminRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The signed-in staff member (pages) or token owner (API).
    public var staff: String?
    /// What the signed-in account may see and change (see ``AccessPolicy``).
    public var role: StaffRole?
    /// The session id hash, to end it on sign-out.
    public var sessionHash: String?
    /// The CSRF token forms on this page must carry.
    public var csrfToken: String = ""
    /// The body of a POSTed form, read once by the CSRF check.
    public var form = FormData()
    /// Whether the request came over TLS (directly or via a proxy).
    public var isSecure = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

extension AdminRequestContext {
    /// Whether pages offer forms that change the provider (only admins may send them).
    var canChange: Bool { role == .admin }
}
