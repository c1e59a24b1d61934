import NIOCore
import NIOPosix

/// A clock whose sleeps are timers on NIO's singleton event loops.
///
/// Why not `Task.sleep`: since Swift 6.3 a sleep on the default executor is a libdispatch
/// timer whose job runs on libdispatch's worker pool, whatever executor the hooks install,
/// and the first job there starts libdispatch's once-a-second watch of that pool for good
/// (see ``EventLoopExecutors``). The servers' periodic work sleeps on this clock instead, so
/// a server waiting for its next pass does not wake in between. Same instants and
/// cancellation as `ContinuousClock` (a cancelled sleep throws `CancellationError`).
public struct EventLoopClock: Clock {
    public typealias Instant = ContinuousClock.Instant

    public init() {}

    public var now: Instant { .now }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let delay = Instant.now.duration(to: deadline)
        guard delay > .zero else { return }
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(delay)) {}
        try await withTaskCancellationHandler {
            do { try await timer.futureResult.get() } catch { throw CancellationError() }
        } onCancel: {
            timer.cancel()
        }
    }
}
