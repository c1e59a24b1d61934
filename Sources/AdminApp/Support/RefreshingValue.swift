/// A value that is expensive to compute and fine to show a few seconds old, such as the
/// dashboard's power and energy figures summed over every gateway.
///
/// Fresh values are served as they are; stale ones are served while one background task
/// computes the next (stale-while-revalidate), so no request waits for the computation
/// unless the value is missing, too old to show, or was computed for another key (other
/// settings). Concurrent callers share one computation.
actor RefreshingValue<Key: Hashable & Sendable, Value: Sendable> {
    struct Stamped: Sendable {
        var key: Key
        var value: Value
        /// When the computation started, by the app's clock (UTC ms).
        var at: Int64
    }

    /// Served as is below this age.
    let freshFor: Int64
    /// Served (while refreshing) below this age; older values are recomputed before answering.
    let usableFor: Int64
    private var current: Stamped?
    private var refreshing: (key: Key, task: Task<Stamped, any Error>)?

    init(freshFor: Int64, usableFor: Int64) {
        self.freshFor = freshFor
        self.usableFor = max(freshFor, usableFor)
    }

    /// The value for `key`, and the time it was computed at.
    func get(key: Key, now: Int64, compute: @escaping @Sendable () async throws -> Value) async throws -> Stamped {
        if let current, current.key == key, now >= current.at {
            let age = now - current.at
            if age < freshFor { return current }
            if age < usableFor {
                _ = refresh(key: key, now: now, compute: compute)
                return current
            }
        }
        return try await refresh(key: key, now: now, compute: compute).value
    }

    private func refresh(key: Key, now: Int64, compute: @escaping @Sendable () async throws -> Value) -> Task<Stamped, any Error> {
        if let refreshing, refreshing.key == key { return refreshing.task }
        let task = Task { Stamped(key: key, value: try await compute(), at: now) }
        refreshing = (key, task)
        Task { await finish(task) }
        return task
    }

    private func finish(_ task: Task<Stamped, any Error>) async {
        let result = try? await task.value
        if let result, current == nil || current!.key != result.key || result.at >= current!.at { current = result }
        if refreshing?.task == task { refreshing = nil }
    }
}
