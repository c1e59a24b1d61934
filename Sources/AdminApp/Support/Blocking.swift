import NIOPosix

/// Runs slow blocking work (yescrypt takes ~60 ms) on NIO's blocking thread pool, never on an
/// event loop (the global executor's threads) or a concurrent dispatch queue (whose first job
/// starts libdispatch's once-a-second pool watch for good; see `EventLoopExecutors`).
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

extension Blocking {
    /// ``run(_:)`` for work that cannot fail.
    static func value<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        // runIfActive throws only when the pool is shut down, which the singleton never is.
        do { return try await NIOThreadPool.singleton.runIfActive(body) } catch { return body() }
    }
}
