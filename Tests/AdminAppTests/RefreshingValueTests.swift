import Synchronization
import TenantTestSupport
import Testing

@testable import AdminApp

/// The dashboard's shared totals: fresh values reused, stale ones served while one
/// background computation replaces them, old or other-key values recomputed first.
@Suite struct RefreshingValueTests {
    final class Counter: Sendable {
        let count = Mutex(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func freshStaleAndTooOld() async throws {
        let cache = RefreshingValue<String, Int>(freshFor: 5_000, usableFor: 60_000)
        let counter = Counter()
        let compute: @Sendable () async throws -> Int = { counter.next() }
        #expect(try await cache.get(key: "a", now: 0, compute: compute).value == 1)
        // Fresh: no computation.
        #expect(try await cache.get(key: "a", now: 4_999, compute: compute).value == 1)
        #expect(counter.value == 1)
        // Stale: the old value now, the new one computed in the background.
        #expect(try await cache.get(key: "a", now: 10_000, compute: compute).value == 1)
        try await waitUntil("the background computation has run") { counter.value == 2 }
        var next = try await cache.get(key: "a", now: 10_001, compute: compute)
        let deadline = ContinuousClock.now + .seconds(60)
        while next.value != 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            next = try await cache.get(key: "a", now: 10_001, compute: compute)
        }
        #expect(next.value == 2 && next.at == 10_000)
        // Too old to show: computed before answering.
        #expect(try await cache.get(key: "a", now: 100_000, compute: compute).value == 3)
        // Another key (other settings): never served the first key's value.
        #expect(try await cache.get(key: "b", now: 100_001, compute: compute).value == 4)
        // A clock that went back: recomputed.
        #expect(try await cache.get(key: "b", now: 50_000, compute: compute).value == 5)
    }

    @Test func concurrentCallersShareOneComputation() async throws {
        let cache = RefreshingValue<Int, Int>(freshFor: 5_000, usableFor: 60_000)
        let counter = Counter()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await cache.get(key: 1, now: 0) {
                        try await Task.sleep(for: .milliseconds(50))
                        return counter.next()
                    }.value
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 1, count: 50))
        #expect(counter.value == 1)
    }

    @Test func aFailedComputationIsNotKept() async throws {
        struct Broken: Error {}
        let cache = RefreshingValue<Int, Int>(freshFor: 5_000, usableFor: 60_000)
        await #expect(throws: Broken.self) { try await cache.get(key: 1, now: 0) { throw Broken() } }
        // Once the failed computation has been let go, the next caller computes afresh.
        var value: Int?
        let deadline = ContinuousClock.now + .seconds(60)
        while value == nil, ContinuousClock.now < deadline {
            value = try? await cache.get(key: 1, now: 1) { 7 }.value
            if value == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(value == 7)
    }
}
