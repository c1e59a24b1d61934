import Logging
import TenantStorage
import TenantTime

/// Keeps the alarms in step with what the alert pass found (it runs inside
/// ``MailScheduler/queueAlerts(now:settings:)``, on the same findings as the mails).
///
/// The rules, each idempotent, so a second pass over the same findings changes nothing:
/// - offline: an offline gateway has one open (or acknowledged) critical alarm; it clears
///   on the first pass that finds the gateway reporting again. The alarm follows the
///   condition, not the mail's transition, so a gateway already offline when alarms first
///   run gets one too.
/// - low production: the pass that queues a low-production mail opens a warning alarm; it
///   clears on the first pass of a later local day (the check runs once a day per
///   gateway, so "normal again" is only known the next day: a new low day opens a new
///   alarm).
/// - an active alarm of a gateway the pass no longer watches (deleted, or registered
///   again and waiting for its first report) clears.
struct AlarmMonitor: Sendable {
    /// What the alert pass found about one gateway that has reported.
    struct Finding: Sendable {
        var gateway: GatewayInfo
        var offline: Bool
        /// The low-production event's detail when this pass found one.
        var lowProduction: String?
    }

    let store: any AlarmStore
    let logger: Logger

    /// Opens and clears alarms so that they match `findings`; returns how many changed.
    @discardableResult
    func reconcile(_ findings: [Finding], now: EpochMillis, zone: TimeZoneRules) async throws -> Int {
        var active: [Key: Alarm] = [:]
        for alarm in try await store.activeAlarms() { active[Key(gateway: alarm.gateway, kind: alarm.kind)] = alarm }
        var changes = 0
        func clear(_ alarm: Alarm, _ note: String) async throws {
            if try await store.clearAlarm(id: alarm.id, note: note, at: now) {
                changes += 1
                active[Key(gateway: alarm.gateway, kind: alarm.kind)] = nil
                logger.info("alarm cleared", metadata: ["alarm.id": "\(alarm.id)", "gateway": "\(alarm.gateway)", "alarm.kind": "\(alarm.kind.rawValue)"])
            }
        }
        func raise(_ gateway: GatewayInfo, _ kind: AlarmKind, _ detail: String) async throws {
            guard active[Key(gateway: gateway.id, kind: kind)] == nil else { return }
            if let alarm = try await store.openAlarm(gateway: gateway.id, customerID: gateway.customerID, kind: kind, detail: detail, at: now) {
                changes += 1
                logger.info("alarm opened", metadata: ["alarm.id": "\(alarm.id)", "gateway": "\(gateway.id)", "alarm.kind": "\(kind.rawValue)"])
            }
        }

        let today = TimeFormat.day(now, in: zone)
        let watched = Set(findings.map(\.gateway.id))
        for alarm in Array(active.values).sorted(by: Alarm.listedBefore) {
            if !watched.contains(alarm.gateway) {
                try await clear(alarm, "the gateway is no longer monitored (deleted, or waiting for its first report)")
            } else if alarm.kind == .lowProduction && TimeFormat.day(alarm.openedAt, in: zone) != today {
                try await clear(alarm, "a new day began (\(today)); low production is judged again today")
            }
        }
        for finding in findings {
            let g = finding.gateway
            if finding.offline {
                try await raise(g, .offline, "no report since \(TimeFormat.stamp(g.lastSeen, in: zone))")
            } else if let alarm = active[Key(gateway: g.id, kind: .offline)] {
                try await clear(alarm, "reporting again (last report \(TimeFormat.stamp(g.lastSeen, in: zone)))")
            }
            if let detail = finding.lowProduction { try await raise(g, .lowProduction, detail) }
        }
        return changes
    }

    private struct Key: Hashable {
        var gateway: String
        var kind: AlarmKind
    }
}
