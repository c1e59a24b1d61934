import FoundationEssentials
import TenantStorage
import TenantTime

/// One local day of one gateway.
public struct DayReport: Sendable, Hashable {
    /// `yyyy-MM-dd` in the provider's time zone.
    public var day: String
    /// Start of that local day, UTC ms.
    public var dayStart: EpochMillis
    /// Energy, Wh (counter deltas when the sensors report counters, else integrated power).
    public var energy: Double
    /// Highest total power at one instant, W.
    public var peakPower: Double
    /// Instants with readings.
    public var samples: Int
}

/// Energy and peak reports per gateway and per customer, computed from the hourly rollup.
public struct ReportService: Sendable {
    /// The longest range one report covers.
    public static let maxDays = 366

    let store: any AdminStore

    public init(store: any AdminStore) { self.store = store }

    /// The local days from `from` (inclusive) to `to` (exclusive), both local day starts.
    static func dayStarts(from: EpochMillis, to: EpochMillis, zone: TimeZoneRules) -> [EpochMillis] {
        var starts: [EpochMillis] = []
        var day = from
        while day < to && starts.count <= maxDays {
            starts.append(day)
            day = TimeFormat.addDays(1, to: day, in: zone)
        }
        return starts
    }

    /// Per-day energy and peak of `gateway` for the local days in `[from, to)`; every day
    /// of the range is present, days without readings with zeros.
    public func daily(gateway: String, from: EpochMillis, to: EpochMillis, zone: TimeZoneRules) async throws -> [DayReport] {
        let starts = Self.dayStarts(from: from, to: to, zone: zone)
        guard let first = starts.first else { return [] }
        var days = starts.map { DayReport(day: TimeFormat.day($0, in: zone), dayStart: $0, energy: 0, peakPower: 0, samples: 0) }
        let buckets = try await store.hourly(gateway: gateway, from: first, to: to)
        var index = 0
        for bucket in buckets {
            while index + 1 < starts.count && bucket.hour >= starts[index + 1] { index += 1 }
            guard bucket.hour >= starts[index] else { continue }
            let firstOfDay = days[index].samples == 0
            days[index].energy += bucket.energy
            days[index].samples += bucket.samples
            days[index].peakPower = firstOfDay ? bucket.peakPower : max(days[index].peakPower, bucket.peakPower)
        }
        return days
    }

    /// Totals over the range.
    public static func total(_ days: [DayReport]) -> (energy: Double, peak: Double) {
        (days.reduce(0) { $0 + $1.energy }, days.map(\.peakPower).max() ?? 0)
    }
}
