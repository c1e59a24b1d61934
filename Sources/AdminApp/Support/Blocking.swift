import Dispatch

/// Runs slow blocking work (yescrypt takes ~60 ms) on a dispatch queue, never on an event
/// loop or the cooperative pool.
enum Blocking {
    fileprivate static let queue = DispatchQueue(label: "tenant-admin.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension Blocking {
    /// ``run(_:)`` for work that cannot fail.
    static func value<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
