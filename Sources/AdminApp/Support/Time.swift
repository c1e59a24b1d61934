import Foundation
import TenantStorage

/// Conversions between stored UTC milliseconds and what people and scripts type.
enum TimeFormat {
    /// RFC 3339 in UTC with a `Z`, seconds precision (milliseconds when present).
    static func rfc3339(_ millis: EpochMillis) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = millis % 1000 == 0 ? [.withInternetDateTime] : [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date(millis))
    }

    /// Parses an RFC 3339 timestamp (`Z` or an offset, optional fraction).
    static func parseRFC3339(_ text: String) -> EpochMillis? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return millis(date) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map(millis)
    }

    /// The zone's name for people; Foundation on Linux names UTC "GMT".
    static func zoneName(_ zone: TimeZone) -> String { zone.identifier == "GMT" ? "UTC" : zone.identifier }

    static func date(_ millis: EpochMillis) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
    static func millis(_ date: Date) -> EpochMillis { EpochMillis((date.timeIntervalSince1970 * 1000).rounded()) }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// `yyyy-MM-dd` of the local day containing `millis`.
    static func day(_ millis: EpochMillis, in zone: TimeZone) -> String {
        let c = calendar(zone).dateComponents([.year, .month, .day], from: date(millis))
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// Start of the local day named `yyyy-MM-dd`, or nil when it is not a date.
    static func parseDay(_ text: String, in zone: TimeZone) -> EpochMillis? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let cal = calendar(zone)
        guard let date = cal.date(from: DateComponents(year: y, month: m, day: d)),
            cal.component(.day, from: date) == d
        else { return nil }
        return millis(date)
    }

    static func startOfDay(_ millis: EpochMillis, in zone: TimeZone) -> EpochMillis {
        self.millis(calendar(zone).startOfDay(for: date(millis)))
    }

    static func addDays(_ days: Int, to millis: EpochMillis, in zone: TimeZone) -> EpochMillis {
        self.millis(calendar(zone).date(byAdding: .day, value: days, to: date(millis)) ?? date(millis))
    }

    /// "2026-11-24 10:15" local.
    static func local(_ millis: EpochMillis, in zone: TimeZone, seconds: Bool = false) -> String {
        let c = calendar(zone).dateComponents([.year, .month, .day, .hour, .minute, .second], from: date(millis))
        let base = String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
        return seconds ? base + String(format: ":%02d", c.second ?? 0) : base
    }

    /// "3 min ago", "2 h ago", "5 d ago".
    static func ago(_ millis: EpochMillis, now: EpochMillis) -> String {
        let seconds = max(0, (now - millis) / 1000)
        if seconds < 90 { return "\(seconds) s ago" }
        if seconds < 90 * 60 { return "\(seconds / 60) min ago" }
        if seconds < 36 * 3600 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86400) d ago"
    }
}
