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
        var attention: [(gateway: String, reason: String)] = []
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

    /// The figures summed over every gateway's readings: the costly part of the page.
    struct Figures: Sendable {
        var currentPower = 0.0
        var todayEnergy = 0.0
    }

    func register(on router: some RouterMethods<AdminRequestContext>) {
        router.get("/") { request, context in
            let summary = try await summarize()
            return Pages.page("Dashboard", context: context, active: "Dashboard", Views.dashboard(summary, flash: Pages.flash(try request.query)))
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
        return Figures(
            currentPower: try await latest.values.joined().reduce(0) { $0 + $1.power },
            todayEnergy: try await energy.values.reduce(0, +))
    }

    func summarize() async throws -> Summary {
        let now = services.nowMillis
        let stored = try await services.store.settings()
        let settings = AdminSettings(stored: stored)
        let zone = settings.timeZone
        let dayStart = TimeFormat.startOfDay(now, in: zone)
        let gateways = try await services.store.gateways()
        let alerts = try await services.store.alertStates()
        let today = TimeFormat.day(now, in: zone)
        var summary = Summary()
        // Power and energy over all gateways cost a few hundred small queries with a few
        // hundred gateways; they are shared by every request for a few seconds.
        let key = FiguresKey(zone: zone.identifier, offlineThreshold: settings.offlineThresholdMillis, day: dayStart)
        let figures = try await services.dashboardFigures.get(key: key, now: now) { [services] in
            try await Self.figures(services: services, gateways: gateways, now: now, dayStart: dayStart, offlineThreshold: settings.offlineThresholdMillis)
        }
        summary.currentPower = figures.value.currentPower
        summary.todayEnergy = figures.value.todayEnergy
        summary.figuresAt = TimeFormat.local(figures.at, in: zone, seconds: true)
        for gateway in gateways {
            let isOnline = now - gateway.lastSeen <= settings.offlineThresholdMillis
            if isOnline { summary.online += 1 } else { summary.offline += 1 }
            if gateway.customerID == nil {
                summary.unassigned += 1
                summary.attention.append((gateway.id, "not assigned to a customer"))
            }
            if !gateway.hasReported {
                summary.attention.append((gateway.id, "registered, waiting for its first report"))
            } else if !isOnline {
                summary.attention.append((gateway.id, "offline, last seen \(TimeFormat.ago(gateway.lastSeen, now: now))"))
            }
            if gateway.disabled { summary.attention.append((gateway.id, "disabled: its reports are refused")) }
            if settings.gatewayKeysRequired && !gateway.hasKey { summary.attention.append((gateway.id, "no gateway key while keys are required")) }
            if alerts[gateway.id]?.lowProductionDay == today { summary.attention.append((gateway.id, "low production today")) }
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
