/// The admin panel's view of a provider's keyspace, split by concern. Every call is a
/// key lookup or a per-gateway time-range read, so a Cassandra keyspace can serve it
/// as well as the embedded SQLite file.
public typealias AdminStore = CustomerStore & GatewayDirectory & StaffStore & SettingsStore & OutboxStore & PowerRollupStore & AlertStateStore
    & GatewayOperationsStore & AlarmStore

/// Customers of the provider.
public protocol CustomerStore: Sendable {
    /// Every customer, by name.
    func customers() async throws -> [Customer]
    func customer(id: Int64) async throws -> Customer?
    func createCustomer(_ draft: CustomerDraft, at: EpochMillis) async throws -> Customer
    /// False when no such customer exists.
    func updateCustomer(id: Int64, _ draft: CustomerDraft) async throws -> Bool
    /// Deletes the customer; its gateways become unassigned. False when no such customer exists.
    func deleteCustomer(id: Int64) async throws -> Bool
}

/// The gateways the provider knows (registered by ingest on first contact).
public protocol GatewayDirectory: Sendable {
    /// Every gateway, by id.
    func gateways() async throws -> [GatewayInfo]
    func gateway(id: String) async throws -> GatewayInfo?
    /// Assigns (or with nil, unassigns) a gateway to a customer and names its site.
    /// False when the gateway or the customer does not exist.
    func assign(gateway: String, customer: Int64?, site: String?) async throws -> Bool
    /// Stores a gateway key's slow hash, or removes the key with nil. False for an unknown gateway.
    func setKeyHash(gateway: String, hash: String?) async throws -> Bool
    /// The newest reading of each sensor of `gateway` measured at or after `since`.
    func latestReadings(gateway: String, since: EpochMillis) async throws -> [Reading]
    /// ``latestReadings(gateway:since:)`` for several gateways in one call (the dashboard's
    /// read; a keyspace answers it with one partition read per gateway).
    func latestReadings(gateways: [String], since: EpochMillis) async throws -> [String: [Reading]]
}

/// Staff accounts, their API tokens and browser sessions.
public protocol StaffStore: Sendable {
    func staffAccounts() async throws -> [StaffAccount]
    func staffAccount(name: String) async throws -> StaffAccount?
    /// False when the name is taken.
    func createStaff(name: String, passwordHash: String, role: StaffRole, at: EpochMillis) async throws -> Bool
    /// Removes the account with its sessions. False when it did not exist.
    func deleteStaff(name: String) async throws -> Bool
    func setPassword(name: String, passwordHash: String) async throws -> Bool
    /// Stores the SHA-256 of the account's API token (nil revokes it).
    func setAPITokenHash(name: String, hash: String?) async throws -> Bool
    /// The account whose API token hashes to `hash`.
    func staffAccount(apiTokenHash hash: String) async throws -> StaffAccount?
    func createSession(_ session: StaffSession) async throws
    /// The session with that id hash, if it has not expired at `now`.
    func session(idHash: String, now: EpochMillis) async throws -> StaffSession?
    func deleteSession(idHash: String) async throws
    /// Ends every session of `staff` (after a password change or removal).
    func deleteSessions(staff: String) async throws
}

/// The provider's settings: string keys and values shared with the ingest server.
public protocol SettingsStore: Sendable {
    func settings() async throws -> [String: String]
    func setting(_ key: String) async throws -> String?
    func setSettings(_ values: [String: String]) async throws
}

/// Mails to send, stored so that each is sent once across restarts and SMTP outages.
public protocol OutboxStore: Sendable {
    /// Queues `mail` unless one with the same dedupe key exists; returns whether it was queued.
    func enqueue(_ mail: OutboxMail) async throws -> Bool
    /// Unsent mails whose next attempt is due at `now`, oldest first.
    func dueMails(now: EpochMillis, limit: Int) async throws -> [OutboxMail]
    func markSent(id: Int64, at: EpochMillis) async throws
    func markFailed(id: Int64, error: String, nextAttemptAt: EpochMillis) async throws
    /// Unsent mails that have failed at least `minAttempts` times.
    func failingMails(minAttempts: Int) async throws -> [OutboxMail]
    /// Counts of unsent and sent mails.
    func outboxCounts() async throws -> (pending: Int, sent: Int)
}

/// Hourly power/energy aggregates per gateway, maintained lazily for closed hours so
/// that month charts and reports do not scan raw readings.
public protocol PowerRollupStore: Sendable {
    /// Hourly buckets of `gateway` with `from <= hour < to`; hours not rolled up yet are
    /// computed from raw readings. `from` and `to` are rounded down to whole hours.
    func hourly(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [HourBucket]
    /// Total energy (Wh) per gateway over the hours in `[from, to)`, as ``hourly(gateway:from:to:)`` sums it.
    func energy(gateways: [String], from: EpochMillis, to: EpochMillis) async throws -> [String: Double]
    /// Rolls up the closed hours of `gateway` (those ending before its newest reading
    /// minus a grace period for late data); returns how many hours were written.
    @discardableResult
    func refreshRollup(gateway: String) async throws -> Int
    /// Per-instant total power of `gateway` (summed over sensors) for `from <= at < to`.
    func powerSeries(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [(at: EpochMillis, power: Double)]
}

/// What the alert monitor remembers between runs.
public protocol AlertStateStore: Sendable {
    func alertStates() async throws -> [String: GatewayAlertState]
    func setAlertState(_ state: GatewayAlertState) async throws
}

/// A store that keeps caches it can give back after a burst of work (the first rollup of
/// a year of readings fills every connection's page cache), so an idle app stays small.
public protocol MemoryReleasing: Sendable {
    func releaseMemory() async
}

extension StaffStore {
    /// An admin account (the first account, and what accounts were before roles).
    public func createStaff(name: String, passwordHash: String, at: EpochMillis) async throws -> Bool {
        try await createStaff(name: name, passwordHash: passwordHash, role: .admin, at: at)
    }
}
