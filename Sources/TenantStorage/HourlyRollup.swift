/// One hour of one gateway as a rollup keeps it: the sums ``HourBucket`` is made from.
/// Both stores compute it with ``RollupRules/hours(_:from:to:laterExists:)``; the Cassandra
/// store also stores it, as JSON with these field names.
public struct HourAggregate: Codable, Sendable, Equatable {
    /// Start of the hour, UTC ms.
    public var hour: EpochMillis
    /// Distinct reading instants in the hour.
    public var samples: Int
    /// Sum over those instants of the total power (summed over sensors), W.
    public var sum: Double
    /// Highest total power at one instant, W.
    public var max: Double
    /// Power integrated over the hour, Wh.
    public var powerWh: Double
    /// Energy from the sensors' counters, Wh; nil when no sensor reported one.
    public var counterWh: Double?

    public init(hour: EpochMillis, samples: Int, sum: Double, max: Double, powerWh: Double, counterWh: Double?) {
        self.hour = hour
        self.samples = samples
        self.sum = sum
        self.max = max
        self.powerWh = powerWh
        self.counterWh = counterWh
    }

    /// What charts and reports read: counters win over integrated power.
    public var bucket: HourBucket {
        HourBucket(hour: hour, samples: samples, meanPower: samples > 0 ? sum / Double(samples) : 0, peakPower: max, energy: counterWh ?? powerWh)
    }
}

extension RollupRules {
    /// The readings ``hours(_:from:to:laterExists:)`` needs for `[from, to)`: the hour before
    /// `from` gives each energy counter its previous value, the step cap after `to` ends the
    /// range's last steps.
    public static func readingWindow(from: EpochMillis, to: EpochMillis) -> Range<EpochMillis> {
        (from - hourMillis)..<(to + stepCap)
    }

    /// The one definition of an hour's aggregates, for every store: the hours of `[from, to)`
    /// with at least one reading, oldest first. `readings` must cover
    /// ``readingWindow(from:to:)`` (more is ignored); `laterExists` says whether the gateway
    /// has readings at or after `to + stepCap`.
    ///
    /// Instants (distinct `at`) sum power over sensors; each instant's power counts as a left
    /// rectangle up to the next instant, capped at ``stepCap`` so that gaps are not production,
    /// and ``lastStep`` for the newest instant of all. Instants past `to` only end steps, so no
    /// range boundary changes an hour: rollups written in chunks, passes or recomputations
    /// equal one computation. Counters: each delta is credited to the hour of its later
    /// reading; a counter that went backwards (reset) credits nothing.
    public static func hours(_ readings: [Reading], from: EpochMillis, to: EpochMillis, laterExists: Bool) -> [HourAggregate] {
        guard from < to else { return [] }
        var totals: [EpochMillis: Double] = [:]
        for reading in readings where reading.at >= from && reading.at < to + stepCap { totals[reading.at, default: 0] += reading.power }
        let instants = totals.keys.sorted()
        var hours: [EpochMillis: HourAggregate] = [:]
        for (index, at) in instants.enumerated() where at < to {
            let total = totals[at]!
            let dt = Swift.min(index + 1 < instants.count ? instants[index + 1] - at : (laterExists ? stepCap : lastStep), stepCap)
            let hour = floorHour(at)
            var h = hours[hour] ?? HourAggregate(hour: hour, samples: 0, sum: 0, max: -.infinity, powerWh: 0, counterWh: nil)
            h.samples += 1
            h.sum += total
            h.max = Swift.max(h.max, total)
            h.powerWh += total * Double(dt)  // W·ms; divided once per hour below
            hours[hour] = h
        }
        for hour in hours.keys { hours[hour]!.powerWh /= Double(hourMillis) }
        var bySensor: [String: [Reading]] = [:]
        for reading in readings where reading.energy != nil && reading.at >= from - hourMillis && reading.at < to {
            bySensor[reading.sensor, default: []].append(reading)
        }
        for series in bySensor.values {
            let sorted = series.sorted { $0.at < $1.at }
            for (previous, current) in zip(sorted, sorted.dropFirst()) where current.at >= from {
                let hour = floorHour(current.at)
                guard hours[hour] != nil else { continue }
                hours[hour]!.counterWh = (hours[hour]!.counterWh ?? 0) + Swift.max(current.energy! - previous.energy!, 0)
            }
        }
        return hours.values.sorted { $0.hour < $1.hour }
    }
}
