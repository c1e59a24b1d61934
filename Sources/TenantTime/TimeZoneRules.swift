#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The offsets of one IANA time zone, read from the system's compiled tz database
/// (TZif files under `$TZDIR` or `/usr/share/zoneinfo`).
///
/// Why not Foundation's `TimeZone`: on Linux, named zones need FoundationInternationalization
/// and ICU, about 9 MB of resident code in a process that otherwise idles in 25. The tz
/// database is already on every machine and container we run on.
public final class TimeZoneRules: Sendable, Hashable, CustomStringConvertible {
    /// The name it was looked up by, e.g. `Europe/Berlin`.
    public let identifier: String
    /// UTC seconds at which `offsets[i]` starts; ascending.
    private let transitions: [Int64]
    private let offsets: [Int32]
    /// In force before the first transition.
    private let initialOffset: Int
    /// In force after the last transition.
    private let rule: POSIXTimeZoneRule?

    init(identifier: String, transitions: [Int64], offsets: [Int32], initialOffset: Int, rule: POSIXTimeZoneRule?) {
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
        self.initialOffset = initialOffset
        self.rule = rule
    }

    /// Coordinated Universal Time; needs no tz database.
    public static let utc = TimeZoneRules(identifier: "UTC", transitions: [], offsets: [], initialOffset: 0, rule: nil)

    private static let cache = Mutex<[String: TimeZoneRules]>([:])

    /// The zone named `identifier`, or nil when the name is not a zone of the tz database.
    /// Loaded once per process.
    public static func named(_ identifier: String) -> TimeZoneRules? {
        if identifier == "UTC" || identifier == "Etc/UTC" || identifier == "GMT" { return .utc }
        guard isWellFormed(identifier) else { return nil }
        if let cached = cache.withLock({ $0[identifier] }) { return cached }
        let directory = getenv("TZDIR").map { String(cString: $0) } ?? "/usr/share/zoneinfo"
        guard let bytes = readFile(directory + "/" + identifier),
            let zone = try? TZif.parse(bytes, identifier: identifier)
        else { return nil }
        cache.withLock { $0[identifier] = zone }
        return zone
    }

    /// `Area/Location` names only: no empty, `.` or `..` components, nothing that could
    /// leave the zoneinfo directory.
    static func isWellFormed(_ identifier: String) -> Bool {
        guard !identifier.isEmpty, identifier.utf8.count <= 64 else { return false }
        return identifier.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part != "." && part != ".."
                && part.utf8.allSatisfy { c in
                    (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") || (c >= 0x30 && c <= 0x39)
                        || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                }
        }
    }

    /// Seconds east of UTC in force at `seconds` after the epoch.
    public func offset(atSeconds t: Int64) -> Int {
        guard let last = transitions.last else { return rule?.offset(atSeconds: t) ?? initialOffset }
        if t >= last, let rule { return rule.offset(atSeconds: t) }
        // The last transition at or before t.
        var low = 0, high = transitions.count
        while low < high {
            let mid = (low + high) / 2
            if transitions[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? initialOffset : Int(offsets[low - 1])
    }

    /// Seconds east of UTC in force at `millis` after the epoch.
    public func offset(atMillis millis: Int64) -> Int { offset(atSeconds: floorDiv(millis, 1000)) }

    /// The wall clock in this zone at `millis` after the epoch.
    public func local(_ millis: Int64) -> LocalDateTime {
        LocalDateTime(wallMillis: millis + Int64(offset(atMillis: millis)) * 1000)
    }

    /// The instant a wall clock in this zone shows `local`. A time skipped by a forward
    /// change is moved forward by the change (02:30 on a spring-forward night is 03:30);
    /// a time that happens twice is the first one. Foundation's `Calendar` does the same.
    public func instant(_ local: LocalDateTime) -> Int64 {
        let wall = local.wallMillis
        let before = offset(atMillis: wall - 86_400_000), after = offset(atMillis: wall + 86_400_000)
        var best: Int64?
        for candidate in [before, offset(atMillis: wall), after] {
            let t = wall - Int64(candidate) * 1000
            if offset(atMillis: t) == candidate { best = min(best ?? t, t) }
        }
        return best ?? wall - Int64(before) * 1000
    }

    /// The first instant of `date` in this zone (later than midnight when midnight is skipped).
    public func startOfDay(_ date: CivilDate) -> Int64 { instant(LocalDateTime(date: date)) }

    public var description: String { identifier }

    public static func == (a: TimeZoneRules, b: TimeZoneRules) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }
}

private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
        if bytes.count > 1 << 20 { return nil }  // no zone file is this big
    }
    return bytes
}

