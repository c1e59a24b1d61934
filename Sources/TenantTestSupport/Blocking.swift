import Foundation

/// Runs blocking test code (a child process to wait for, a socket client, a lock) on a thread
/// of its own and resumes the test when it returns.
///
/// Why: Swift concurrency has one thread per core, two in CI. A test that blocks inside a task
/// holds one of them, and a few at once stall every test in the process: measured, four tasks
/// blocked delay a new task by their whole wait, while four jobs blocked on libdispatch's
/// global queue delay it by 1 ms (libdispatch adds threads). Python-backed fixtures that take
/// seconds to start under load did this at the start of every full run.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
