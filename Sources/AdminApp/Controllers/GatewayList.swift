import FoundationEssentials
import TenantStorage
import TenantTime

/// The gateways list: search, filter by state, sort, paging, and each listed gateway's
/// latest power and today's energy (read for the rows shown; sorting by them uses the
/// dashboard's shared figures).
struct GatewayList: Sendable {
    enum State: String, CaseIterable, Sendable { case all, online, offline, unassigned }
    enum Sort: String, CaseIterable, Sendable {
        case gateway, customer, state, power, energy, lastSeen = "last_seen"
        var label: String {
            switch self {
            case .gateway: "Gateway"
            case .customer: "Customer"
            case .state: "State"
            case .power: "Power"
            case .energy: "Energy today"
            case .lastSeen: "Last seen"
            }
        }
    }

    struct Query: Sendable {
        var search = ""
        var state = State.all
        var sort = Sort.gateway
        var descending = false
        var page = 1

        static let pageSize = 50

        init() {}

        /// Reads `q`, `state`, `sort`, `order`, `page`; a bad value is an input problem.
        init(_ form: FormData) throws(AdminError) {
            search = String((form.text("q") ?? "").prefix(100))
            if let text = form.text("state") {
                guard let value = State(rawValue: text) else { throw .badRequest("state must be all, online, offline or unassigned", field: "state") }
                state = value
            }
            if let text = form.text("sort") {
                guard let value = Sort(rawValue: text) else { throw .badRequest("sort must be one of \(Sort.allCases.map(\.rawValue).joined(separator: ", "))", field: "sort") }
                sort = value
            }
            if let text = form.text("order") {
                guard text == "asc" || text == "desc" else { throw .badRequest("order must be asc or desc", field: "order") }
                descending = text == "desc"
            }
            if let text = form.text("page") {
                guard let value = Int(text), value >= 1, value <= 100_000 else { throw .badRequest("page must be a number from 1", field: "page") }
                page = value
            }
        }

        /// This query's URL with some parameters changed (page 1 unless given).
        func link(sort: Sort? = nil, descending: Bool? = nil, page: Int = 1) -> String {
            var parts: [String] = []
            if !search.isEmpty { parts.append("q=" + search.percentEncoded) }
            if state != .all { parts.append("state=" + state.rawValue) }
            parts.append("sort=" + (sort ?? self.sort).rawValue)
            if descending ?? self.descending { parts.append("order=desc") }
            if page > 1 { parts.append("page=\(page)") }
            return "/gateways?" + parts.joined(separator: "&")
        }
    }

    struct Row: Sendable {
        var gateway: GatewayInfo
        var customer: String?
        var online: Bool
        var power: Double?
        var energy: Double?
    }

    struct Result: Sendable {
        var rows: [Row]
        var matching: Int
        var total: Int
        var pages: Int
        /// When sorted by power or energy: the time the shared figures shown were computed.
        var figuresAt: EpochMillis?
    }

    let services: AdminServices

    func list(_ query: Query, settings: AdminSettings) async throws -> Result {
        let now = services.nowMillis
        let threshold = settings.offlineThresholdMillis
        let gateways = try await services.store.gateways()
        let names = Dictionary(try await services.store.customers().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let needle = query.search.lowercased()
        var rows = gateways.compactMap { g -> Row? in
            let online = now - g.lastSeen <= threshold
            switch query.state {
            case .all: break
            case .online: guard online else { return nil }
            case .offline: guard !online else { return nil }
            case .unassigned: guard g.customerID == nil else { return nil }
            }
            let customer = g.customerID.flatMap { names[$0] }
            if !needle.isEmpty {
                let haystack = [g.id, g.site ?? "", customer ?? ""].joined(separator: "\n").lowercased()
                guard haystack.contains(needle) else { return nil }
            }
            return Row(gateway: g, customer: customer, online: online)
        }
        let matching = rows.count
        // Power and energy are read for the page only, unless the order depends on them: then
        // every gateway's are needed, and they are the dashboard's shared figures (a few
        // seconds old at most) rather than a read of every gateway per request.
        var figuresAt: EpochMillis?
        if query.sort == .power || query.sort == .energy {
            let figures = try await DashboardController.sharedFigures(services: services, gateways: gateways, settings: settings, now: now)
            figuresAt = figures.at
            Self.show(figures.value, in: &rows)
        }
        // Every key ends with the (unique) gateway id: a total order, reversible as it is.
        func less(_ a: Row, _ b: Row) -> Bool {
            switch query.sort {
            case .gateway: a.gateway.id < b.gateway.id
            case .customer: (a.customer ?? "\u{10FFFF}", a.gateway.id) < (b.customer ?? "\u{10FFFF}", b.gateway.id)
            case .state: (a.online ? 1 : 0, a.gateway.id) < (b.online ? 1 : 0, b.gateway.id)
            case .power: (a.power ?? -1, a.gateway.id) < (b.power ?? -1, b.gateway.id)
            case .energy: (a.energy ?? -1, a.gateway.id) < (b.energy ?? -1, b.gateway.id)
            case .lastSeen: (a.gateway.lastSeen, a.gateway.id) < (b.gateway.lastSeen, b.gateway.id)
            }
        }
        rows.sort { query.descending ? less($1, $0) : less($0, $1) }
        let pages = max(1, (matching + Query.pageSize - 1) / Query.pageSize)
        let start = min((query.page - 1) * Query.pageSize, matching)
        var shown = Array(rows[start..<min(start + Query.pageSize, matching)])
        if query.sort != .power && query.sort != .energy { try await fill(&shown, now: now, settings: settings) }
        return Result(rows: shown, matching: matching, total: gateways.count, pages: pages, figuresAt: figuresAt)
    }

    /// Latest total power (online gateways) and today's energy of these rows only: the
    /// dashboard's two batched reads, fresh, for the page's gateways.
    private func fill(_ rows: inout [Row], now: EpochMillis, settings: AdminSettings) async throws {
        guard !rows.isEmpty else { return }
        let figures = try await DashboardController.figures(
            services: services, gateways: rows.map(\.gateway), now: now, dayStart: TimeFormat.startOfDay(now, in: settings.timeZone),
            offlineThreshold: settings.offlineThresholdMillis)
        Self.show(figures, in: &rows)
    }

    private static func show(_ figures: DashboardController.Figures, in rows: inout [Row]) {
        for index in rows.indices {
            let id = rows[index].gateway.id
            rows[index].power = rows[index].online ? figures.power[id] ?? 0 : nil
            rows[index].energy = figures.energy[id] ?? 0
        }
    }
}
