import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

/// Alarms in the `admin` table:
///
/// | kind / part | key | value |
/// |---|---|---|
/// | `alarm` / `all` | id (19 digits) | alarm as the monitor wrote it (opened, cleared) |
/// | `alarm_ack` / `all` | id (19 digits) | who acknowledged it and when |
/// | `alarm_active` / `all` | gateway, a newline, kind | id of its open or acknowledged alarm |
/// | `alarm_history` / id (19 digits) | time (19 digits) `:` state's position | change |
///
/// The monitor writes `alarm` rows and staff write `alarm_ack` rows, never each other's, so
/// an acknowledgement racing with the clearing loses neither (a read-modify-write of one
/// row would): the state is derived, cleared if cleared, else acknowledged if acknowledged.
/// `alarm_active` is the rule "one active alarm per gateway and kind" and what the monitor
/// reads every pass, a handful of rows; lists of open and acknowledged alarms (the default
/// list, a gateway's or customer's page) start there too. Lists that include cleared alarms
/// read the `alarm` and `alarm_ack` partitions and filter and sort in memory: they hold every
/// alarm ever raised (see docs/cassandra.md).
extension CassandraAdminStore: AlarmStore {
    /// What the monitor writes: everything but the acknowledgement.
    private struct AlarmRecord: Codable {
        var gateway: String
        var customer: Int64?
        var kind: String
        var openedAt: EpochMillis
        var clearedAt: EpochMillis?
        var detail: String

        func alarm(id: Int64, acknowledgement: AcknowledgementRecord?) -> Alarm? {
            guard let kind = AlarmKind(rawValue: kind) else { return nil }
            let state: AlarmState = clearedAt != nil ? .cleared : acknowledgement != nil ? .acknowledged : .open
            return Alarm(
                id: id, gateway: gateway, customerID: customer, kind: kind, state: state, openedAt: openedAt, acknowledgedAt: acknowledgement?.at,
                acknowledgedBy: acknowledgement?.by, clearedAt: clearedAt, detail: detail)
        }
    }

    private struct AcknowledgementRecord: Codable {
        var at: EpochMillis
        var by: String
    }

    static func activeKey(gateway: String, kind: AlarmKind) -> String { gateway + "\n" + kind.rawValue }

    public func openAlarm(gateway: String, customerID: Int64?, kind: AlarmKind, detail: String, at: EpochMillis) async throws -> Alarm? {
        try await wrap("alarm write") { () async throws -> Alarm? in
            // A read before the write, as for staff names: the monitor is the only writer of
            // new alarms and runs one pass at a time. The marker is written first: a crash
            // after it leaves a marker whose alarm is missing, which counts as no alarm here,
            // rather than an open alarm no marker leads to.
            let marker = Self.activeKey(gateway: gateway, kind: kind)
            if let existing = try await value("alarm_active", Self.single, marker).flatMap({ Int64($0) }),
                try await loadAlarm(existing)?.state.isActive == true {
                return nil
            }
            let alarm = Alarm(id: Self.newID(), gateway: gateway, customerID: customerID, kind: kind, state: .open, openedAt: at, detail: detail)
            try await put("alarm_active", Self.single, marker, String(alarm.id))
            let record = AlarmRecord(gateway: gateway, customer: customerID, kind: kind.rawValue, openedAt: at, detail: detail)
            try await put("alarm", Self.single, Self.numericKey(alarm.id), try Self.encode(record))
            try await recordChange(AlarmChange(at: at, state: .open, by: nil, note: detail), of: alarm.id)
            return alarm
        }
    }

    /// The alarms `alarm_active` leads to (two point reads each, 16 at a time), so the
    /// monitor's pass and the active lists cost the active alarms, not the whole history.
    public func activeAlarms() async throws -> [Alarm] {
        try await wrap("alarm read") {
            let ids = try await rows("alarm_active", Self.single).compactMap { Int64($0.value) }
            let store = self
            return try await concurrently(ids, limit: 16) { id in try await store.loadAlarm(id) }
                .compactMap { $0 }.filter(\.state.isActive).sorted(by: Alarm.listedBefore)
        }
    }

