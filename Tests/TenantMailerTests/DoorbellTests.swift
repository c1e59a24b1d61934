import Testing
import TenantStorage

/// The wake-up primitive the idle loops sleep on: a lost ring would leave a mail unsent or
/// a WAL unchecked until some later event, so every ordering must deliver it.
@Suite struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsKept() async {
        let bell = Doorbell()
        bell.ring()
        #expect(await bell.wait(timeout: .seconds(60)))
    }

    @Test func aRingWakesTheWaiter() async {
        let bell = Doorbell()
        async let woke = bell.wait(timeout: .seconds(60))
        // Whether the ring lands before or after the waiter parks, it must wake it.
        bell.ring()
        #expect(await woke)
    }

    @Test func ringsCoalesceIntoOneWakeUp() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        #expect(await bell.wait(timeout: .seconds(60)))
        #expect(await bell.wait(timeout: .milliseconds(20)) == false)
    }

    @Test func cancellationEndsTheWaitWithoutARing() async {
        let bell = Doorbell()
        let waiter = Task { await bell.wait() }
        waiter.cancel()
        #expect(await waiter.value == false)
        // The bell still works for the next waiter.
        bell.ring()
        #expect(await bell.wait(timeout: .seconds(60)))
    }

    @Test func manyRingersNeverLoseTheWakeUp() async {
        let bell = Doorbell()
        for _ in 0..<200 {
            async let woke = bell.wait(timeout: .seconds(60))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { bell.ring() } }
            }
            #expect(await woke)
            // Rings that came after the wake-up are kept for the next wait; drain them.
            _ = await bell.wait(timeout: .milliseconds(1))
        }
    }
}
