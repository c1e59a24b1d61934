import NIOCore
import NIOPosix

/// Runs Swift concurrency's global executor on NIO's singleton event loops instead of
/// libdispatch's worker pool.
///
/// Why: once libdispatch's (non-overcommit) pool has run one job, libdispatch wakes every
/// second for the rest of the process's life to watch the pool
/// (`_dispatch_workq_monitor_pools`): 55-80 µs of CPU a second per server, the whole idle
/// cost of a provider's two servers. NIO's loops sleep in `epoll_wait` until there is I/O or
/// a timer is due, so an idle server does not wake at all. What keeps it so, in a server:
/// - sleep on ``EventLoopClock``, not `Task.sleep` (a libdispatch timer since Swift 6.3);
/// - blocking work on serial dispatch queues (overcommit, not watched) or `NIOThreadPool`,
///   never on a concurrent dispatch queue or `DispatchQueue.global()`.
public enum EventLoopExecutors {
    /// Installs the loops as the global executor. Call it first thing in `main`, before any
    /// task runs. False when another executor was installed first or the runtime has no
    /// hook: the process then runs on libdispatch as before, only less quiet.
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
