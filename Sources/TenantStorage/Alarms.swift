/// What an alarm is about. The kind decides the severity, so two alarms of one kind are
/// always ranked alike.
public enum AlarmKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The gateway has not reported for longer than the offline threshold.
    case offline
    /// The last full hour's power was far below the same hour on a recent clear day.
    case lowProduction = "low-production"

    /// Offline is critical (nothing is measured, and perhaps nothing produced); low
    /// production is a warning (the plant works, worse than it should).
    public var severity: AlarmSeverity {
        switch self {
        case .offline: .critical
        case .lowProduction: .warning
        }
    }

    /// "offline", "low production": for people.
    public var label: String {
        switch self {
        case .offline: "offline"
        case .lowProduction: "low production"
        }
    }
}

/// How urgent an alarm is. Lists put the most severe first.
public enum AlarmSeverity: String, Sendable, Hashable, CaseIterable, Codable {
    /// Needs someone now: a gateway is offline.
    case critical
    /// Needs a look today: a gateway produces less than expected.
    case warning

    /// 1 for critical, 2 for warning: the order lists use, and the panel's colour classes
    /// (`severity-1` red, `severity-2` amber), as on the dashboard's "needs attention".
    public var rank: Int {
        switch self {
        case .critical: 1
        case .warning: 2
        }
    }
}

/// Where an alarm is in its life: open, then perhaps acknowledged by staff, then cleared
/// when its condition ends (acknowledged or not).
public enum AlarmState: String, Sendable, Hashable, CaseIterable, Codable {
    case open
    case acknowledged
    case cleared

    /// Open or acknowledged: its condition still holds.
    public var isActive: Bool { self != .cleared }
}

/// One alarm: a condition of one gateway from when it was found until it ended.
public struct Alarm: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var gateway: String
    /// The gateway's customer when the alarm opened (nil: unassigned then).
    public var customerID: Int64?
    public var kind: AlarmKind
    public var severity: AlarmSeverity { kind.severity }
    public var state: AlarmState
    public var openedAt: EpochMillis
    public var acknowledgedAt: EpochMillis?
    /// The staff member who acknowledged it.
    public var acknowledgedBy: String?
    public var clearedAt: EpochMillis?
    /// What was found, for people ("last report 2026-11-29 10:00 UTC", "mean power 40 W ...").
    public var detail: String

    public init(
        id: Int64, gateway: String, customerID: Int64?, kind: AlarmKind, state: AlarmState, openedAt: EpochMillis,
        acknowledgedAt: EpochMillis? = nil, acknowledgedBy: String? = nil, clearedAt: EpochMillis? = nil, detail: String
    ) {
        self.id = id
        self.gateway = gateway
        self.customerID = customerID
        self.kind = kind
        self.state = state
        self.openedAt = openedAt
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.clearedAt = clearedAt
        self.detail = detail
    }

    /// The order of every alarm list: most severe first, then newest, then highest id.
    public static func listedBefore(_ a: Alarm, _ b: Alarm) -> Bool {
        (a.severity.rank, -a.openedAt, -a.id) < (b.severity.rank, -b.openedAt, -b.id)
    }
}

/// One entry of an alarm's history: the state it entered, when, and who moved it.
public struct AlarmChange: Sendable, Hashable, Codable {
    public var at: EpochMillis
    public var state: AlarmState
    /// The staff member; nil when the monitor did it (opening and clearing).
    public var by: String?
    /// Why: the condition found, or how it ended.
    public var note: String

    public init(at: EpochMillis, state: AlarmState, by: String?, note: String) {
        self.at = at
        self.state = state
        self.by = by
        self.note = note
    }
}

/// Which alarms a list shows.
public struct AlarmFilter: Sendable, Hashable {
    /// States shown; never empty.
    public var states: Set<AlarmState>
    public var gateway: String?
    public var customerID: Int64?

    public init(states: Set<AlarmState> = AlarmFilter.active.states, gateway: String? = nil, customerID: Int64? = nil) {
        self.states = states.isEmpty ? Set(AlarmState.allCases) : states
        self.gateway = gateway
        self.customerID = customerID
    }

    /// Open and acknowledged: what still needs someone.
    public static let active = AlarmFilter(states: [.open, .acknowledged])

    public func matches(_ alarm: Alarm) -> Bool {
        states.contains(alarm.state) && (gateway.map { $0 == alarm.gateway } ?? true) && (customerID.map { $0 == alarm.customerID } ?? true)
    }
}

/// What acknowledging an alarm did.
public enum AlarmAcknowledgement: Sendable, Hashable {
    case acknowledged(Alarm)
    /// It was acknowledged already or has cleared: nothing changed.
    case notOpen(Alarm)
    case unknown
}

/// Alarms that staff see and handle: opened and cleared by the alert monitor (the mail
/// scheduler's pass), acknowledged by staff, kept with their history after they clear.
public protocol AlarmStore: Sendable {
    /// Opens an alarm of `kind` for `gateway`, unless one of that gateway and kind is open
    /// or acknowledged: then nothing changes and the answer is nil.
    func openAlarm(gateway: String, customerID: Int64?, kind: AlarmKind, detail: String, at: EpochMillis) async throws -> Alarm?
    /// Every open and acknowledged alarm (what the monitor reconciles).
    func activeAlarms() async throws -> [Alarm]
    /// Marks an open alarm acknowledged by `staff`.
    func acknowledgeAlarm(id: Int64, by staff: String, at: EpochMillis) async throws -> AlarmAcknowledgement
    /// Clears an open or acknowledged alarm, noting why. False when it is unknown or cleared.
    func clearAlarm(id: Int64, note: String, at: EpochMillis) async throws -> Bool
    /// The alarms `filter` matches in list order (``Alarm/listedBefore(_:_:)``), `limit`
    /// from `offset`, and how many match in all.
    func alarms(matching filter: AlarmFilter, offset: Int, limit: Int) async throws -> (alarms: [Alarm], total: Int)
    func alarm(id: Int64) async throws -> Alarm?
    /// The alarm's state changes, oldest first (empty for an unknown alarm).
    func alarmHistory(id: Int64) async throws -> [AlarmChange]
}
