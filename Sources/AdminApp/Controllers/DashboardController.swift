import FoundationEssentials
import Hummingbird
import TenantMailer
import TenantStorage
import TenantTime

/// The daily overview: gateway states, current power, today's energy, what needs attention.
struct DashboardController {
    let services: AdminServices

    struct Summary: Sendable {
        var online = 0, offline = 0, unassigned = 0
        var currentPower = 0.0
        var todayEnergy = 0.0
        /// One row per gateway that needs attention, worst first.
        var attention: [Attention] = []
        var gatewayCount = 0
        var customerCount = 0
        var staffCount = 0
        var timeZoneID = "UTC"
        /// Where gateways connect (for the first-run checklist).
        var gatewayAddress: String?
        var failingMails: [OutboxMail] = []
        var pendingMails = 0
        /// Whether mails have somewhere to go (the provider's or the platform's server).
        var mailServerSet = true
        /// When `currentPower` and `todayEnergy` were computed (they may be a few seconds old), local.
        var figuresAt = ""
        /// Recorded by tenant-ingest: gateways refused or rate-limited in the last 7 days.
        var refused: [GatewayRefusal] = []
        var rateLimited: [GatewayRefusal] = []
        var knownGateways: Set<String> = []
        var zone = TimeZoneRules.utc
        var now: EpochMillis = 0
    }

    /// Why a gateway needs attention, worst first: 1 offline (red), 2 refused or producing
    /// little (amber), 3 not assigned (grey).
    struct Attention: Sendable {
        var gateway: String
        var severity: Int
        var reasons: [Reason]
        var lastSeen: EpochMillis

        /// Kept as facts: the page words (and dates) only the rows it shows, of maybe a thousand.
        enum Reason: Sendable, Equatable {
            case waitingForFirstReport, offline, disabled, noKeyWhileRequired, lowProductionToday, notAssigned

            var severity: Int {
                switch self {
                case .offline: 1
                case .disabled, .noKeyWhileRequired, .lowProductionToday: 2
                case .waitingForFirstReport, .notAssigned: 3
                }
            }
        }

        init(gateway: String, lastSeen: EpochMillis, reasons: [Reason]) {
            self.gateway = gateway
            self.lastSeen = lastSeen
            self.reasons = reasons
            self.severity = reasons.map(\.severity).min() ?? 4
        }

        static func sorted(_ rows: [Attention]) -> [Attention] {
            rows.sorted { ($0.severity, $0.lastSeen, $0.gateway) < ($1.severity, $1.lastSeen, $1.gateway) }
        }
    }

