import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

/// ``AdminStore`` over a provider's Cassandra keyspace, with the semantics of the SQLite
/// implementation (`SQLiteAdminStore`).
///
/// Gateways live in the `gateways` table (static columns `customer_id`, `site`, `key_hash`),
/// settings in `settings`; every other record is a JSON value in the `admin` table, keyed by
/// `(kind, part)` partition and `key` clustering column:
///
/// | kind / part | key | value |
/// |---|---|---|
/// | `customer` / `all` | id (19 digits) | customer |
/// | `staff` / `all` | name | account with password and API token hash |
/// | `token` / `all` | API token hash | staff name |
/// | `session` / `all` | session id hash | session, written with a TTL until it expires |
/// | `outbox` / `pending` | id | unsent mail |
/// | `outbox` / `sent:<bucket>` | id | sent mail (one partition per 32 days) |
/// | `outbox_buckets` / `all` | bucket | "" (the `sent:` partitions that exist) |
/// | `outbox_dedupe` / `all` | dedupe key | mail id |
/// | `rollup` / gateway | hour (19 digits) | closed hour's aggregates |
/// | `rollup_state` / `all` | gateway | hour through which rollups exist |
/// | `rollup_late` / gateway | first hour to recompute (19 digits) | "" (written by ingest, see ``LateReadings``) |
/// | `alert` / `all` | gateway | alert state |
///
/// Aggregates that SQLite computes in SQL (hourly buckets, latest readings, power series) are
/// computed here from per-gateway time-range reads of `readings`; the cost is the rows read
/// (see docs/cassandra.md). Uniqueness checks (staff names, outbox dedupe keys) are a read
/// before the write, not a lightweight transaction: two admins racing to create the same name
/// within milliseconds both succeed and the last write wins.
public struct CassandraAdminStore: AdminStore {
    /// The shared client.
    public let client: CQLClient
    /// The provider's keyspace.
    public let keyspace: ProviderID
    /// Consistency of reads and writes (overlapping quorums).
    public let consistency: CQLConsistency
    /// Hours are rolled up once the gateway's newest reading is this far past their end.
    public let rollupGrace: EpochMillis

    private let readingStore: CassandraReadingStore

    /// The admin store of `keyspace` over `client` (the keyspace must exist: see ``CassandraStore``).
    public init(
        client: CQLClient, keyspace: ProviderID, consistency: CQLConsistency = .localQuorum, rollupGrace: EpochMillis = RollupRules.defaultGrace
    ) {
        self.client = client
        self.keyspace = keyspace
        self.consistency = consistency
        self.rollupGrace = rollupGrace
        var options = CassandraStoreOptions()
        options.readConsistency = consistency
        options.writeConsistency = consistency
        self.readingStore = CassandraReadingStore(client: client, keyspace: keyspace, options: options)
    }

    /// The `part` of kinds that have one partition (a non-empty value: empty partition key
    /// components are best avoided in Cassandra).
    static let single = "all"
    /// The open upper bound of "since" reads: 10000-01-01T00:00:00Z, a timestamp every CQL
    /// tool can print (unlike `Int64.max`), and after any plausible gateway clock.
    static let farFuture: EpochMillis = 253_402_300_800_000
    private var ks: String { CassandraSchema.quoted(keyspace.rawValue) }
    private var settingsStore: CassandraSettingsStore { CassandraSettingsStore(client: client, keyspace: keyspace, consistency: consistency) }

    // MARK: The admin table

