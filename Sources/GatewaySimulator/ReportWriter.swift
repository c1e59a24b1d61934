import NIOCore

/// Writes report XML into a byte array (local, so no exclusivity checks or ByteBuffer
/// bookkeeping per byte): the load generator must leave the CPU to the server.
enum ReportWriter {
    static func writeTimestamp(_ millis: Int64, to buffer: inout [UInt8]) {
        let seconds = millis / 1000
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        // Civil from days (Howard Hinnant).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        writePadded(year, 4, &buffer)
        buffer.append(UInt8(ascii: "-"))
        writePadded(month, 2, &buffer)
        buffer.append(UInt8(ascii: "-"))
        writePadded(day, 2, &buffer)
        buffer.append(UInt8(ascii: "T"))
        writePadded(rem / 3600, 2, &buffer)
        buffer.append(UInt8(ascii: ":"))
        writePadded(rem % 3600 / 60, 2, &buffer)
        buffer.append(UInt8(ascii: ":"))
        writePadded(rem % 60, 2, &buffer)
        buffer.append(UInt8(ascii: "Z"))
    }

    static func writePadded(_ value: Int64, _ width: Int, _ buffer: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }

    static func writeInt(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            return writeInt(-value, to: &buffer)
        }
        if value < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        writeInt(value / 10, to: &buffer)
        buffer.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// A value with one decimal: 1834.5
    static func writeTenths(_ value: Double, to buffer: inout [UInt8]) {
        var tenths = Int64((value * 10).rounded())
        if tenths < 0 {
            buffer.append(UInt8(ascii: "-"))
            tenths = -tenths
        }
        writeInt(tenths / 10, to: &buffer)
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(ascii: "0") + UInt8(tenths % 10))
    }

    static func write(_ text: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// A deterministic generator (SplitMix64).
struct SimRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// A site's PV output: sunrise to sunset by season, clouds as a bounded random walk,
/// zero at night, a cumulative energy counter per inverter.
struct SolarSite {
    var random: SimRandom
    var clouds = 1.0
    let peaks: [Double]
    var energy: [Double]

    init(sensors: Int, seed: UInt64) {
        var random = SimRandom(state: seed)
        peaks = (0..<sensors).map { _ in 2500 + 2500 * random.unit() }
        energy = (0..<sensors).map { _ in (random.unit() * 5_000_000).rounded() }
        self.random = random
    }

    /// Daylight fraction in [0, 1] for a UTC instant (site at ~0° longitude, ~48° N).
    static func sun(_ millis: Int64) -> Double {
        let seconds = Double(millis / 1000)
        let dayOfYear = (seconds / 86_400).truncatingRemainder(dividingBy: 365.25)
        let hour = (seconds.truncatingRemainder(dividingBy: 86_400)) / 3600
        // Day length from ~8 h (winter) to ~16 h (summer), peak around day 172.
        let dayLength = 12 + 4 * cos(2 * Double.pi * (dayOfYear - 172) / 365.25)
        let sunrise = 12 - dayLength / 2
        let x = (hour - sunrise) / dayLength
        guard x > 0, x < 1 else { return 0 }
        return pow(sin(Double.pi * x), 1.3)
    }

    /// Advances the clouds one step.
    mutating func step() {
        clouds = min(1, max(0.15, clouds + (random.unit() - 0.5) * 0.2))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
