import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: PowerRollupStore {
    struct RawHour: Codable, Sendable, Equatable {
        var hour: EpochMillis, samples: Int, sum: Double, max: Double, powerWh: Double, counterWh: Double?
        var bucket: HourBucket {
            HourBucket(hour: hour, samples: samples, meanPower: samples > 0 ? sum / Double(samples) : 0, peakPower: max, energy: counterWh ?? powerWh)
        }
    }

    /// The SQLite store's two aggregate queries, in Swift over `readings` (which must cover
    /// `[from - 1 h, to + 10 min)`: the hour before `from` gives each energy counter its
    /// previous value, the minutes after `to` the last steps of the range). `laterExists`:
    /// whether the gateway has readings at or after `to + 10 min`.
    static func computeHours(_ readings: [Reading], from: EpochMillis, to: EpochMillis, laterExists: Bool) -> [RawHour] {
        guard from < to else { return [] }
        // Instants: total power summed over sensors; each is a left rectangle up to the next
        // instant, capped at 10 minutes so that gaps are not production (60 s for the newest
        // of all). Instants past `to` only end steps, so no range boundary changes an hour.
        var totals: [EpochMillis: Double] = [:]
        for reading in readings where reading.at >= from && reading.at < to + RollupRules.stepCap { totals[reading.at, default: 0] += reading.power }
        let instants = totals.keys.sorted()
        var hours: [EpochMillis: RawHour] = [:]
        for (index, at) in instants.enumerated() where at < to {
            let total = totals[at]!
            let dt = Swift.min(index + 1 < instants.count ? instants[index + 1] - at : (laterExists ? RollupRules.stepCap : RollupRules.lastStep), RollupRules.stepCap)
            let hour = RollupRules.floorHour(at)
            var h = hours[hour] ?? RawHour(hour: hour, samples: 0, sum: 0, max: -.infinity, powerWh: 0, counterWh: nil)
            h.samples += 1
            h.sum += total
            h.max = Swift.max(h.max, total)
            h.powerWh += total * Double(dt)  // W·ms; divided once per hour below, as SQLite's SUM()/3600000.0
            hours[hour] = h
        }
        for hour in hours.keys { hours[hour]!.powerWh /= 3_600_000 }
        // Counters: each delta to the hour of the later reading; a reset credits nothing.
        var bySensor: [String: [Reading]] = [:]
        for reading in readings where reading.energy != nil && reading.at >= from - RollupRules.hourMillis && reading.at < to {
            bySensor[reading.sensor, default: []].append(reading)
        }
        for series in bySensor.values {
            let sorted = series.sorted { $0.at < $1.at }
            for (previous, current) in zip(sorted, sorted.dropFirst()) where current.at >= from {
                let hour = RollupRules.floorHour(current.at)
                guard hours[hour] != nil else { continue }
                hours[hour]!.counterWh = (hours[hour]!.counterWh ?? 0) + Swift.max(current.energy! - previous.energy!, 0)
            }
        }
        return hours.values.sorted { $0.hour < $1.hour }
    }

    /// ``computeHours(_:from:to:laterExists:)`` over the readings of `gateway`; `newest`, when
    /// the caller knows it, spares the look past the range.
    private func computeHours(gateway: String, from: EpochMillis, to: EpochMillis, newest: EpochMillis? = nil) async throws -> [RawHour] {
        guard from < to else { return [] }
        let readings = try await readingStore.readings(gateway: gateway, from: from - RollupRules.hourMillis, to: to + RollupRules.stepCap)
        // What follows the window matters only when the window's last instant is in the range.
        var laterExists = false
        if let last = readings.last?.at, last >= from, last < to {
            if let newest {
                laterExists = newest >= to + RollupRules.stepCap
            } else {
                laterExists = try await !readingStore.readings(gateway: gateway, from: to + RollupRules.stepCap, to: Self.farFuture).isEmpty
            }
        }
        return Self.computeHours(readings, from: from, to: to, laterExists: laterExists)
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
                .compactMap { Self.decode(RawHour.self, $0.value)?.bucket }
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
        let insert = try await insertStatement()
        while chunkStart < to {
            let chunkEnd = Swift.min(to, chunkStart + 31 * 24 * RollupRules.hourMillis)
            let hours = try await computeHours(gateway: gateway, from: chunkStart, to: chunkEnd, newest: newest)
            // One partition (the gateway's rollups): unlogged batches are atomic within it.
            // Hours only gain readings, so overwriting them leaves no stale row behind.
            for chunk in try hours.map({ h -> (CQLPreparedStatement, [CQLValue]) in
                (insert, [.text("rollup"), .text(gateway), .text(Self.numericKey(h.hour)), .text(try Self.encode(h))])
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
