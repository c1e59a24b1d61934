import Synchronization
import TenantAuth

/// The password functions the app uses; tests pass their own to count or slow them.
struct PasswordFunctions: Sendable {
    var hash: @Sendable (String) throws -> String
    var verify: @Sendable (_ password: String, _ storedHash: String) -> Bool

    /// yescrypt (libxcrypt), ~60 ms and ~16 MiB per call.
    static let yescrypt = PasswordFunctions(
        hash: { password in try PasswordHasher.hash(password) },
        verify: { password, stored in PasswordHasher.verify(password, against: stored) })
}

/// Every password hash and check of the app, run on the blocking queue at most
/// `maxConcurrent` at a time. Each yescrypt call holds ~16 MiB and a core for ~60 ms: more at
/// once than cores only adds memory (the container has 512 MiB), not throughput. Up to
/// `maxWaiting` callers queue (about a second of work at 2 at a time); beyond that the call
/// fails with ``PasswordHashingBusy`` at once, so a flood costs neither memory nor a queue
/// of minutes.
final class PasswordHashing: Sendable {
    let functions: PasswordFunctions
    private let gate: AsyncGate

    init(functions: PasswordFunctions = .yescrypt, maxConcurrent: Int = 2, maxWaiting: Int = 32) {
        self.functions = functions
        self.gate = AsyncGate(maxConcurrent: maxConcurrent, maxWaiting: maxWaiting)
    }

    /// Checked against when there is no stored hash (unknown name), so both cases cost the
    /// same time; computed once, on the blocking queue, on first use.
    private static let decoyHash = (try? PasswordHasher.hash(SecretGenerator.token())) ?? ""

    /// Whether `password` matches `storedHash`; nil (no such account) checks a decoy and is false.
    func verify(_ password: String, against storedHash: String?) async throws(PasswordHashingBusy) -> Bool {
        try await gate.acquire()
        defer { gate.release() }
        let verify = functions.verify
        return await Blocking.value { verify(password, storedHash ?? Self.decoyHash) && storedHash != nil }
    }

    /// A new hash of `password`.
    func hash(_ password: String) async throws -> String {
        try await gate.acquire()
        defer { gate.release() }
        let hash = functions.hash
        return try await Blocking.run { try hash(password) }
    }
}

/// Too many password hashes are running and waiting; try again in a moment (503).
struct PasswordHashingBusy: Error, Sendable, CustomStringConvertible {
    var description: String { "the server is busy checking passwords; try again in a moment" }
}

/// An async semaphore with a bounded queue: waiters are admitted in arrival order.
final class AsyncGate: Sendable {
    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let maxConcurrent: Int
    let maxWaiting: Int
    private let state = Mutex(State())

    init(maxConcurrent: Int, maxWaiting: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Waits for a place; throws at once when the queue is full. Pair with ``release()``.
    func acquire() async throws(PasswordHashingBusy) {
        let admitted: Bool? = state.withLock { state in
            if state.running < maxConcurrent {
                state.running += 1
                return true
            }
            return state.waiters.count < maxWaiting ? nil : false
        }
        if admitted == true { return }
        if admitted == false { throw PasswordHashingBusy() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { state in
                // A place may have freed since the first look.
                if state.running < maxConcurrent {
                    state.running += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the place to the next waiter, or frees it.
    func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Places taken and callers waiting (for tests).
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiters.count) } }
}
