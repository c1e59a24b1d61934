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
        // The order says something only when every sleeper was asleep before the first deadline
        // and woke soon after its own; a round the machine stalls past that is tried again.
        for _ in 1...20 {
            let start = clock.now
            let sleepers = await withTaskGroup(of: Sleeper.self, returning: [Sleeper].self) { group in
                for delay in [300, 100, 200] {
                    group.addTask {
                        let deadline = start.advanced(by: .milliseconds(delay))
                        let asleepInTime = clock.now < start.advanced(by: .milliseconds(100))
                        try? await clock.sleep(until: deadline, tolerance: nil)
                        return Sleeper(delay: delay, deadline: deadline, woke: clock.now, asleepInTime: asleepInTime)
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sleepers.allSatisfy { $0.woke >= $0.deadline })
            guard sleepers.allSatisfy({ $0.asleepInTime && $0.deadline.duration(to: $0.woke) < .milliseconds(90) }) else { continue }
            #expect(sleepers.sorted { $0.woke < $1.woke }.map(\.delay) == [100, 200, 300])
            return
        }
        Issue.record("in 20 rounds the machine never let three sleepers sleep and wake in time")
    }

    struct Sleeper: Sendable {
        var delay: Int
        var deadline: EventLoopClock.Instant
        var woke: EventLoopClock.Instant
        var asleepInTime: Bool
    }
}