    public func acknowledgeAlarm(id: Int64, by staff: String, at: EpochMillis) async throws -> AlarmAcknowledgement {
        try await wrap("alarm write") { () async throws -> AlarmAcknowledgement in
            guard var alarm = try await loadAlarm(id) else { return .unknown }
            guard alarm.state == .open else { return .notOpen(alarm) }
            try await put("alarm_ack", Self.single, Self.numericKey(id), try Self.encode(AcknowledgementRecord(at: at, by: staff)))
            alarm.state = .acknowledged
            alarm.acknowledgedAt = at
            alarm.acknowledgedBy = staff
            try await recordChange(AlarmChange(at: at, state: .acknowledged, by: staff, note: "acknowledged"), of: id)
            return .acknowledged(alarm)
        }
    }

    public func clearAlarm(id: Int64, note: String, at: EpochMillis) async throws -> Bool {
        try await wrap("alarm write") { () async throws -> Bool in
            guard let text = try await value("alarm", Self.single, Self.numericKey(id)), var record = Self.decode(AlarmRecord.self, text),
                record.clearedAt == nil, let kind = AlarmKind(rawValue: record.kind)
            else { return false }
            record.clearedAt = at
            try await put("alarm", Self.single, Self.numericKey(id), try Self.encode(record))
            try await recordChange(AlarmChange(at: at, state: .cleared, by: nil, note: note), of: id)
            // Only its own marker: after a crash a newer alarm may have taken the place.
            let marker = Self.activeKey(gateway: record.gateway, kind: kind)
            if try await value("alarm_active", Self.single, marker) == String(id) { try await remove("alarm_active", Self.single, marker) }
            return true
        }
    }

    public func alarms(matching filter: AlarmFilter, offset: Int, limit: Int) async throws -> (alarms: [Alarm], total: Int) {
        if filter.states.allSatisfy(\.isActive) {
            return Self.page(of: try await activeAlarms().filter(filter.matches), offset: offset, limit: limit)
        }
        return try await wrap("alarm read") {
            var acknowledgements: [String: AcknowledgementRecord] = [:]
            for row in try await rows("alarm_ack", Self.single) { acknowledgements[row.key] = Self.decode(AcknowledgementRecord.self, row.value) }
            let matching = try await rows("alarm", Self.single)
                .compactMap { row in
                    Int64(row.key).flatMap { id in Self.decode(AlarmRecord.self, row.value)?.alarm(id: id, acknowledgement: acknowledgements[row.key]) }
                }
                .filter(filter.matches)
                .sorted(by: Alarm.listedBefore)
            return Self.page(of: matching, offset: offset, limit: limit)
        }
    }

    /// One page of the matching alarms, and how many match in all.
    private static func page(of matching: [Alarm], offset: Int, limit: Int) -> (alarms: [Alarm], total: Int) {
        let start = min(max(offset, 0), matching.count)
        return (Array(matching[start...].prefix(max(limit, 0))), matching.count)
    }

    public func alarm(id: Int64) async throws -> Alarm? {
        try await wrap("alarm read") { try await loadAlarm(id) }
    }

    public func alarmHistory(id: Int64) async throws -> [AlarmChange] {
        try await wrap("alarm read") {
            try await rows("alarm_history", Self.numericKey(id)).compactMap { Self.decode(AlarmChange.self, $0.value) }
        }
    }

    func loadAlarm(_ id: Int64) async throws -> Alarm? {
        guard id >= 0, let text = try await value("alarm", Self.single, Self.numericKey(id)) else { return nil }
        let acknowledgement = try await value("alarm_ack", Self.single, Self.numericKey(id)).flatMap { Self.decode(AcknowledgementRecord.self, $0) }
        return Self.decode(AlarmRecord.self, text)?.alarm(id: id, acknowledgement: acknowledgement)
    }

    /// Keyed by time and then the state's position in a life (open, acknowledged,
    /// cleared): each state is entered once, so keys are unique and sort as they happened.
    private func recordChange(_ change: AlarmChange, of id: Int64) async throws {
        let position = AlarmState.allCases.firstIndex(of: change.state) ?? 0
        try await put("alarm_history", Self.numericKey(id), Self.numericKey(change.at) + ":" + String(position), try Self.encode(change))
    }
}
