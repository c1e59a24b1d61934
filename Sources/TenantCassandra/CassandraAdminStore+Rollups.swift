import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: PowerRollupStore {
    /// ``RollupRules/hours(_:from:to:laterExists:)`` (the one definition both stores use) over
    /// the readings of `gateway`; `newest`, when the caller knows it, spares the look past the range.
    private func computeHours(gateway: String, from: EpochMillis, to: EpochMillis, newest: EpochMillis? = nil) async throws -> [HourAggregate] {
        guard from < to else { return [] }
        let window = RollupRules.readingWindow(from: from, to: to)
        let readings = try await readingStore.readings(gateway: gateway, from: window.lowerBound, to: window.upperBound)
        // What follows the window matters only when the window's last instant is in the range.
        var laterExists = false
        if let last = readings.last?.at, last >= from, last < to {
            if let newest {
                laterExists = newest >= to + RollupRules.stepCap
            } else {
                laterExists = try await !readingStore.readings(gateway: gateway, from: to + RollupRules.stepCap, to: Self.farFuture).isEmpty
            }
        }
        return RollupRules.hours(readings, from: from, to: to, laterExists: laterExists)
    }

    private func rolledThrough(_ gateway: String) async throws -> EpochMillis? {
        try await value("rollup_state", Self.single, gateway).flatMap { Int64($0) }
    }

    public func hourly(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        try await wrap("rollup read") { try await hourlyUnwrapped(gateway: gateway, from: from, to: to) }
    }

    private func hourlyUnwrapped(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        let from = RollupRules.floorHour(from), to = RollupRules.floorHour(to)
        let through = try await rolledThrough(gateway) ?? from
        var buckets: [HourBucket] = []
        if from < through {
            buckets = try await rows("rollup", gateway, from: Self.numericKey(from), to: Self.numericKey(Swift.min(to, through)))
                .compactMap { Self.decode(HourAggregate.self, $0.value)?.bucket }
        }
        buckets += try await computeHours(gateway: gateway, from: Swift.max(from, through), to: to).map(\.bucket)
        return buckets
    }

    public func energy(gateways: [String], from: EpochMillis, to: EpochMillis) async throws -> [String: Double] {
        try await wrap("rollup read") {
            let totals = try await concurrently(gateways, limit: 8) { gateway in
                (gateway, try await self.hourlyUnwrapped(gateway: gateway, from: from, to: to).reduce(0) { $0 + $1.energy })
            }
            return Dictionary(totals, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The first reading time of `gateway`, visiting its indexed days from the oldest.
    private func oldestReading(_ gateway: String) async throws -> EpochMillis? {
        for day in Set(try await readingStore.indexedPartitions(gateway: gateway).map(\.day)).sorted() {
            let start = Int64(day) * 86_400_000
            if let oldest = try await readingStore.readings(gateway: gateway, from: start, to: start + 86_400_000).first?.at { return oldest }
        }
        return nil
    }

    /// The late-reading markers of `gateway` (see ``LateReadings``): the first hour each
    /// asks to recompute, and its write timestamp.
    private func lateMarkers(_ gateway: String) async throws -> [(hour: EpochMillis, stamp: Int64)] {
        let statement = try await client.prepare("SELECT key, writetime(value) FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(LateReadings.kind), .text(gateway)], consistency: consistency).rows.compactMap { row in
            guard row.count == 2, let hour = row[0].string.flatMap({ Int64($0) }), let stamp = row[1].int64 else { return nil }
            return (hour, stamp)
        }
    }

    @discardableResult
    public func refreshRollup(gateway: String) async throws -> Int {
        try await refreshRollup(gateway: gateway, afterReadingMarkers: {})
    }

    /// ``refreshRollup(gateway:)``; `afterReadingMarkers` runs between reading the late-reading
    /// markers and the reads that recompute (tests commit there to race a pass).
    func refreshRollup(gateway: String, afterReadingMarkers: @Sendable () async throws -> Void) async throws -> Int {
        try await wrap("rollup refresh") {
            // Markers first: each was written after its readings, so the reads below see them.
            let markers = try await lateMarkers(gateway)
            try await afterReadingMarkers()
            guard let newest = try await readingStore.newestReading(gateway: gateway) else { return 0 }
            let cutoff = RollupRules.floorHour(newest - rollupGrace)
            let through = try await rolledThrough(gateway)
            var written = 0
            // Hours late readings reopened, up to where the rollup stands; later hours are
            // rolled up fresh below.
            if let through, let redo = markers.map(\.hour).min(), redo < through {
                written += try await rollUp(gateway: gateway, from: redo, to: through, newest: newest)
            }
            let start: EpochMillis
            if let through {
                start = through
            } else {
                start = RollupRules.floorHour(try await oldestReading(gateway) ?? cutoff)
            }
            written += try await rollUp(gateway: gateway, from: start, to: cutoff, newest: newest)
            // Compare-and-clear: a partition deletion at the newest timestamp read removes the
            // markers acted on; one written since has a later timestamp and stays.
            if let stamp = markers.map(\.stamp).max() {
                let clear = try await client.prepare("DELETE FROM \(ks).admin USING TIMESTAMP ? WHERE kind = ? AND part = ?")
                _ = try await client.execute(clear, [.bigint(stamp), .text(LateReadings.kind), .text(gateway)], consistency: consistency)
            }
            return written
        }
    }

    /// Computes and writes the hours of `[from, to)` a month at a time, then moves
    /// `rollup_state` to `to` if it was behind; returns the hours written.
    private func rollUp(gateway: String, from: EpochMillis, to: EpochMillis, newest: EpochMillis) async throws -> Int {
        var written = 0
        var chunkStart = from
        // With a rollup retention set, each hour expires that long after it began, as
        // SQLite's purge deletes it (see ``Retention``).
        let keep = try await readingStore.retention.limits { try await settingsStore.setting($0) }.rollupRetentionMillis
        let insert = try await insertStatement(ttl: keep != nil)
        let now = EpochMillis((Date().timeIntervalSince1970 * 1000).rounded(.down))
        while chunkStart < to {
            let chunkEnd = Swift.min(to, chunkStart + 31 * 24 * RollupRules.hourMillis)
            // Hours already past their retention are not written only to expire at once.
            let hours = try await computeHours(gateway: gateway, from: chunkStart, to: chunkEnd, newest: newest)
                .filter { hour in keep.map { hour.hour > now - $0 } ?? true }
            // One partition (the gateway's rollups): unlogged batches are atomic within it.
            // Hours only gain readings, so overwriting them leaves no stale row behind.
            for chunk in try hours.map({ h -> (CQLPreparedStatement, [CQLValue]) in
                var values: [CQLValue] = [.text("rollup"), .text(gateway), .text(Self.numericKey(h.hour)), .text(try Self.encode(h))]
                if let keep { values.append(.int(Retention.ttl(keep: keep, at: h.hour, now: now))) }
                return (insert, values)
            }).chunked(100) {
                try await client.batch(.unlogged, chunk, consistency: consistency)
            }
            // After the hours: a state ahead of its rows would hide hours from `hourly`.
            if (try await rolledThrough(gateway) ?? .min) < chunkEnd { try await put("rollup_state", Self.single, gateway, String(chunkEnd)) }
            written += hours.count
            chunkStart = chunkEnd
        }
        return written
    }

    public func powerSeries(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [(at: EpochMillis, power: Double)] {
        var totals: [EpochMillis: Double] = [:]
        for reading in try await readingStore.readings(gateway: gateway, from: from, to: to) { totals[reading.at, default: 0] += reading.power }
        return totals.sorted { $0.key < $1.key }.map { (at: $0.key, power: $0.value) }
    }
}
