import EventLoopExecution
import Synchronization

/// Wakes a background loop when there is work for it, so that the loop can sleep for as
/// long as there is none: an idle provider should cost the host nothing, and a loop that
/// polls "anything new?" every few seconds costs every idle provider a wake-up each time.
///
/// Rings coalesce: ringing any number of times before the loop next waits wakes it once.
/// Any number of tasks may ring; one task waits at a time.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiting loop, or the next wait if none is waiting now. Never blocks.
    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Returns once the bell rings (at once if it rang since the last wait), or when the
    /// task is cancelled; returns whether it rang. A ring is never lost: one that races
    /// with cancellation is reported or kept for the next wait.
    @discardableResult
    public func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer = state.withLock { state -> Bool? in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    // A cancellation that came before the continuation was stored found no
                    // waiter to resume, so it is checked here, under the same lock.
                    if Task.isCancelled { return false }
                    state.waiter = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Bool, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(returning: false)
        }
    }

    /// ``wait()``, but for no longer than `timeout`; returns whether the bell rang.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await EventLoopClock().sleep(for: timeout)
                return false
            }
            var rang = await group.next() ?? false
            group.cancelAll()
            // The waiter may have been rung between the timeout and its cancellation.
            for await result in group { rang = rang || result }
            return rang
        }
    }
}
