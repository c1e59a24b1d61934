import EventLoopExecution
import Testing

@Suite struct EventLoopClockTests {
    @Test func aSleepLastsAtLeastItsDuration() async throws {
        let clock = EventLoopClock()
        let start = clock.now
        try await clock.sleep(for: .milliseconds(50))
        #expect(start.duration(to: clock.now) >= .milliseconds(50))
        // A deadline already passed returns at once.
        try await clock.sleep(until: start, tolerance: nil)
    }

    @Test func aCancelledSleepThrowsCancellationErrorWithoutWaiting() async throws {
        let clock = EventLoopClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        // Cancelled before it starts, too.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(600))
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }

    @Test func manySleepersWakeInDeadlineOrder() async throws {
        let clock = EventLoopClock()
        let order = await withTaskGroup(of: Int.self, returning: [Int].self) { group in
            for delay in [60, 20, 40] {
                group.addTask {
                    try? await clock.sleep(for: .milliseconds(delay))
                    return delay
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(order == [20, 40, 60])
    }
}
