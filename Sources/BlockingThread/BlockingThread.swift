import Foundation

/// Runs a blocking call (a libcurl transfer, a socket probe, waiting for a process) on a thread
/// of its own, and resumes the caller when it returns.
///
/// Why not a dispatch queue: `DispatchQueue.global()` and queues made `.concurrent` run on
/// libdispatch's non-overcommit pool, one thread per core, which Swift concurrency's default
/// executor shares on Linux. A few calls blocked there stall every task in the process until
/// libdispatch's once-a-second monitor adds a thread: a full test run (hundreds of engine calls
/// and probes at once on two cores) stretched half a second of work to three minutes. Starting
/// a thread costs tens of microseconds, nothing beside a call that blocks.
public enum BlockingThread {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
