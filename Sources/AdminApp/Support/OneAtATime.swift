/// Runs its bodies one at a time, in arrival order, without holding a thread while one waits:
/// for a check and the write it guards ("is this name free?", then the insert), which must
/// not interleave with another request's check and write.
final class OneAtATime: Sendable {
    private let gate = AsyncGate(maxConcurrent: 1, maxWaiting: .max)

    func run<T>(_ body: () async throws -> T) async throws -> T {
        try await gate.acquire()
        defer { gate.release() }
        return try await body()
    }
}
