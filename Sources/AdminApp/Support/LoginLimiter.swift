/// How many sign-in attempts are evaluated (password hashed and compared).
struct LoginPolicy: Sendable {
    /// Failed attempts per account name (known or not) before it is blocked.
    var accountLimit = 5
    /// Failed attempts per client address, without a device cookie for the account, before the
    /// address is blocked for such attempts (stops spraying many names from one address).
    var addressLimit = 20
    /// Failures older than this no longer count.
    var windowMillis: Int64 = 15 * 60_000
    /// The first block lasts one window; each further one without a success in between
    /// doubles, up to this.
    var maxBlockMillis: Int64 = 4 * 3_600_000
    /// An account with no failure for this long starts afresh (its block count is forgotten).
    var forgetAfterMillis: Int64 = 24 * 3_600_000
    /// Entries kept per table (accounts, addresses); beyond, the least informative go first.
    var capacity = 10_000
}

/// Slows password guessing. Every attempt reserves a slot *before* its password is hashed and
/// releases it with the outcome, so in-flight attempts count against the limits and at most
/// ``LoginPolicy/accountLimit`` attempts per account are evaluated per window, however many
/// arrive in parallel. Per account: the limit, then blocks that double while failures go on
/// (exponential backoff). Per address: a larger limit that applies only to attempts without a
/// device cookie for the account, so staff behind one proxy or NAT are not locked out by
/// others' failures (docs/admin.md, "Sign-in limits").
actor LoginLimiter {
    /// Why an attempt was refused.
    enum Refusal: Sendable, Equatable {
        case account
        case address
    }

    /// The answer to ``reserve(account:address:knownDevice:now:)``.
    enum Admission: Sendable, Equatable {
        case granted(Ticket)
        case refused(Refusal, retryAfterMillis: Int64)
    }

    /// A reserved slot; hand it back to ``finish(_:outcome:now:)`` exactly once.
    struct Ticket: Sendable, Equatable {
        let account: String
        /// Nil when the attempt came with a device cookie: it does not count for the address.
        let address: String?
    }

    /// What became of an attempt.
    enum Outcome: Sendable {
        case succeeded
        case failed
        /// The password was never compared (server busy): the slot is released, nothing counts.
        case notEvaluated
    }

    private struct AccountState {
        var failures: [Int64] = []
        var inFlight = 0
        var blocks = 0
        var blockedUntil: Int64 = 0
        var lastSeen: Int64 = 0
    }

    private struct AddressState {
        var failures: [Int64] = []
        var inFlight = 0
        var lastSeen: Int64 = 0
    }

    let policy: LoginPolicy
    private var accounts: [String: AccountState] = [:]
    private var addresses: [String: AddressState] = [:]

    init(policy: LoginPolicy = LoginPolicy()) {
        self.policy = policy
    }

    /// Reserves a slot for one attempt on `account` (compared case-insensitively) from
    /// `address`, or says why not and for how long. `knownDevice`: the browser carries a
    /// device cookie for this account (it signed in to it before), so the address limit
    /// does not apply.
    func reserve(account rawAccount: String, address: String, knownDevice: Bool, now: Int64) -> Admission {
        let account = rawAccount.lowercased()
        var state = accounts[account] ?? AccountState()
        if now - state.lastSeen > policy.forgetAfterMillis, state.inFlight == 0 { state = AccountState() }
        state.failures.removeAll { now - $0 >= policy.windowMillis }
        if now < state.blockedUntil {
            accounts[account] = state
            return .refused(.account, retryAfterMillis: state.blockedUntil - now)
        }
        if state.failures.count + state.inFlight >= policy.accountLimit {
            accounts[account] = state
            // In flight only: their outcome is due within a second or so.
            let retry = state.failures.first.map { $0 + policy.windowMillis - now } ?? 1000
            return .refused(.account, retryAfterMillis: retry)
        }
        var place: AddressState?
        if !knownDevice {
            var slot = addresses[address] ?? AddressState()
            slot.failures.removeAll { now - $0 >= policy.windowMillis }
            if slot.failures.count + slot.inFlight >= policy.addressLimit {
                addresses[address] = slot
                let retry = slot.failures.first.map { $0 + policy.windowMillis - now } ?? 1000
                return .refused(.address, retryAfterMillis: retry)
            }
            slot.inFlight += 1
            slot.lastSeen = now
            place = slot
        }
        state.inFlight += 1
        state.lastSeen = now
        accounts[account] = state
        if let place { addresses[address] = place }
        evictIfFull()
        return .granted(Ticket(account: account, address: knownDevice ? nil : address))
    }

    /// Releases `ticket`'s slot and records what happened.
    func finish(_ ticket: Ticket, outcome: Outcome, now: Int64) {
        if var state = accounts[ticket.account] {
            state.inFlight = max(0, state.inFlight - 1)
            switch outcome {
            case .succeeded:
                state.failures = []
                state.blocks = 0
                state.blockedUntil = 0
            case .failed:
                state.failures.append(now)
                if state.failures.count >= policy.accountLimit {
                    state.blocks += 1
                    let shift = Int64(min(state.blocks - 1, 20))
                    state.blockedUntil = now + min(policy.windowMillis << shift, policy.maxBlockMillis)
                    state.failures = []
                }
            case .notEvaluated:
                break
            }
            state.lastSeen = now
            if state.inFlight == 0, state.failures.isEmpty, state.blocks == 0 {
                accounts[ticket.account] = nil
            } else {
                accounts[ticket.account] = state
            }
        }
        if let address = ticket.address, var slot = addresses[address] {
            slot.inFlight = max(0, slot.inFlight - 1)
            if case .failed = outcome {
                slot.failures.append(now)
                // Only the newest `addressLimit` matter.
                if slot.failures.count > policy.addressLimit { slot.failures.removeFirst(slot.failures.count - policy.addressLimit) }
            }
            slot.lastSeen = now
            addresses[address] = slot.inFlight == 0 && slot.failures.isEmpty ? nil : slot
        }
    }

    /// Entries held (accounts, addresses), for tests and the memory bound.
    var counts: (accounts: Int, addresses: Int) { (accounts.count, addresses.count) }

    /// Bounds memory under a spray of names or addresses without resetting what matters:
    /// entries with an attempt in flight stay; blocked accounts and those with the most
    /// failures go last; among equals the least recently seen go first. Trims to 90 % of the
    /// capacity so the sort runs once per many insertions.
    private func evictIfFull() {
        let keep = policy.capacity * 9 / 10
        if accounts.count > policy.capacity {
            let victims = accounts.filter { $0.value.inFlight == 0 }
                .sorted { a, b in
                    let ka = (a.value.blocks, a.value.failures.count, a.value.lastSeen)
                    let kb = (b.value.blocks, b.value.failures.count, b.value.lastSeen)
                    return ka < kb
                }
                .prefix(accounts.count - keep)
            for victim in victims { accounts[victim.key] = nil }
        }
        if addresses.count > policy.capacity {
            let victims = addresses.filter { $0.value.inFlight == 0 }
                .sorted { a, b in (a.value.failures.count, a.value.lastSeen) < (b.value.failures.count, b.value.lastSeen) }
                .prefix(addresses.count - keep)
            for victim in victims { addresses[victim.key] = nil }
        }
    }

    /// Whether `account` is blocked at `now` (for tests and logs).
    func isBlocked(account: String, now: Int64) -> Bool {
        guard let state = accounts[account.lowercased()] else { return false }
        return now < state.blockedUntil
    }
}
