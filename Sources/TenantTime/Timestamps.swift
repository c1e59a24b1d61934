import TextFormat

/// Text forms of instants that other programs read: RFC 3339 (APIs, CSV, gateways) and
/// RFC 5322 (mail `Date:` headers). Instants are milliseconds since the Unix epoch, UTC.
public enum Timestamp {
    /// RFC 3339 in UTC with a `Z`: `2026-11-25T10:15:00Z`, with `.SSS` when the
    /// milliseconds are not zero.
    public static func rfc3339(_ millis: Int64) -> String {
        let t = LocalDateTime(wallMillis: millis)
        let base = "\(t.date)T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
        return t.millisecond == 0 ? base + "Z" : base + ".\(pad(t.millisecond, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; fractions beyond milliseconds are
    /// truncated. Nil if it is not a valid timestamp.
    public static func parseRFC3339(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseRFC3339(UnsafeRawBufferPointer($0)) }
    }

    /// The same over raw bytes, for the gateway protocol's hot path.
    public static func parseRFC3339(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        guard n >= 20, n <= 64 else { return nil }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for k in at..<(at + count) {
                guard k < n, isDigit(b[k]) else { return nil }
                v = v * 10 + Int(b[k] &- 0x30)
            }
            return v
        }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard let year = digits(0, 4), b[4] == dash, let month = digits(5, 2), b[7] == dash,
            let day = digits(8, 2), b[10] | 0x20 == UInt8(ascii: "t"),
            let hour = digits(11, 2), b[13] == colon, let minute = digits(14, 2),
            b[16] == colon, let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            var fractionDigits = 0
            while i < n, isDigit(b[i]) {
                if fractionDigits < 3 { millis = millis * 10 + Int(b[i] &- 0x30) }
                fractionDigits += 1
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
            while fractionDigits < 3 {
                millis *= 10
                fractionDigits += 1
            }
        }
        guard i < n else { return nil }
        var offsetMinutes = 0
        if b[i] | 0x20 == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == dash {
            let sign = b[i] == dash ? -1 : 1
            guard i + 6 == n, let oh = digits(i + 1, 2), b[i + 3] == colon, let om = digits(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 5322 date-time in UTC: `Wed, 25 Nov 2026 10:15:00 +0000`.
    public static func rfc5322(_ millis: Int64) -> String {
        dayAndTime(millis) + " +0000"
    }

    /// An HTTP `Date` (RFC 9110 IMF-fixdate): `Wed, 25 Nov 2026 10:15:00 GMT`.
    public static func httpDate(_ millis: Int64) -> String {
        dayAndTime(millis) + " GMT"
    }

    private static func dayAndTime(_ millis: Int64) -> String {
        let t = LocalDateTime(wallMillis: millis)
        return "\(weekdays[t.date.weekdayFromSunday]), \(pad(t.date.day, 2)) \(months[t.date.month - 1]) \(pad(t.date.year, 4)) "
            + "\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
    }
}
