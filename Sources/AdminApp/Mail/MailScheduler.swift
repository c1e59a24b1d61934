import EventLoopExecution
import FoundationEssentials
import Logging
import ServiceLifecycle
import Synchronization
import TenantStorage
import TenantAuth
import TextFormat

/// Queues scheduled power-status reports and alerts into the outbox. Every mail has a
/// dedupe key derived from what it is about (customer and period, gateway and event), so
/// running this again, after a restart or on another tick, never queues a mail twice.
struct MailScheduler: Service {
    let services: AdminServices
    let interval: Duration
    /// The last full hour whose production each gateway was judged on: that judgement only
    /// changes when another hour completes, so each pass does not read 14 days of hours of
    /// every gateway again (with 1,000 gateways that pass made dashboard latency spike).
    let judgedHours = JudgedHours()

    func run() async throws {
        // Sleeping between passes must not hold up shutdown: SIGTERM cancels the wait.
        try await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if try await tick(now: services.nowMillis) > 0 { services.outboxDoorbell.ring() }
            } catch {
                services.logger.warning("mail scheduling failed", metadata: ["error": "\(error)"])
            }
            try? await EventLoopClock().sleep(for: interval)
        }
    }

    /// One pass: reports due by `now`, then alerts. Returns how many mails were queued.
    @discardableResult
    func tick(now: EpochMillis) async throws -> Int {
        let settings = try await services.settings()
        return try await queueReports(now: now, settings: settings) + queueAlerts(now: now, settings: settings)
    }

    /// The latest scheduled send time at or before `now` and the period it reports on.
    static func lastSchedule(now: EpochMillis, settings: AdminSettings) -> (sendAt: EpochMillis, from: EpochMillis, to: EpochMillis)? {
        let zone = settings.timeZone
        var day = TimeFormat.startOfDay(now, in: zone)
        for _ in 0..<8 {
            let sendAt = TimeFormat.at(hour: settings.reportHour, onDayOf: day, in: zone)
            switch settings.reportFrequency {
            case .off: return nil
            case .daily where sendAt <= now:
                return (sendAt, TimeFormat.addDays(-1, to: day, in: zone), day)
            case .weekly where sendAt <= now && TimeFormat.isMonday(day, in: zone):
                return (sendAt, TimeFormat.addDays(-7, to: day, in: zone), day)
            default: break
            }
            day = TimeFormat.addDays(-1, to: day, in: zone)
        }
        return nil
    }

    func queueReports(now: EpochMillis, settings: AdminSettings) async throws -> Int {
        guard let schedule = Self.lastSchedule(now: now, settings: settings) else { return 0 }
        let zone = settings.timeZone
        let gateways = try await services.store.gateways()
        var queued = 0
        // A customer without gateways has nothing to report: no mail of empty tables.
        for customer in try await services.store.customers()
        where !customer.recipients.isEmpty && gateways.contains(where: { $0.customerID == customer.id }) {
            let key = "report:\(customer.id):\(settings.reportFrequency.rawValue):\(TimeFormat.day(schedule.from, in: zone))"
            var lines: [MailComposer.ReportLine] = []
            for gateway in gateways where gateway.customerID == customer.id {
                let days = try await services.reports.daily(gateway: gateway.id, from: schedule.from, to: schedule.to, zone: zone)
                let total = ReportService.total(days)
                lines.append(.init(gateway: gateway.id, site: gateway.site, energy: total.energy, peak: total.peak,
                                   offline: now - gateway.lastSeen > settings.offlineThresholdMillis, lastSeen: gateway.lastSeen))
            }
            let mail = MailComposer.report(customer: customer, lines: lines, from: schedule.from, to: schedule.to, zone: zone, frequency: settings.reportFrequency)
            if try await services.store.enqueue(OutboxMail(dedupeKey: key, recipients: customer.recipients, subject: mail.subject, textBody: mail.text, htmlBody: mail.html, createdAt: now)) {
                queued += 1
                services.logger.info("report mail queued", metadata: ["customer.id": "\(customer.id)", "period": "\(TimeFormat.day(schedule.from, in: zone))"])
            }
        }
        return queued
    }

    /// One alert about one gateway, before it is grouped.
    struct AlertEvent: Sendable {
        var kind: MailComposer.AlertKind
        var gateway: GatewayInfo
        var detail: String?
        /// What makes this event itself: the last report (offline/online) or the day (low production).
        var instance: String
    }

    /// Alerts of one pass, one mail per customer (or per "no customer") and kind, so six
    /// gateways of a site going offline together send one mail, not six. Mails are queued
    /// before the gateways' alert states are written: a crash in between finds the same
    /// events again next pass, and the same dedupe keys queue nothing twice. The same
    /// findings open and clear alarms (``AlarmMonitor``).
    func queueAlerts(now: EpochMillis, settings: AdminSettings) async throws -> Int {
        let states = try await services.store.alertStates()
        let customers = Dictionary(try await services.store.customers().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let zone = settings.timeZone
        let today = TimeFormat.day(now, in: zone)
        var events: [AlertEvent] = []
        var changedStates: [GatewayAlertState] = []
        var findings: [AlarmMonitor.Finding] = []
        // A gateway registered before its first contact is not offline: it never was online.
        for gateway in try await services.store.gateways() where gateway.hasReported {
            let offline = now - gateway.lastSeen > settings.offlineThresholdMillis
            var state = states[gateway.id] ?? GatewayAlertState(gateway: gateway.id, offline: offline, lowProductionDay: nil)
            let known = states[gateway.id] != nil
            if known && state.offline != offline {
                let kind: MailComposer.AlertKind = offline ? .offline : .online
                events.append(AlertEvent(kind: kind, gateway: gateway, detail: nil, instance: String(gateway.lastSeen)))
                services.logger.info("gateway \(kind.rawValue)", metadata: ["gateway": "\(gateway.id)"])
            }
            state.offline = offline
            var finding = AlarmMonitor.Finding(gateway: gateway, offline: offline)
            if !offline, settings.lowProductionPercent > 0, state.lowProductionDay != today, judgedHours.isNew(gateway.id, Self.lastFullHour(now)),
                let detail = try await judgeProduction(gateway: gateway.id, now: now, percent: settings.lowProductionPercent) {
                state.lowProductionDay = today
                events.append(AlertEvent(kind: .lowProduction, gateway: gateway, detail: detail, instance: today))
                finding.lowProduction = detail
                services.logger.info("gateway low production", metadata: ["gateway": "\(gateway.id)"])
            }
            findings.append(finding)
            if !known || state != states[gateway.id] { changedStates.append(state) }
        }
        var queued = 0
        let groups = Dictionary(grouping: events) { GroupKey(customer: $0.gateway.customerID, kind: $0.kind) }
        for key in groups.keys.sorted(by: { ($0.customer ?? -1, $0.kind.rawValue) < ($1.customer ?? -1, $1.kind.rawValue) }) {
            let group = groups[key]!.sorted { $0.gateway.id < $1.gateway.id }
            let customer = key.customer.flatMap { customers[$0] }
            let recipients = Array(Set((customer?.recipients ?? []) + settings.alertRecipients)).sorted()
            guard !recipients.isEmpty else { continue }
            let mail = MailComposer.alerts(key.kind, events: group.map { ($0.gateway, $0.detail) }, customer: customer, zone: zone)
            if try await services.store.enqueue(OutboxMail(
                dedupeKey: Self.alertKey(key.kind, group), recipients: recipients, subject: mail.subject, textBody: mail.text, htmlBody: mail.html, createdAt: now)) {
                queued += 1
            }
        }
        // Alarms before the states too: a pass that fails here finds the low-production
        // event again next time (the mail's dedupe key keeps it from being sent twice).
        try await AlarmMonitor(store: services.store, logger: services.logger).reconcile(findings, now: now, zone: zone)
        for state in changedStates { try await services.store.setAlertState(state) }
        return queued
    }

    struct GroupKey: Hashable, Sendable {
        var customer: Int64?
        var kind: MailComposer.AlertKind
    }

    /// `alert:KIND:GATEWAY:INSTANCE` for one gateway (as before grouping); for several,
    /// `alert:KIND:group:` and a digest of every gateway and instance, so the same set of
    /// events always gets the same key.
    static func alertKey(_ kind: MailComposer.AlertKind, _ group: [AlertEvent]) -> String {
        let prefix = kind == .lowProduction ? "low" : kind.rawValue
        if group.count == 1 { return "alert:\(prefix):\(group[0].gateway.id):\(group[0].instance)" }
        let names = group.map { "\($0.gateway.id)@\($0.instance)" }.sorted().joined(separator: ",")
        return "alert:\(prefix):group:\(SHA256.hex(names))"
    }

    /// ``lowProduction(gateway:now:percent:)``, remembered as judged for that hour once it answered.
    private func judgeProduction(gateway: String, now: EpochMillis, percent: Int) async throws -> String? {
        let detail = try await lowProduction(gateway: gateway, now: now, percent: percent)
        judgedHours.mark(gateway, Self.lastFullHour(now))
        return detail
    }

    static func lastFullHour(_ now: EpochMillis) -> EpochMillis { (now / 3_600_000 - 1) * 3_600_000 }

    /// Whether the last full hour's mean power fell below `percent` % of the best mean for
    /// the same hour over the previous 14 days (a clear day's output). Only daylight hours
    /// count: the reference must be at least a tenth of the gateway's best hour overall.
    func lowProduction(gateway: String, now: EpochMillis, percent: Int) async throws -> String? {
        let hour: EpochMillis = 3_600_000
        let last = Self.lastFullHour(now)
        let buckets = try await services.store.hourly(gateway: gateway, from: last - 14 * 24 * hour, to: last + hour)
        guard let current = buckets.last, current.hour == last, current.samples > 0 else { return nil }
        let sameHour = buckets.filter { $0.hour != last && ($0.hour - last) % (24 * hour) == 0 }
        guard let reference = sameHour.map(\.meanPower).max(), reference > 0 else { return nil }
        let best = buckets.map(\.meanPower).max() ?? 0
        guard reference >= best / 10 else { return nil }
        guard current.meanPower < reference * Double(percent) / 100 else { return nil }
        return "mean power \(fixed(current.meanPower, 0)) W in the last hour, \(fixed(current.meanPower / reference * 100, 0))% of \(fixed(reference, 0)) W on a recent clear day"
    }
}

/// Per gateway, the last hour the low-production check judged (in memory: after a restart
/// each gateway is judged once more, which is harmless: its mail has a dedupe key).
final class JudgedHours: Sendable {
    private let hours = Mutex<[String: EpochMillis]>([:])

    func isNew(_ gateway: String, _ hour: EpochMillis) -> Bool { hours.withLock { $0[gateway] != hour } }
    func mark(_ gateway: String, _ hour: EpochMillis) { hours.withLock { $0[gateway] = hour } }
}
