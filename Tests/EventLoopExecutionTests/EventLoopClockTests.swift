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

    /// Sleepers on the same clock, on any of the loops, each sleep until their own deadline:
    /// none is woken by another's timer. (In which order a loaded machine then runs them is the
    /// executor's business, not the clock's.)
    @Test func concurrentSleepersEachSleepUntilTheirOwnDeadline() async throws {
        let clock = EventLoopClock()
        let start = clock.now
        let sleepers = await withTaskGroup(of: Sleeper.self, returning: [Sleeper].self) { group in
            for delay in [300, 100, 200, 100, 0] {
                group.addTask {
                    let deadline = start.advanced(by: .milliseconds(delay))
                    try? await clock.sleep(until: deadline, tolerance: nil)
                    return Sleeper(delay: delay, deadline: deadline, woke: clock.now)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sleepers.map(\.delay).sorted() == [0, 100, 100, 200, 300])
        for sleeper in sleepers {
            #expect(sleeper.woke >= sleeper.deadline, "the \(sleeper.delay) ms sleeper woke early")
        }
    }

    struct Sleeper: Sendable {
        var delay: Int
        var deadline: EventLoopClock.Instant
        var woke: EventLoopClock.Instant
    }
}
