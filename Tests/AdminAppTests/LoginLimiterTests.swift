import Testing
@testable import AdminApp

@Suite struct LoginLimiterTests {
    let window: Int64 = 15 * 60_000

    /// Reserves and fails one attempt; true when it was evaluated.
    func fail(_ limiter: LoginLimiter, _ account: String, from address: String = "198.51.100.1", knownDevice: Bool = false, at now: Int64) async -> Bool {
        guard case .granted(let ticket) = await limiter.reserve(account: account, address: address, knownDevice: knownDevice, now: now) else { return false }
        await limiter.finish(ticket, outcome: .failed, now: now)
        return true
    }

    @Test func sixtyConcurrentAttemptsEvaluateExactlyTheLimit() async throws {
        let limiter = LoginLimiter()
        let evaluated = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    guard case .granted(let ticket) = await limiter.reserve(account: "admin", address: "198.51.100.1", knownDevice: false, now: 1_000) else { return 0 }
                    // The hash would run here; other attempts arrive meanwhile.
                    await Task.yield()
                    await limiter.finish(ticket, outcome: .failed, now: 1_060)
                    return 1
                }
            }
            return await group.reduce(0, +)
        }
        #expect(evaluated == 5)
        #expect(await limiter.isBlocked(account: "ADMIN", now: 1_060))
    }

    @Test func inFlightAttemptsHoldTheirSlotsUntilFinished() async throws {
        let limiter = LoginLimiter()
        var tickets: [LoginLimiter.Ticket] = []
        for _ in 0..<5 {
            guard case .granted(let ticket) = await limiter.reserve(account: "admin", address: "a", knownDevice: false, now: 0) else {
                Issue.record("refused before the limit")
                return
            }
            tickets.append(ticket)
        }
        #expect(await limiter.reserve(account: "Admin", address: "b", knownDevice: true, now: 0) == .refused(.account, retryAfterMillis: 1000))
        // Released without a comparison (server busy): the slot comes back, nothing counts.
        await limiter.finish(tickets.removeLast(), outcome: .notEvaluated, now: 0)
        guard case .granted(let again) = await limiter.reserve(account: "admin", address: "a", knownDevice: false, now: 0) else {
            Issue.record("the released slot was not given back")
            return
        }
        await limiter.finish(again, outcome: .succeeded, now: 0)
        for ticket in tickets { await limiter.finish(ticket, outcome: .failed, now: 0) }
        // A success clears earlier failures only: those finishing after it count anew.
        #expect(await !limiter.isBlocked(account: "admin", now: 0))
        #expect(await limiter.counts.accounts == 1)
    }

    @Test func blocksDoubleWhileFailuresGoOnAndASuccessClearsThem() async throws {
        let limiter = LoginLimiter()
        for _ in 0..<5 { #expect(await fail(limiter, "admin", at: 0)) }
        #expect(await limiter.reserve(account: "admin", address: "x", knownDevice: true, now: window - 1) == .refused(.account, retryAfterMillis: 1))
        for _ in 0..<5 { #expect(await fail(limiter, "admin", at: window)) }
        #expect(await limiter.reserve(account: "admin", address: "x", knownDevice: false, now: window + 2 * window - 1) == .refused(.account, retryAfterMillis: 1))
        for _ in 0..<5 { #expect(await fail(limiter, "admin", at: 3 * window)) }
        #expect(await limiter.isBlocked(account: "admin", now: 3 * window + 4 * window - 1))
        #expect(await !limiter.isBlocked(account: "admin", now: 3 * window + 4 * window))
        // A success resets the backoff: the next five failures block for one window again.
        guard case .granted(let ticket) = await limiter.reserve(account: "admin", address: "x", knownDevice: false, now: 7 * window) else {
            Issue.record("refused after the block ended")
            return
        }
        await limiter.finish(ticket, outcome: .succeeded, now: 7 * window)
        for _ in 0..<5 { #expect(await fail(limiter, "admin", at: 8 * window)) }
        #expect(await limiter.isBlocked(account: "admin", now: 9 * window - 1))
        #expect(await !limiter.isBlocked(account: "admin", now: 9 * window))
    }

    @Test func addressLimitStopsSprayingButNotKnownDevicesOrOtherAddresses() async throws {
        let limiter = LoginLimiter(policy: LoginPolicy(addressLimit: 3))
        for name in ["a", "b", "c"] { #expect(await fail(limiter, name, from: "203.0.113.5", at: 0)) }
        #expect(await limiter.reserve(account: "d", address: "203.0.113.5", knownDevice: false, now: 0) == .refused(.address, retryAfterMillis: window))
        #expect(await fail(limiter, "d", from: "203.0.113.6", at: 0))
        #expect(await fail(limiter, "e", from: "203.0.113.5", knownDevice: true, at: 0))
        #expect(await fail(limiter, "f", from: "203.0.113.5", at: window))
    }

    @Test func sprayingNamesKeepsMemoryBoundedAndBlockedAccountsBlocked() async throws {
        let limiter = LoginLimiter(policy: LoginPolicy(capacity: 100))
        for _ in 0..<5 { #expect(await fail(limiter, "admin", at: 0)) }
        for index in 0..<1_000 {
            #expect(await fail(limiter, "spray\(index)", from: "10.0.\(index / 256).\(index % 256)", at: Int64(index + 1)))
        }
        let counts = await limiter.counts
        #expect(counts.accounts <= 100)
        #expect(counts.addresses <= 100)
        #expect(await limiter.isBlocked(account: "admin", now: 2_000))
        // The oldest of equals went first: the last name sprayed is still counted.
        for _ in 0..<4 { #expect(await fail(limiter, "spray999", from: "192.0.2.1", at: 2_000)) }
        #expect(await limiter.isBlocked(account: "spray999", now: 2_000))
    }
}

@Suite struct TrustedProxiesTests {
    @Test func parsesAddressesAndNetworks() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 172.17.0.1 fd00::/8")
        #expect(proxies.networks.map(\.description) == ["10.0.0.0/8", "172.17.0.1/32", "fd00:0:0:0:0:0:0:0/8"])
        #expect(try TrustedProxies(parsing: "").networks.isEmpty)
        for bad in ["10.0.0.1/8", "300.1.1.1", "10.0.0.0/33", "10.0.0.0/-1", "proxy.example", "10.0.0.0/", "::1/129"] {
            #expect(throws: TrustedProxyError.self, "\(bad)") { try TrustedProxies(parsing: bad) }
        }
    }

    @Test func believesForwardedForOnlyFromTrustedPeers() throws {
        let proxies = try TrustedProxies(parsing: "172.17.0.0/16,10.0.0.0/8")
        #expect(proxies.client(peer: "198.51.100.7", forwardedFor: ["203.0.113.9"]) == "198.51.100.7")
        #expect(proxies.client(peer: "172.17.0.1", forwardedFor: ["203.0.113.9, 10.1.2.3"]) == "203.0.113.9")
        // A client-sent entry left of the first untrusted hop is ignored.
        #expect(proxies.client(peer: "172.17.0.1", forwardedFor: ["1.1.1.1", "198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: "::ffff:172.17.0.1", forwardedFor: ["2001:db8::5"]) == "2001:db8::5")
        #expect(proxies.client(peer: "172.17.0.1", forwardedFor: ["garbage, 10.1.2.3"]) == "10.1.2.3")
        #expect(proxies.client(peer: "172.17.0.1", forwardedFor: []) == "172.17.0.1")
        #expect(TrustedProxies.none.client(peer: "172.17.0.1", forwardedFor: ["203.0.113.9"]) == "172.17.0.1")
        #expect(proxies.client(peer: nil, forwardedFor: ["203.0.113.9"]) == "local")
    }
}

@Suite struct AsyncGateTests {
    @Test func admitsAtMostTheLimitAndRefusesBeyondTheQueue() async throws {
        let gate = AsyncGate(maxConcurrent: 2, maxWaiting: 3)
        try await gate.acquire()
        try await gate.acquire()
        let waiters = (0..<3).map { _ in Task { try await gate.acquire() } }
        while gate.load.waiting < 3 { await Task.yield() }
        #expect(gate.load.running == 2)
        await #expect(throws: PasswordHashingBusy.self) { try await gate.acquire() }
        for _ in 0..<3 { gate.release() }
        for waiter in waiters { try await waiter.value }
        #expect(gate.load.running == 2)
        #expect(gate.load.waiting == 0)
    }
}
