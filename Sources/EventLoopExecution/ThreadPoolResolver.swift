import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Resolves a connection's host name with `getaddrinfo` on NIO's blocking thread pool; an IP
/// address is taken as it is, with no lookup.
///
/// Why: NIO's default resolver runs `getaddrinfo` on `DispatchQueue.global()` for every
/// connect, IP addresses included, and that queue's first job starts libdispatch's
/// once-a-second pool watch for the rest of the process's life (see ``EventLoopExecutors``).
/// One resolver serves one connection attempt (`ClientBootstrap.resolver(_:)`).
public final class ThreadPoolResolver: Resolver, Sendable {
    private let v4: EventLoopPromise<[SocketAddress]>
    private let v6: EventLoopPromise<[SocketAddress]>
    private let started = NIOLockedValueBox(false)

    /// A resolver answering on `loop` (the one the connection will use).
    public init(loop: any EventLoop) {
        v4 = loop.makePromise()
        v6 = loop.makePromise()
    }

    public func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        start(host: host, port: port)
        return v4.futureResult
    }

    public func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        start(host: host, port: port)
        return v6.futureResult
    }

    /// As NIO's own resolver: a lookup under way finishes, and the connector ignores it.
    public func cancelQueries() {}

    /// One lookup answers both queries: its address goes to the family it belongs to.
    private func start(host: String, port: Int) {
        let first = started.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            deliver(.success(address))
            return
        }
        NIOThreadPool.singleton.runIfActive(eventLoop: v4.futureResult.eventLoop) {
            try SocketAddress.makeAddressResolvingHost(host, port: port)
        }.whenComplete { self.deliver($0) }
    }

    private func deliver(_ result: Result<SocketAddress, any Error>) {
        switch result {
        case .success(let address):
            let isV6: Bool
            if case .v6 = address { isV6 = true } else { isV6 = false }
            v4.succeed(isV6 ? [] : [address])
            v6.succeed(isV6 ? [address] : [])
        case .failure(let error):
            v4.fail(error)
            v6.fail(error)
        }
    }
}
