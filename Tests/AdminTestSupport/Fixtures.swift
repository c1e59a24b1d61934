import Foundation
import TenantSQLite
import TenantStorage

/// A provider database in a fresh temporary file.
public struct TestDatabase: Sendable {
    public let path: String
    public let database: SQLiteDatabase
    public var store: SQLiteAdminStore { SQLiteAdminStore(database: database) }
    public var readings: SQLiteReadingStore { SQLiteReadingStore(database: database) }

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("admin-test-\(UUID().uuidString).db").path
        database = try SQLiteDatabase(path: path)
    }
}

/// Synthetic solar readings: a half-sine between 06:00 and 18:00 UTC, zero at night.
public enum SolarFixture {
    public static let minute: EpochMillis = 60_000

    /// Instantaneous power of one sensor at `at` with peak `peak` W.
    public static func power(at: EpochMillis, peak: Double) -> Double {
        let secondOfDay = Double(((at % 86_400_000) + 86_400_000) % 86_400_000) / 1000
        let start = 6.0 * 3600, end = 18.0 * 3600
        guard secondOfDay > start && secondOfDay < end else { return 0 }
        return (peak * sin(Double.pi * (secondOfDay - start) / (end - start))).rounded()
    }

    /// Writes one reading per sensor per `step` in `[from, to)` through the reading store,
    /// with energy counters that integrate the power exactly (left rectangles) when
    /// `counters` is set. Returns the readings written.
    @discardableResult
    public static func write(
        to store: SQLiteReadingStore, gateway: String, sensors: [String] = ["inv-1", "inv-2"], from: EpochMillis, to: EpochMillis,
        step: EpochMillis = minute, peak: Double = 2000, counters: Bool = true, batch: Int = 720
    ) async throws -> Int {
        var counter = [String: Double]()
        var reports: [GatewayReport] = []
        var count = 0
        var t = from
        while t < to {
            var readings: [Reading] = []
            for sensor in sensors {
                let p = power(at: t, peak: peak)
                let energy = counter[sensor, default: 0]
                readings.append(Reading(sensor: sensor, at: t, power: p, energy: counters ? energy : nil, voltage: 230, current: p / 230, temperature: 30))
                counter[sensor] = energy + p * Double(step) / 3_600_000
            }
            count += readings.count
            reports.append(GatewayReport(gateway: gateway, readings: readings, receivedAt: t + 1000))
            if reports.count >= batch {
                _ = try await store.commit(reports)
                reports.removeAll()
            }
            t += step
        }
        if !reports.isEmpty { _ = try await store.commit(reports) }
        return count
    }
}