/// The TZif format (RFC 8536).
enum TZif {
    struct Malformed: Error {}

    static func parse(_ bytes: [UInt8], identifier: String) throws(Malformed) -> TimeZoneRules {
        var reader = Reader(bytes: bytes)
        var header = try reader.header()
        var timeSize = 4
        if header.version >= 2 {
            // Skip the 32-bit block; the 64-bit one after the second header is authoritative.
            try reader.skip(header.dataLength(timeSize: 4))
            header = try reader.header()
            timeSize = 8
        }
        var transitions: [Int64] = []
        for _ in 0..<header.timeCount { transitions.append(try reader.signed(timeSize)) }
        var typeIndices: [Int] = []
        for _ in 0..<header.timeCount { typeIndices.append(Int(try reader.byte())) }
        var typeOffsets: [Int32] = []
        for _ in 0..<header.typeCount {
            typeOffsets.append(Int32(truncatingIfNeeded: try reader.signed(4)))
            try reader.skip(2)  // isdst, abbreviation index
        }
        guard !typeOffsets.isEmpty, typeIndices.allSatisfy({ $0 < typeOffsets.count }) else { throw Malformed() }
        try reader.skip(header.charCount + header.leapCount * (timeSize + 4) + header.standardCount + header.utCount)
        var rule: POSIXTimeZoneRule?
        if header.version >= 2, reader.remaining > 1, try reader.byte() == 0x0A {
            let footer = reader.rest.prefix { $0 != 0x0A }
            if !footer.isEmpty { rule = POSIXTimeZoneRule(String(decoding: footer, as: UTF8.self)) }
        }
        return TimeZoneRules(
            identifier: identifier, transitions: transitions, offsets: typeIndices.map { typeOffsets[$0] },
            initialOffset: Int(typeOffsets[0]), rule: rule)
    }

    struct Header {
        var version: Int
        var utCount, standardCount, leapCount, timeCount, typeCount, charCount: Int
        func dataLength(timeSize: Int) -> Int {
            timeCount * (timeSize + 1) + typeCount * 6 + charCount + leapCount * (timeSize + 4) + standardCount + utCount
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0
        var remaining: Int { bytes.count - index }
        var rest: ArraySlice<UInt8> { bytes[index...] }

        mutating func skip(_ n: Int) throws(Malformed) {
            guard n >= 0, n <= remaining else { throw Malformed() }
            index += n
        }

        mutating func byte() throws(Malformed) -> UInt8 {
            guard remaining >= 1 else { throw Malformed() }
            defer { index += 1 }
            return bytes[index]
        }

        /// A big-endian two's-complement integer of `size` bytes.
        mutating func signed(_ size: Int) throws(Malformed) -> Int64 {
            guard remaining >= size else { throw Malformed() }
            var value: UInt64 = 0
            for k in 0..<size { value = value << 8 | UInt64(bytes[index + k]) }
            index += size
            let shift = UInt64(64 - size * 8)
            return Int64(bitPattern: value << shift) >> Int64(shift)
        }

        mutating func header() throws(Malformed) -> Header {
            guard remaining >= 44, bytes[index..<index + 4].elementsEqual("TZif".utf8) else { throw Malformed() }
            let v = bytes[index + 4]
            let version = v == 0 ? 1 : Int(v) - 0x30
            try skip(20)
            var counts: [Int] = []
            for _ in 0..<6 {
                let c = try signed(4)
                guard c >= 0, c < 1 << 20 else { throw Malformed() }
                counts.append(Int(c))
            }
            return Header(
                version: version, utCount: counts[0], standardCount: counts[1], leapCount: counts[2],
                timeCount: counts[3], typeCount: counts[4], charCount: counts[5])
        }
    }
}
