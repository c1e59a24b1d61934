import FoundationEssentials
import TenantStorage
import TenantTime
import TextFormat

/// Conversions between stored UTC milliseconds and what people and scripts type, in the
/// provider's time zone (read from the system tz database by TenantTime).
enum TimeFormat {
    /// RFC 3339 in UTC with a `Z`, seconds precision (milliseconds when present).
    static func rfc3339(_ millis: EpochMillis) -> String { Timestamp.rfc3339(millis) }

    /// Parses an RFC 3339 timestamp (`Z` or an offset, optional fraction).
    static func parseRFC3339(_ text: String) -> EpochMillis? { Timestamp.parseRFC3339(text) }

    static func millis(_ date: Date) -> EpochMillis { EpochMillis((date.timeIntervalSince1970 * 1000).rounded()) }

    /// `yyyy-MM-dd` of the local day containing `millis`.
    static func day(_ millis: EpochMillis, in zone: TimeZoneRules) -> String { zone.local(millis).date.description }

    /// Start of the local day named `yyyy-MM-dd`, or nil when it is not a date.
    static func parseDay(_ text: String, in zone: TimeZoneRules) -> EpochMillis? {
        CivilDate(text).map(zone.startOfDay)
    }

    static func startOfDay(_ millis: EpochMillis, in zone: TimeZoneRules) -> EpochMillis {
        zone.startOfDay(zone.local(millis).date)
    }

    /// The same wall-clock time `days` days later; from the start of a day, the start of
    /// that other day (which need not be at midnight either).
    static func addDays(_ days: Int, to millis: EpochMillis, in zone: TimeZoneRules) -> EpochMillis {
        var local = zone.local(millis)
        let isDayStart = zone.startOfDay(local.date) == millis
        local.date = local.date.adding(days: days)
        return isDayStart ? zone.startOfDay(local.date) : zone.instant(local)
    }

    /// `hour`:00 on the local day containing `millis`.
    static func at(hour: Int, onDayOf millis: EpochMillis, in zone: TimeZoneRules) -> EpochMillis {
        zone.instant(LocalDateTime(date: zone.local(millis).date, hour: hour))
    }

    /// The local hour of the day, 0...23.
    static func hour(_ millis: EpochMillis, in zone: TimeZoneRules) -> Int { zone.local(millis).hour }

    /// `MM-dd` of the local day containing `millis`.
    static func monthDay(_ millis: EpochMillis, in zone: TimeZoneRules) -> String {
        let date = zone.local(millis).date
        return "\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    /// Whether the local day containing `millis` is a Monday.
    static func isMonday(_ millis: EpochMillis, in zone: TimeZoneRules) -> Bool { zone.local(millis).date.weekdayFromSunday == 1 }

    /// "2026-11-24 10:15" local.
    static func local(_ millis: EpochMillis, in zone: TimeZoneRules, seconds: Bool = false) -> String {
        let t = zone.local(millis)
        let base = "\(t.date) \(pad(t.hour, 2)):\(pad(t.minute, 2))"
        return seconds ? base + ":\(pad(t.second, 2))" : base
    }

    /// "2026-11-24 10:15 UTC+1": local time with its offset from UTC, so a time on a page
    /// never leaves the reader guessing its zone.
    static func stamp(_ millis: EpochMillis, in zone: TimeZoneRules, seconds: Bool = false) -> String {
        local(millis, in: zone, seconds: seconds) + " " + offsetName(millis, in: zone)
    }

    /// "UTC", "UTC+1", "UTC-3:30" at `millis`.
    static func offsetName(_ millis: EpochMillis, in zone: TimeZoneRules) -> String {
        let offset = zone.offset(atMillis: millis)
        guard offset != 0 else { return "UTC" }
        let minutes = abs(offset) / 60
        return "UTC" + (offset < 0 ? "-" : "+") + String(minutes / 60) + (minutes % 60 == 0 ? "" : ":" + pad(minutes % 60, 2))
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