    /// Every gateway's latest total power (online ones) and today's energy: the costly part
    /// of the page, also what the gateways list sorts by.
    struct Figures: Sendable {
        var power: [String: Double] = [:]
        var energy: [String: Double] = [:]
        var currentPower: Double { power.values.reduce(0, +) }
        var todayEnergy: Double { energy.values.reduce(0, +) }
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/") { request, context in
            var summary = try await summarize()
            summary.gatewayAddress = services.gatewayAddress(requestHost: request.head.authority)
            let query = try request.query
            return Pages.page("Dashboard", context: context, active: "Dashboard", refresh: Pages.refreshSeconds(query),
                              Views.dashboard(summary, flash: Pages.flash(query)))
        }
    }

    struct FiguresKey: Hashable, Sendable {
        var zone: String
        var offlineThreshold: Int64
        var day: EpochMillis
    }

    static func figures(services: AdminServices, gateways: [GatewayInfo], now: EpochMillis, dayStart: EpochMillis, offlineThreshold: Int64) async throws -> Figures {
        let online = gateways.filter { now - $0.lastSeen <= offlineThreshold }
        // Two batched reads instead of a few queries per gateway, on two reader connections at once.
        async let latest = services.store.latestReadings(gateways: online.map(\.id), since: now - offlineThreshold)
        async let energy = services.store.energy(gateways: gateways.filter { $0.lastSeen >= dayStart }.map(\.id), from: dayStart, to: now + 3_600_000)
        return Figures(power: try await latest.mapValues { $0.reduce(0) { $0 + $1.power } }, energy: try await energy)
    }

    /// The figures as every request shares them: computed at most once per few seconds, by
    /// whichever request needs them first, and shown with the time they were computed at.
    static func sharedFigures(
        services: AdminServices, gateways: [GatewayInfo], settings: AdminSettings, now: EpochMillis
    ) async throws -> RefreshingValue<FiguresKey, Figures>.Stamped {
        let dayStart = TimeFormat.startOfDay(now, in: settings.timeZone)
        let key = FiguresKey(zone: settings.timeZone.identifier, offlineThreshold: settings.offlineThresholdMillis, day: dayStart)
        return try await services.dashboardFigures.get(key: key, now: now) { [services] in
            try await figures(services: services, gateways: gateways, now: now, dayStart: dayStart, offlineThreshold: settings.offlineThresholdMillis)
        }
    }

    func summarize() async throws -> Summary {
        let now = services.nowMillis
        let stored = try await services.store.settings()
        let settings = AdminSettings(stored: stored)
        let zone = settings.timeZone
        let dayStart = TimeFormat.startOfDay(now, in: zone)
        // On the two reader connections at once: each is a row per gateway.
        async let listedGateways = services.store.gateways()
        async let alertStates = services.store.alertStates()
        let (gateways, alerts) = try await (listedGateways, alertStates)
        let today = TimeFormat.day(now, in: zone)
        var summary = Summary()
        // Power and energy over all gateways cost two large reads; every request shares them
        // for a few seconds.
        let figures = try await Self.sharedFigures(services: services, gateways: gateways, settings: settings, now: now)
        summary.currentPower = figures.value.currentPower
        summary.todayEnergy = figures.value.todayEnergy
        summary.figuresAt = TimeFormat.stamp(figures.at, in: zone, seconds: true)
        for gateway in gateways {
            let isOnline = now - gateway.lastSeen <= settings.offlineThresholdMillis
            if isOnline { summary.online += 1 } else { summary.offline += 1 }
            var reasons: [Attention.Reason] = []
            // A gateway registered before its first contact is not offline: it never was online.
            if !gateway.hasReported {
                reasons.append(.waitingForFirstReport)
            } else if !isOnline {
                reasons.append(.offline)
            }
            if gateway.disabled { reasons.append(.disabled) }
            if settings.gatewayKeysRequired && !gateway.hasKey { reasons.append(.noKeyWhileRequired) }
            if alerts[gateway.id]?.lowProductionDay == today { reasons.append(.lowProductionToday) }
            if gateway.customerID == nil {
                summary.unassigned += 1
                reasons.append(.notAssigned)
            }
            if !reasons.isEmpty { summary.attention.append(Attention(gateway: gateway.id, lastSeen: gateway.lastSeen, reasons: reasons)) }
        }
        summary.attention = Attention.sorted(summary.attention)
        summary.gatewayCount = gateways.count
        summary.timeZoneID = zone.identifier
        if gateways.isEmpty {
            // Only for the first-run checklist: a provider without gateways is small.
            summary.customerCount = try await services.store.customers().count
            summary.staffCount = try await services.store.staffAccounts().count
        }
        let refusals = try await GatewayOperations(services: services).refusals()
        summary.refused = refusals.refused
        summary.rateLimited = refusals.limited
        summary.knownGateways = Set(gateways.map(\.id))
        summary.zone = zone
        summary.now = now
        summary.failingMails = try await services.store.failingMails(minAttempts: OutboxProcessor.failingAfterAttempts)
        summary.pendingMails = try await services.store.outboxCounts().pending
        summary.mailServerSet = MailServerSettings(stored: stored).configuration(fallback: services.configuration.smtp) != nil
        return summary
    }
}
