import TenantStorage
import Testing

/// ``RollupRules/hours(_:from:to:laterExists:)``, the one definition of an hour's aggregates
/// both stores use, against values worked out by hand.
@Suite struct RollupRulesTests {
    /// Instants 0 (100 W), 1 min (200 + 50 W) and 21 min (10 W); sensor a's counter goes
    /// 1000 → 1010 → 1005 (a reset: credits nothing).
    static let readings = [
        Reading(sensor: "a", at: 0, power: 100, energy: 1000),
        Reading(sensor: "a", at: 60_000, power: 200, energy: 1010),
        Reading(sensor: "b", at: 60_000, power: 50),
        Reading(sensor: "a", at: 1_260_000, power: 10, energy: 1005),
    ]

    /// Each sensor's mean over its own readings of the hour: a (100, 200, 10 W), b (50 W).
    static let means: [String: Double] = ["a": 310.0 / 3, "b": 50]

    @Test func stepsAreCappedAndTheLastStepDependsOnLaterReadings() {
        // 100 W × 1 min + 250 W × 10 min (20 min capped) + 10 W × 1 min (newest of all) = 43.5 Wh.
        #expect(RollupRules.hours(Self.readings, from: 0, to: 3_600_000, laterExists: false)
            == [HourAggregate(hour: 0, samples: 3, sum: 360, max: 250, powerWh: 43.5, counterWh: 10, sensorMeans: Self.means)])
        // With later readings the last instant counts a full capped step: 10 W × 10 min more = 45 Wh.
        #expect(RollupRules.hours(Self.readings, from: 0, to: 3_600_000, laterExists: true)
            == [HourAggregate(hour: 0, samples: 3, sum: 360, max: 250, powerWh: 45, counterWh: 10, sensorMeans: Self.means)])
        // A reading just past the range ends the step but is no hour of it.
        let next = Self.readings + [Reading(sensor: "a", at: 3_600_000, power: 999, energy: 2000)]
        #expect(RollupRules.hours(next, from: 0, to: 3_600_000, laterExists: false)
            == [HourAggregate(hour: 0, samples: 3, sum: 360, max: 250, powerWh: 45, counterWh: 10, sensorMeans: Self.means)])
    }

    @Test func theWindowCoversTheCountersHourBeforeAndTheLastStepAfter() {
        #expect(RollupRules.readingWindow(from: 7_200_000, to: 10_800_000) == 3_600_000..<11_400_000)
        #expect(RollupRules.hours(Self.readings, from: 0, to: 0, laterExists: false).isEmpty)
    }
}