    private func wrap<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("cassandra \(what) failed: \(error)")
        }
    }

    private func rows(_ kind: String, _ part: String) async throws -> [(key: String, value: String)] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(kind), .text(part)], consistency: consistency).rows.compactMap { row in
            guard row.count == 2, let key = row[0].string else { return nil }
            return (key, row[1].string ?? "")
        }
    }

    private func keys(_ kind: String, _ part: String) async throws -> [String] {
        let statement = try await client.prepare("SELECT key FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(kind), .text(part)], consistency: consistency).rows.compactMap { $0.first?.string }
    }

    private func rows(_ kind: String, _ part: String, from: String, to: String) async throws -> [(key: String, value: String)] {
        let statement = try await client.prepare("SELECT key, value FROM \(ks).admin WHERE kind = ? AND part = ? AND key >= ? AND key < ?")
        return try await client.executeAll(statement, [.text(kind), .text(part), .text(from), .text(to)], consistency: consistency).rows
            .compactMap { row in
                guard row.count == 2, let key = row[0].string else { return nil }
                return (key, row[1].string ?? "")
            }
    }

    private func value(_ kind: String, _ part: String, _ key: String) async throws -> String? {
        let statement = try await client.prepare("SELECT value FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
        guard case .rows(let rows) = try await client.execute(statement, [.text(kind), .text(part), .text(key)], consistency: consistency)
        else { return nil }
        return rows.rows.first?.first?.string
    }

    private func insertStatement(ttl: Bool = false) async throws -> CQLPreparedStatement {
        try await client.prepare("INSERT INTO \(ks).admin (kind, part, key, value) VALUES (?, ?, ?, ?)\(ttl ? " USING TTL ?" : "")")
    }

    private func deleteStatement() async throws -> CQLPreparedStatement {
        try await client.prepare("DELETE FROM \(ks).admin WHERE kind = ? AND part = ? AND key = ?")
    }

    private func put(_ kind: String, _ part: String, _ key: String, _ value: String) async throws {
        _ = try await client.execute(try await insertStatement(), [.text(kind), .text(part), .text(key), .text(value)], consistency: consistency)
    }

    private func remove(_ kind: String, _ part: String, _ key: String) async throws {
        _ = try await client.execute(try await deleteStatement(), [.text(kind), .text(part), .text(key)], consistency: consistency)
    }

    private static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A non-negative number as a fixed-width key, so that text order is numeric order.
    static func numericKey(_ value: Int64) -> String {
        let digits = String(max(value, 0))
        return String(repeating: "0", count: max(0, 19 - digits.count)) + digits
    }

    /// A new id: microseconds of the wall clock times 1000 plus a random part. Ids grow with
    /// time (so "oldest first" by id holds across restarts) and need no coordination.
    static func newID() -> Int64 {
        let micros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return micros * 1000 + Int64.random(in: 0..<1000)
    }

    // MARK: Customers

    public func customers() async throws -> [Customer] {
        try await wrap("customers read") {
            try await rows("customer", Self.single).compactMap { Self.decode(Customer.self, $0.value) }
                .sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        }
    }

    public func customer(id: Int64) async throws -> Customer? {
        try await wrap("customer read") {
            try await value("customer", Self.single, Self.numericKey(id)).flatMap { Self.decode(Customer.self, $0) }
        }
    }

    public func createCustomer(_ draft: CustomerDraft, at: EpochMillis) async throws -> Customer {
        try await wrap("customer write") {
            let customer = Customer(
                id: Self.newID(), name: draft.name, email: draft.email, address: draft.address, recipients: draft.recipients, createdAt: at)
            try await put("customer", Self.single, Self.numericKey(customer.id), try Self.encode(customer))
            return customer
        }
    }

    public func updateCustomer(id: Int64, _ draft: CustomerDraft) async throws -> Bool {
        try await wrap("customer write") {
            guard var customer = try await customer(id: id) else { return false }
            customer.name = draft.name
            customer.email = draft.email
            customer.address = draft.address
            customer.recipients = draft.recipients
            try await put("customer", Self.single, Self.numericKey(id), try Self.encode(customer))
            return true
        }
    }

    public func deleteCustomer(id: Int64) async throws -> Bool {
        try await wrap("customer delete") {
            guard try await customer(id: id) != nil else { return false }
            // Unassign first: a gateway pointing at a deleted customer would be worse than a
            // customer that briefly has no gateways.
            let unassign = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ? WHERE id = ?")
            for gateway in try await gateways() where gateway.customerID == id {
                _ = try await client.execute(unassign, [.null, .text(gateway.id)], consistency: consistency)
            }
            try await remove("customer", Self.single, Self.numericKey(id))
            return true
        }
    }

    // MARK: Gateways

    private static func gatewayInfo(id: String, _ row: [CQLValue]) -> GatewayInfo? {
        // row: customer_id, site, key_hash, first_seen, last_seen
        guard row.count == 5, !(row[3].isNull && row[4].isNull) else { return nil }
        return GatewayInfo(
            id: id, customerID: row[0].int64, site: row[1].string, hasKey: !row[2].isNull, firstSeen: row[3].int64 ?? 0,
            lastSeen: row[4].int64 ?? 0)
    }

    public func gateways() async throws -> [GatewayInfo] {
        try await wrap("gateway list") {
            // DISTINCT over the partition key and static columns: one row per gateway.
            let statement = try await client.prepare(
                "SELECT DISTINCT id, customer_id, site, key_hash, first_seen, last_seen FROM \(ks).gateways")
            return try await client.executeAll(statement, [], consistency: consistency).rows.compactMap { row in
                guard let id = row.first?.string else { return nil }
                return Self.gatewayInfo(id: id, Array(row.dropFirst()))
            }.sorted { $0.id < $1.id }
        }
    }

    public func gateway(id: String) async throws -> GatewayInfo? {
        try await wrap("gateway read") {
            let statement = try await client.prepare(
                "SELECT customer_id, site, key_hash, first_seen, last_seen FROM \(ks).gateways WHERE id = ? LIMIT 1")
            guard case .rows(let rows) = try await client.execute(statement, [.text(id)], consistency: consistency),
                let row = rows.rows.first
            else { return nil }
            return Self.gatewayInfo(id: id, row)
        }
    }

    public func assign(gateway: String, customer: Int64?, site: String?) async throws -> Bool {
        try await wrap("gateway assignment") {
            if let customer, try await self.customer(id: customer) == nil { return false }
            guard try await self.gateway(id: gateway) != nil else { return false }
            let statement = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ?, site = ? WHERE id = ?")
            _ = try await client.execute(
                statement, [customer.map(CQLValue.bigint) ?? .null, site.map(CQLValue.text) ?? .null, .text(gateway)], consistency: consistency)
            return true
        }
    }

    public func setKeyHash(gateway: String, hash: String?) async throws -> Bool {
        try await wrap("gateway key write") {
            guard try await self.gateway(id: gateway) != nil else { return false }
            let statement = try await client.prepare("UPDATE \(ks).gateways SET key_hash = ? WHERE id = ?")
            _ = try await client.execute(statement, [hash.map(CQLValue.text) ?? .null, .text(gateway)], consistency: consistency)
            return true
        }
    }

    public func latestReadings(gateway: String, since: EpochMillis) async throws -> [Reading] {
        // Reads every reading since `since` (the dashboard passes a recent bound) and keeps
        // each sensor's newest: Cassandra has no GROUP BY across the per-day partitions.
        var newest: [String: Reading] = [:]
        for reading in try await readingStore.readings(gateway: gateway, from: since, to: Self.farFuture) where reading.at >= (newest[reading.sensor]?.at ?? .min) {
            newest[reading.sensor] = reading
        }
        return newest.values.sorted { $0.sensor < $1.sensor }
    }

    public func latestReadings(gateways: [String], since: EpochMillis) async throws -> [String: [Reading]] {
        let results = try await concurrently(gateways, limit: 8) { gateway in
            (gateway, try await self.latestReadings(gateway: gateway, since: since))
        }
        return Dictionary(results, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Staff

    private struct StaffRecord: Codable {
        var name: String
        var passwordHash: String
        var createdAt: EpochMillis
        var apiTokenHash: String?
        var account: StaffAccount {
            StaffAccount(name: name, passwordHash: passwordHash, createdAt: createdAt, hasAPIToken: apiTokenHash != nil)
        }
    }

    private struct SessionRecord: Codable {
        var idHash: String, staff: String, createdAt: EpochMillis, expiresAt: EpochMillis
        var session: StaffSession { StaffSession(idHash: idHash, staff: staff, createdAt: createdAt, expiresAt: expiresAt) }
    }

    private func staffRecord(_ name: String) async throws -> StaffRecord? {
        try await value("staff", Self.single, name).flatMap { Self.decode(StaffRecord.self, $0) }
    }

    public func staffAccounts() async throws -> [StaffAccount] {
        try await wrap("staff read") {
            try await rows("staff", Self.single).compactMap { Self.decode(StaffRecord.self, $0.value)?.account }.sorted { $0.name < $1.name }
        }
    }

    public func staffAccount(name: String) async throws -> StaffAccount? {
        try await wrap("staff read") { try await staffRecord(name)?.account }
    }

    public func createStaff(name: String, passwordHash: String, at: EpochMillis) async throws -> Bool {
        try await wrap("staff write") {
            guard try await staffRecord(name) == nil else { return false }
            try await put("staff", Self.single, name, try Self.encode(StaffRecord(name: name, passwordHash: passwordHash, createdAt: at)))
            return true
        }
    }

    public func deleteStaff(name: String) async throws -> Bool {
        try await wrap("staff delete") {
            guard let record = try await staffRecord(name) else { return false }
            try await deleteSessionsUnwrapped(staff: name)
            if let token = record.apiTokenHash { try await remove("token", Self.single, token) }
            try await remove("staff", Self.single, name)
            return true
        }
    }

    public func setPassword(name: String, passwordHash: String) async throws -> Bool {
        try await wrap("staff write") {
            guard var record = try await staffRecord(name) else { return false }
            record.passwordHash = passwordHash
            try await put("staff", Self.single, name, try Self.encode(record))
            return true
        }
    }

    public func setAPITokenHash(name: String, hash: String?) async throws -> Bool {
        try await wrap("staff write") {
            guard var record = try await staffRecord(name) else { return false }
            if let old = record.apiTokenHash, old != hash { try await remove("token", Self.single, old) }
            record.apiTokenHash = hash
            // The lookup row first: an account row naming a token the lookup lacks would
            // show "has token" for a token that cannot sign in.
            if let hash { try await put("token", Self.single, hash, name) }
            try await put("staff", Self.single, name, try Self.encode(record))
            return true
        }
    }

    public func staffAccount(apiTokenHash hash: String) async throws -> StaffAccount? {
        try await wrap("staff read") {
            guard let name = try await value("token", Self.single, hash), let record = try await staffRecord(name),
                record.apiTokenHash == hash  // a stale lookup row (token replaced) signs no one in
            else { return nil }
            return record.account
        }
    }

    public func createSession(_ session: StaffSession) async throws {
        try await wrap("session write") {
            // Cassandra expires the row itself; `session(idHash:now:)` also checks the time.
            let ttl = Int32(clamping: max(1, (session.expiresAt - session.createdAt + 999) / 1000))
            let record = SessionRecord(idHash: session.idHash, staff: session.staff, createdAt: session.createdAt, expiresAt: session.expiresAt)
            _ = try await client.execute(
                try await insertStatement(ttl: true),
                [.text("session"), .text(Self.single), .text(session.idHash), .text(try Self.encode(record)), .int(ttl)], consistency: consistency)
        }
    }

    public func session(idHash: String, now: EpochMillis) async throws -> StaffSession? {
        try await wrap("session read") {
            guard let session = try await value("session", Self.single, idHash).flatMap({ Self.decode(SessionRecord.self, $0) }),
                session.expiresAt > now
            else { return nil }
            return session.session
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await wrap("session delete") { try await remove("session", Self.single, idHash) }
    }

    public func deleteSessions(staff: String) async throws {
        try await wrap("session delete") { try await deleteSessionsUnwrapped(staff: staff) }
    }

    /// Reads the session partition (live sessions only: expired rows are gone by TTL).
    private func deleteSessionsUnwrapped(staff: String) async throws {
        for (key, value) in try await rows("session", Self.single) where Self.decode(SessionRecord.self, value)?.staff == staff {
            try await remove("session", Self.single, key)
        }
    }

    // MARK: Settings

    public func settings() async throws -> [String: String] {
        try await wrap("settings read") { try await settingsStore.settings() }
    }

    public func setting(_ key: String) async throws -> String? {
        try await wrap("settings read") { try await settingsStore.setting(key) }
    }

    public func setSettings(_ values: [String: String]) async throws {
        try await wrap("settings write") { try await settingsStore.setSettings(values) }
    }

    // MARK: Outbox

    private struct MailRecord: Codable {
        var id: Int64, dedupeKey: String, recipients: [String], subject: String, textBody: String, htmlBody: String
        var createdAt: EpochMillis, attempts: Int, nextAttemptAt: EpochMillis, sentAt: EpochMillis?, lastError: String?

        init(_ m: OutboxMail) {
            (id, dedupeKey, recipients, subject, textBody, htmlBody) = (m.id, m.dedupeKey, m.recipients, m.subject, m.textBody, m.htmlBody)
            (createdAt, attempts, nextAttemptAt, sentAt, lastError) = (m.createdAt, m.attempts, m.nextAttemptAt, m.sentAt, m.lastError)
        }

        var mail: OutboxMail {
            OutboxMail(
                id: id, dedupeKey: dedupeKey, recipients: recipients, subject: subject, textBody: textBody, htmlBody: htmlBody,
                createdAt: createdAt, attempts: attempts, nextAttemptAt: nextAttemptAt, sentAt: sentAt, lastError: lastError)
        }
    }

    /// Sent mails are kept, as in SQLite, in one partition per 32 days, so no partition grows without bound.
    static func sentBucket(_ at: EpochMillis) -> String { numericKey(max(at, 0) / (32 * 86_400_000)) }

    private func pending() async throws -> [OutboxMail] {
        try await rows("outbox", "pending").compactMap { Self.decode(MailRecord.self, $0.value)?.mail }
    }

    public func enqueue(_ mail: OutboxMail) async throws -> Bool {
        try await wrap("outbox write") {
            guard try await value("outbox_dedupe", Self.single, mail.dedupeKey) == nil else { return false }
            var stored = mail
            stored.id = Self.newID()
            (stored.attempts, stored.sentAt, stored.lastError) = (0, nil, nil)
            let insert = try await insertStatement()
            // Logged: the mail and its dedupe row are written together or not at all.
            try await client.batch(.logged, [
                (insert, [.text("outbox_dedupe"), .text(Self.single), .text(mail.dedupeKey), .text(String(stored.id))]),
                (insert, [.text("outbox"), .text("pending"), .text(Self.numericKey(stored.id)), .text(try Self.encode(MailRecord(stored)))]),
            ], consistency: consistency)
            return true
        }
    }

    public func dueMails(now: EpochMillis, limit: Int) async throws -> [OutboxMail] {
        try await wrap("outbox read") {
            Array(try await pending().filter { $0.nextAttemptAt <= now }.sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
                .prefix(max(limit, 0)))
        }
    }

    public func markSent(id: Int64, at: EpochMillis) async throws {
        try await wrap("outbox write") {
            guard var mail = try await value("outbox", "pending", Self.numericKey(id)).flatMap({ Self.decode(MailRecord.self, $0) })?.mail
            else { return }
            mail.sentAt = at
            mail.attempts += 1
            mail.lastError = nil
            let bucket = Self.sentBucket(at)
            let insert = try await insertStatement()
            try await client.batch(.logged, [
                (insert, [.text("outbox_buckets"), .text(Self.single), .text(bucket), .text("")]),
                (insert, [.text("outbox"), .text("sent:\(bucket)"), .text(Self.numericKey(id)), .text(try Self.encode(MailRecord(mail)))]),
                (try await deleteStatement(), [.text("outbox"), .text("pending"), .text(Self.numericKey(id))]),
            ], consistency: consistency)
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: EpochMillis) async throws {
        try await wrap("outbox write") {
            guard var mail = try await value("outbox", "pending", Self.numericKey(id)).flatMap({ Self.decode(MailRecord.self, $0) })?.mail
            else { return }
            mail.attempts += 1
            mail.lastError = error
            mail.nextAttemptAt = nextAttemptAt
            try await put("outbox", "pending", Self.numericKey(id), try Self.encode(MailRecord(mail)))
        }
    }

    public func failingMails(minAttempts: Int) async throws -> [OutboxMail] {
        try await wrap("outbox read") { try await pending().filter { $0.attempts >= minAttempts }.sorted { $0.id < $1.id } }
    }

    public func outboxCounts() async throws -> (pending: Int, sent: Int) {
        try await wrap("outbox read") {
            // Keys only: the sent count reads one key per sent mail (no COUNT across partitions).
            let pendingCount = try await keys("outbox", "pending").count
            var sent = 0
            for bucket in try await keys("outbox_buckets", Self.single) { sent += try await keys("outbox", "sent:\(bucket)").count }
            return (pendingCount, sent)
        }
    }

    // MARK: Rollups

    struct RawHour: Codable, Sendable, Equatable {
        var hour: EpochMillis, samples: Int, sum: Double, max: Double, powerWh: Double, counterWh: Double?
        var bucket: HourBucket {
            HourBucket(hour: hour, samples: samples, meanPower: samples > 0 ? sum / Double(samples) : 0, peakPower: max, energy: counterWh ?? powerWh)
        }
    }

    /// The SQLite store's two aggregate queries, in Swift over `readings` (which must cover
    /// `[from - 1 h, to + 10 min)`: the hour before `from` gives each energy counter its
    /// previous value, the minutes after `to` the last steps of the range). `laterExists`:
    /// whether the gateway has readings at or after `to + 10 min`.
    static func computeHours(_ readings: [Reading], from: EpochMillis, to: EpochMillis, laterExists: Bool) -> [RawHour] {
        guard from < to else { return [] }
        // Instants: total power summed over sensors; each is a left rectangle up to the next
        // instant, capped at 10 minutes so that gaps are not production (60 s for the newest
        // of all). Instants past `to` only end steps, so no range boundary changes an hour.
        var totals: [EpochMillis: Double] = [:]
        for reading in readings where reading.at >= from && reading.at < to + RollupRules.stepCap { totals[reading.at, default: 0] += reading.power }
        let instants = totals.keys.sorted()
        var hours: [EpochMillis: RawHour] = [:]
        for (index, at) in instants.enumerated() where at < to {
            let total = totals[at]!
            let dt = Swift.min(index + 1 < instants.count ? instants[index + 1] - at : (laterExists ? RollupRules.stepCap : RollupRules.lastStep), RollupRules.stepCap)
            let hour = RollupRules.floorHour(at)
            var h = hours[hour] ?? RawHour(hour: hour, samples: 0, sum: 0, max: -.infinity, powerWh: 0, counterWh: nil)
            h.samples += 1
            h.sum += total
            h.max = Swift.max(h.max, total)
            h.powerWh += total * Double(dt)  // W·ms; divided once per hour below, as SQLite's SUM()/3600000.0
            hours[hour] = h
        }
        for hour in hours.keys { hours[hour]!.powerWh /= 3_600_000 }
        // Counters: each delta to the hour of the later reading; a reset credits nothing.
        var bySensor: [String: [Reading]] = [:]
        for reading in readings where reading.energy != nil && reading.at >= from - RollupRules.hourMillis && reading.at < to {
            bySensor[reading.sensor, default: []].append(reading)
        }
        for series in bySensor.values {
            let sorted = series.sorted { $0.at < $1.at }
            for (previous, current) in zip(sorted, sorted.dropFirst()) where current.at >= from {
                let hour = RollupRules.floorHour(current.at)
                guard hours[hour] != nil else { continue }
                hours[hour]!.counterWh = (hours[hour]!.counterWh ?? 0) + Swift.max(current.energy! - previous.energy!, 0)
            }
        }
        return hours.values.sorted { $0.hour < $1.hour }
    }

    /// ``computeHours(_:from:to:laterExists:)`` over the readings of `gateway`; `newest`, when
    /// the caller knows it, spares the look past the range.
    private func computeHours(gateway: String, from: EpochMillis, to: EpochMillis, newest: EpochMillis? = nil) async throws -> [RawHour] {
        guard from < to else { return [] }
        let readings = try await readingStore.readings(gateway: gateway, from: from - RollupRules.hourMillis, to: to + RollupRules.stepCap)
        // What follows the window matters only when the window's last instant is in the range.
        var laterExists = false
        if let last = readings.last?.at, last >= from, last < to {
            if let newest {
                laterExists = newest >= to + RollupRules.stepCap
            } else {
                laterExists = try await !readingStore.readings(gateway: gateway, from: to + RollupRules.stepCap, to: Self.farFuture).isEmpty
            }
        }
        return Self.computeHours(readings, from: from, to: to, laterExists: laterExists)
    }

    private func rolledThrough(_ gateway: String) async throws -> EpochMillis? {
        try await value("rollup_state", Self.single, gateway).flatMap { Int64($0) }
    }

    public func hourly(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        try await wrap("rollup read") { try await hourlyUnwrapped(gateway: gateway, from: from, to: to) }
    }

    private func hourlyUnwrapped(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket] {
        let from = RollupRules.floorHour(from), to = RollupRules.floorHour(to)
        let through = try await rolledThrough(gateway) ?? from
        var buckets: [HourBucket] = []
        if from < through {
            buckets = try await rows("rollup", gateway, from: Self.numericKey(from), to: Self.numericKey(Swift.min(to, through)))
                .compactMap { Self.decode(RawHour.self, $0.value)?.bucket }
        }
        buckets += try await computeHours(gateway: gateway, from: Swift.max(from, through), to: to).map(\.bucket)
        return buckets
    }

    public func energy(gateways: [String], from: EpochMillis, to: EpochMillis) async throws -> [String: Double] {
        try await wrap("rollup read") {
            let totals = try await concurrently(gateways, limit: 8) { gateway in
                (gateway, try await self.hourlyUnwrapped(gateway: gateway, from: from, to: to).reduce(0) { $0 + $1.energy })
            }
            return Dictionary(totals, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The first reading time of `gateway`, visiting its indexed days from the oldest.
    private func oldestReading(_ gateway: String) async throws -> EpochMillis? {
        for day in Set(try await readingStore.indexedPartitions(gateway: gateway).map(\.day)).sorted() {
            let start = Int64(day) * 86_400_000
            if let oldest = try await readingStore.readings(gateway: gateway, from: start, to: start + 86_400_000).first?.at { return oldest }
        }
        return nil
    }

    /// The late-reading markers of `gateway` (see ``LateReadings``): the first hour each
    /// asks to recompute, and its write timestamp.
    private func lateMarkers(_ gateway: String) async throws -> [(hour: EpochMillis, stamp: Int64)] {
        let statement = try await client.prepare("SELECT key, writetime(value) FROM \(ks).admin WHERE kind = ? AND part = ?")
        return try await client.executeAll(statement, [.text(LateReadings.kind), .text(gateway)], consistency: consistency).rows.compactMap { row in
            guard row.count == 2, let hour = row[0].string.flatMap({ Int64($0) }), let stamp = row[1].int64 else { return nil }
            return (hour, stamp)
        }
    }

    @discardableResult
    public func refreshRollup(gateway: String) async throws -> Int {
        try await refreshRollup(gateway: gateway, afterReadingMarkers: {})
    }

    /// ``refreshRollup(gateway:)``; `afterReadingMarkers` runs between reading the late-reading
    /// markers and the reads that recompute (tests commit there to race a pass).
    func refreshRollup(gateway: String, afterReadingMarkers: @Sendable () async throws -> Void) async throws -> Int {
        try await wrap("rollup refresh") {
            // Markers first: each was written after its readings, so the reads below see them.
            let markers = try await lateMarkers(gateway)
            try await afterReadingMarkers()
            guard let newest = try await readingStore.newestReading(gateway: gateway) else { return 0 }
            let cutoff = RollupRules.floorHour(newest - rollupGrace)
            let through = try await rolledThrough(gateway)
            var written = 0
            // Hours late readings reopened, up to where the rollup stands; later hours are
            // rolled up fresh below.
            if let through, let redo = markers.map(\.hour).min(), redo < through {
                written += try await rollUp(gateway: gateway, from: redo, to: through, newest: newest)
            }
            let start: EpochMillis
            if let through {
                start = through
            } else {
                start = RollupRules.floorHour(try await oldestReading(gateway) ?? cutoff)
            }
            written += try await rollUp(gateway: gateway, from: start, to: cutoff, newest: newest)
            // Compare-and-clear: a partition deletion at the newest timestamp read removes the
            // markers acted on; one written since has a later timestamp and stays.
            if let stamp = markers.map(\.stamp).max() {
                let clear = try await client.prepare("DELETE FROM \(ks).admin USING TIMESTAMP ? WHERE kind = ? AND part = ?")
                _ = try await client.execute(clear, [.bigint(stamp), .text(LateReadings.kind), .text(gateway)], consistency: consistency)
            }
            return written
        }
    }

    /// Computes and writes the hours of `[from, to)` a month at a time, then moves
    /// `rollup_state` to `to` if it was behind; returns the hours written.
    private func rollUp(gateway: String, from: EpochMillis, to: EpochMillis, newest: EpochMillis) async throws -> Int {
        var written = 0
        var chunkStart = from
        let insert = try await insertStatement()
        while chunkStart < to {
            let chunkEnd = Swift.min(to, chunkStart + 31 * 24 * RollupRules.hourMillis)
            let hours = try await computeHours(gateway: gateway, from: chunkStart, to: chunkEnd, newest: newest)
            // One partition (the gateway's rollups): unlogged batches are atomic within it.
            // Hours only gain readings, so overwriting them leaves no stale row behind.
            for chunk in try hours.map({ h -> (CQLPreparedStatement, [CQLValue]) in
                (insert, [.text("rollup"), .text(gateway), .text(Self.numericKey(h.hour)), .text(try Self.encode(h))])
            }).chunked(100) {
                try await client.batch(.unlogged, chunk, consistency: consistency)
            }
            // After the hours: a state ahead of its rows would hide hours from `hourly`.
            if (try await rolledThrough(gateway) ?? .min) < chunkEnd { try await put("rollup_state", Self.single, gateway, String(chunkEnd)) }
            written += hours.count
            chunkStart = chunkEnd
        }
        return written
    }

    public func powerSeries(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [(at: EpochMillis, power: Double)] {
        var totals: [EpochMillis: Double] = [:]
        for reading in try await readingStore.readings(gateway: gateway, from: from, to: to) { totals[reading.at, default: 0] += reading.power }
        return totals.sorted { $0.key < $1.key }.map { (at: $0.key, power: $0.value) }
    }

    // MARK: Alert state

    private struct AlertRecord: Codable {
        var offline: Bool
        var lowDay: String?
    }

    public func alertStates() async throws -> [String: GatewayAlertState] {
        try await wrap("alert state read") {
            var states: [String: GatewayAlertState] = [:]
            for (gateway, value) in try await rows("alert", Self.single) {
                guard let record = Self.decode(AlertRecord.self, value) else { continue }
                states[gateway] = GatewayAlertState(gateway: gateway, offline: record.offline, lowProductionDay: record.lowDay)
            }
            return states
        }
    }

    public func setAlertState(_ state: GatewayAlertState) async throws {
        try await wrap("alert state write") {
            try await put("alert", Self.single, state.gateway, try Self.encode(AlertRecord(offline: state.offline, lowDay: state.lowProductionDay)))
        }
    }
}

extension CassandraSettingsStore: SettingsStore {}
