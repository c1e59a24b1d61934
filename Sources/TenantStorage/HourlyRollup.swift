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
    /// Each sensor's mean power over its readings in the hour, W, for per-sensor chart lines;
    /// nil in hours rolled up before rollups kept it.
    public var sensorMeans: [String: Double]?

    public init(hour: EpochMillis, samples: Int, sum: Double, max: Double, powerWh: Double, counterWh: Double?, sensorMeans: [String: Double]? = nil) {
        self.hour = hour
        self.samples = samples
        self.sum = sum
        self.max = max
        self.powerWh = powerWh
        self.counterWh = counterWh
        self.sensorMeans = sensorMeans
    }

    /// What charts and reports read: counters win over integrated power.
    public var bucket: HourBucket {
        HourBucket(
            hour: hour, samples: samples, meanPower: samples > 0 ? sum / Double(samples) : 0, peakPower: max, energy: counterWh ?? powerWh,
            sensorMeans: sensorMeans ?? [:])
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
        var aggregator = HourlyAggregator(from: from, to: to, laterExists: laterExists)
        for reading in readings.sorted(by: { ($0.at, $0.sensor) < ($1.at, $1.sensor) }) { aggregator.add(reading) }
        return aggregator.finish()
    }
}

/// ``RollupRules/hours(_:from:to:laterExists:)`` one reading at a time: fed in order of
/// `(at, sensor)`, it holds only the current instant, each sensor's last counter and the hours,
/// so a store can stream a month of readings through it.
public struct HourlyAggregator: Sendable {
    private let from: EpochMillis, to: EpochMillis, laterExists: Bool
    private var hours: [EpochMillis: HourAggregate] = [:]
    private var instant: (at: EpochMillis, total: Double)?
    private var lastCounter: [String: Double] = [:]
    private var sensorPower: [EpochMillis: [String: SensorSum]] = [:]

    private struct SensorSum: Sendable {
        var sum = 0.0
        var count = 0
        mutating func add(_ power: Double) { (sum, count) = (sum + power, count + 1) }
    }

    public init(from: EpochMillis, to: EpochMillis, laterExists: Bool) {
        (self.from, self.to, self.laterExists) = (from, to, laterExists)
    }

    /// The next reading; readings outside ``RollupRules/readingWindow(from:to:)`` are ignored.
    public mutating func add(_ reading: Reading) {
        guard from < to else { return }
        if let energy = reading.energy, reading.at >= from - RollupRules.hourMillis, reading.at < to {
            // Each delta to the hour of the later reading; a reset credits nothing.
            if reading.at >= from, let previous = lastCounter[reading.sensor] {
                let hour = RollupRules.floorHour(reading.at)
                hours[hour, default: Self.empty(hour)].counterWh = (hours[hour]?.counterWh ?? 0) + Swift.max(energy - previous, 0)
            }
            lastCounter[reading.sensor] = energy
        }
        guard reading.at >= from, reading.at < to + RollupRules.stepCap else { return }
        if reading.at < to {
            let hour = RollupRules.floorHour(reading.at)
            sensorPower[hour, default: [:]][reading.sensor, default: SensorSum()].add(reading.power)
        }
        if let current = instant, current.at == reading.at {
            instant = (current.at, current.total + reading.power)
        } else {
            if let current = instant { close(current, dt: Swift.min(reading.at - current.at, RollupRules.stepCap)) }
            instant = (reading.at, reading.power)
        }
    }

    /// The hours with at least one instant, oldest first.
    public mutating func finish() -> [HourAggregate] {
        if let current = instant { close(current, dt: laterExists ? RollupRules.stepCap : RollupRules.lastStep) }
        instant = nil
        return hours.values.filter { $0.samples > 0 }.map { hour in
            var hour = hour
            hour.powerWh /= Double(RollupRules.hourMillis)  // W·ms summed, divided once per hour
            hour.sensorMeans = sensorPower[hour.hour]?.mapValues { $0.sum / Double($0.count) }
            return hour
        }.sorted { $0.hour < $1.hour }
    }

    /// Counts an instant's total power for `dt` ms (instants past `to` only end steps).
    private mutating func close(_ current: (at: EpochMillis, total: Double), dt: EpochMillis) {
        guard current.at < to else { return }
        let hour = RollupRules.floorHour(current.at)
        var h = hours[hour] ?? Self.empty(hour)
        h.samples += 1
        h.sum += current.total
        h.max = Swift.max(h.max, current.total)
        h.powerWh += current.total * Double(dt)
        hours[hour] = h
    }

    private static func empty(_ hour: EpochMillis) -> HourAggregate {
        HourAggregate(hour: hour, samples: 0, sum: 0, max: -.infinity, powerWh: 0, counterWh: nil)
    }
}
