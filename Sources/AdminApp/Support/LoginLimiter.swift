/// Slows password guessing: at most `limit` failed sign-ins per client address and
/// account name within `window`; successful sign-ins clear the count.
actor LoginLimiter {
    private var failures: [String: [Int64]] = [:]
    let limit: Int
    let window: Int64

    init(limit: Int = 5, windowMillis: Int64 = 15 * 60_000) {
        self.limit = limit
        self.window = windowMillis
    }

    /// Whether another attempt for `key` is allowed at `now`.
    func allows(_ key: String, now: Int64) -> Bool {
        let recent = (failures[key] ?? []).filter { now - $0 < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent.count < limit
    }

    func recordFailure(_ key: String, now: Int64) {
        failures[key, default: []].append(now)
        // Bound memory under a spray of names: forget the oldest keys.
        if failures.count > 10_000 { failures.removeAll() }
    }

    func recordSuccess(_ key: String) { failures[key] = nil }
}
