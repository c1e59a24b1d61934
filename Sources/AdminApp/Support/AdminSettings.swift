import FoundationEssentials
import TenantTime

/// The provider's customizations, stored as strings in the settings table (shared with
/// the ingest server, which reads `gateway_keys_required`).
public struct AdminSettings: Sendable, Hashable {
    /// Settings table keys.
    public enum Key {
        public static let offlineThresholdMinutes = "offline_threshold_minutes"
        public static let lowProductionPercent = "low_production_percent"
        public static let reportFrequency = "report_frequency"
        public static let reportHour = "report_hour"
        public static let timeZone = "time_zone"
        public static let gatewayKeysRequired = "gateway_keys_required"
        public static let alertRecipients = "alert_recipients"
    }

    /// When reports are mailed.
    public enum ReportFrequency: String, Sendable, CaseIterable {
        case off, daily, weekly
    }

    /// A gateway with no report for this long is offline.
    public var offlineThresholdMinutes = 15
    /// Alert when a daylight hour yields less than this share of the gateway's recent
    /// clear-day output for that hour; 0 disables the alert.
    public var lowProductionPercent = 30
    public var reportFrequency = ReportFrequency.off
    /// Local hour (0-23) at which reports go out; weekly reports go out on Mondays.
    public var reportHour = 7
    /// The zone for days in reports, charts and schedules.
    public var timeZoneID = "UTC"
    public var gatewayKeysRequired = false
    /// Staff addresses that receive every alert, besides the customer's recipients.
    public var alertRecipients: [String] = []

    public init() {}

    public var timeZone: TimeZoneRules { TimeZoneRules.named(timeZoneID) ?? .utc }
    public var offlineThresholdMillis: Int64 { Int64(offlineThresholdMinutes) * 60_000 }

    /// Reads stored values, keeping defaults for missing or unreadable ones.
    public init(stored: [String: String]) {
        if let v = stored[Key.offlineThresholdMinutes].flatMap(Int.init), (1...10_080).contains(v) { offlineThresholdMinutes = v }
        if let v = stored[Key.lowProductionPercent].flatMap(Int.init), (0...100).contains(v) { lowProductionPercent = v }
        if let v = stored[Key.reportFrequency].flatMap(ReportFrequency.init(rawValue:)) { reportFrequency = v }
        if let v = stored[Key.reportHour].flatMap(Int.init), (0...23).contains(v) { reportHour = v }
        if let v = stored[Key.timeZone], TimeZoneRules.named(v) != nil { timeZoneID = v }
        gatewayKeysRequired = stored[Key.gatewayKeysRequired] == "true"
        alertRecipients = Self.addresses(stored[Key.alertRecipients] ?? "")
    }

    /// The values to store.
    public var stored: [String: String] {
        [
            Key.offlineThresholdMinutes: String(offlineThresholdMinutes),
            Key.lowProductionPercent: String(lowProductionPercent),
            Key.reportFrequency: reportFrequency.rawValue,
            Key.reportHour: String(reportHour),
            Key.timeZone: timeZoneID,
            Key.gatewayKeysRequired: gatewayKeysRequired ? "true" : "false",
            Key.alertRecipients: alertRecipients.joined(separator: ","),
        ]
    }

    /// Validates a settings form; the error names the field.
    public init(form: FormData) throws(AdminError) {
        guard let threshold = form.text("offline_threshold_minutes").flatMap(Int.init), (1...10_080).contains(threshold) else {
            throw .badRequest("offline threshold must be a whole number of minutes from 1 to 10080", field: "offline_threshold_minutes")
        }
        guard let percent = form.text("low_production_percent").flatMap(Int.init), (0...100).contains(percent) else {
            throw .badRequest("low-production alert must be a percentage from 0 to 100", field: "low_production_percent")
        }
        guard let frequency = form.text("report_frequency").flatMap(ReportFrequency.init(rawValue:)) else {
            throw .badRequest("report schedule must be off, daily or weekly", field: "report_frequency")
        }
        guard let hour = form.text("report_hour").flatMap(Int.init), (0...23).contains(hour) else {
            throw .badRequest("report hour must be from 0 to 23", field: "report_hour")
        }
        let zone = form.text("time_zone") ?? "UTC"
        guard TimeZoneRules.named(zone) != nil else { throw .badRequest("unknown time zone '\(zone)' (use an IANA name such as Europe/Berlin)", field: "time_zone") }
        let recipients = Self.addresses(form["alert_recipients"] ?? "")
        if let bad = recipients.first(where: { !Self.isAddress($0) }) { throw .badRequest("'\(bad)' is not a mail address", field: "alert_recipients") }
        offlineThresholdMinutes = threshold
        lowProductionPercent = percent
        reportFrequency = frequency
        reportHour = hour
        timeZoneID = zone
        gatewayKeysRequired = form["gateway_keys_required"] == "true"
        alertRecipients = recipients
    }

    /// Splits a comma/space/newline separated list of addresses.
    static func addresses(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" || $0 == ";" }).map(String.init)
    }

    /// A deliberately plain check: something@something.tld without spaces, brackets or line breaks.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), text.count <= 254 else { return false }
        return !text.contains(where: { $0.isWhitespace || "<>,;\"()[]\\".contains($0) })
    }
}
