/// The POSIX `TZ` rule at the end of a TZif file (RFC 8536 §3.3): it gives the offsets for
/// instants after the file's last transition, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`.
struct POSIXTimeZoneRule: Sendable, Hashable {
    /// Standard time, seconds east of UTC (POSIX writes them west, so signs are flipped).
    var standardOffset: Int
    var daylight: Daylight?

    struct Daylight: Sendable, Hashable {
        var offset: Int
        var start: DayRule
        /// Seconds after local midnight (standard time) when daylight time starts.
        var startTime: Int
        var end: DayRule
        /// Seconds after local midnight (daylight time) when it ends.
        var endTime: Int
    }

    enum DayRule: Sendable, Hashable {
        /// `Jn`: day 1...365, February 29 never counted.
        case julianNoLeap(Int)
        /// `n`: day 0...365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)

        func date(in year: Int) -> CivilDate {
            switch self {
            case .julianNoLeap(let n):
                var days = n - 1
                if CivilDate.isLeap(year) && n >= 60 { days += 1 }
                return CivilDate(year: year, month: 1, day: 1).adding(days: days)
            case .zeroBased(let n):
                return CivilDate(year: year, month: 1, day: 1).adding(days: n)
            case .monthWeekDay(let month, let week, let weekday):
                let first = CivilDate(year: year, month: month, day: 1)
                var day = 1 + (weekday - first.weekdayFromSunday + 7) % 7 + (week - 1) * 7
                while day > CivilDate.daysIn(month: month, year: year) { day -= 7 }
                return CivilDate(year: year, month: month, day: day)
            }
        }
    }

    /// Seconds east of UTC at `seconds` after the epoch.
    func offset(atSeconds t: Int64) -> Int {
        guard let dst = daylight else { return standardOffset }
        let year = CivilDate(daysSinceEpoch: Int(floorDiv(t + Int64(standardOffset), 86_400))).year
        let start = Int64(dst.start.date(in: year).daysSinceEpoch) * 86_400 + Int64(dst.startTime - standardOffset)
        let end = Int64(dst.end.date(in: year).daysSinceEpoch) * 86_400 + Int64(dst.endTime - dst.offset)
        let inDaylight = start < end ? (t >= start && t < end) : !(t >= end && t < start)
        return inDaylight ? dst.offset : standardOffset
    }

    /// Parses a POSIX TZ string; nil if it is malformed (or empty: no rule).
    init?(_ text: String) {
        var p = Parser(Array(text.utf8))
        guard p.skipName(), let std = p.offset() else { return nil }
        standardOffset = -std
        if p.atEnd {
            daylight = nil
            return
        }
        guard p.skipName() else { return nil }
        var dstOffset = standardOffset + 3600
        if !p.atEnd && p.peek != UInt8(ascii: ",") {
            guard let o = p.offset() else { return nil }
            dstOffset = -o
        }
        guard p.eat(","), let start = p.dayRule() else { return nil }
        let startTime = p.eat("/") ? p.offset() : 7200
        guard let startTime, p.eat(","), let end = p.dayRule() else { return nil }
        let endTime = p.eat("/") ? p.offset() : 7200
        guard let endTime, p.atEnd else { return nil }
        daylight = Daylight(offset: dstOffset, start: start, startTime: startTime, end: end, endTime: endTime)
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[i] }

        mutating func eat(_ c: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }

        /// A zone abbreviation: three or more letters, or anything between `<` and `>`.
        mutating func skipName() -> Bool {
            if eat("<") {
                while let c = peek, c != UInt8(ascii: ">") { i += 1 }
                return eat(">")
            }
            let start = i
            while let c = peek, (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") { i += 1 }
            return i - start >= 3
        }

        mutating func number() -> Int? {
            let start = i
            var value = 0
            while let c = peek, c >= 0x30 && c <= 0x39, i - start < 4 {
                value = value * 10 + Int(c - 0x30)
                i += 1
            }
            return i > start ? value : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds (hours up to 167, RFC 8536's extension).
        mutating func offset() -> Int? {
            let sign = eat("-") ? -1 : (eat("+") ? 1 : 1)
            guard let h = number(), h <= 167 else { return nil }
            var seconds = h * 3600
            if eat(":") {
                guard let m = number(), m < 60 else { return nil }
                seconds += m * 60
                if eat(":") {
                    guard let s = number(), s < 60 else { return nil }
                    seconds += s
                }
            }
            return sign * seconds
        }

        mutating func dayRule() -> DayRule? {
            if eat("J") {
                guard let n = number(), (1...365).contains(n) else { return nil }
                return .julianNoLeap(n)
            }
            if eat("M") {
                guard let m = number(), (1...12).contains(m), eat("."), let w = number(), (1...5).contains(w),
                    eat("."), let d = number(), d <= 6
                else { return nil }
                return .monthWeekDay(month: m, week: w, weekday: d)
            }
            guard let n = number(), n <= 365 else { return nil }
            return .zeroBased(n)
        }
    }
}
