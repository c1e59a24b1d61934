/// How a registered gateway proves who it is.
public enum GatewayCredential: String, Sendable, Hashable, Codable, CaseIterable {
    /// A generated key the gateway sends as its reports' `key` attribute (stored as a slow hash).
    case key
    /// A client certificate naming the gateway (mutual TLS); it sends no key.
    case certificate
}

/// A gateway that staff register before its first contact.
public struct GatewayRegistration: Sendable, Hashable {
    public var id: String
    public var customerID: Int64?
    public var site: String?
    public var credential: GatewayCredential
    /// The key's slow hash (`PasswordHasher.hash`) when ``credential`` is ``GatewayCredential/key``.
    public var keyHash: String?

    public init(id: String, customerID: Int64? = nil, site: String? = nil, credential: GatewayCredential, keyHash: String? = nil) {
        self.id = id
        self.customerID = customerID
        self.site = site
        self.credential = credential
        self.keyHash = keyHash
    }
}

/// What registering a gateway did.
public enum GatewayRegistrationResult: Sendable, Hashable {
    case registered
    /// A gateway with that id exists (registered before, or it reported already).
    case exists
    /// The customer named does not exist.
    case unknownCustomer
    /// The provider has this many gateways: its maximum.
    case limitReached(Int)
}

/// One refused or rate-limited gateway as tenant-ingest records it: one row per (kind,
/// gateway) with a count and the last attempt, so a flood adds no rows for a known id.
public struct GatewayRefusal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Not allowed to store: no key registered, wrong key, disabled, gateway limit.
        case refused
        /// Over the provider's readings rate: answered `nack code="rate-limited"`.
        case rateLimited = "rate-limited"
    }

    public var kind: Kind
    public var gateway: String
    /// The last reason given (the nack's reason).
    public var reason: String
    public var attempts: Int
    public var lastAttempt: EpochMillis

    public init(kind: Kind, gateway: String, reason: String, attempts: Int, lastAttempt: EpochMillis) {
        self.kind = kind
        self.gateway = gateway
        self.reason = reason
        self.attempts = attempts
        self.lastAttempt = lastAttempt
    }

    /// Rows each kind keeps at most: the oldest go first, so random ids cannot grow the store.
    public static let maxRowsPerKind = 200
}

/// Gateway management beyond what ingest's first contact does: registration, disabling,
/// deletion, and what ingest recorded about refused and rate-limited gateways.
public protocol GatewayOperationsStore: Sendable {
    /// Registers a gateway that has not reported yet. `maxGateways` (nil: no limit) counts
    /// every gateway the provider knows.
    func register(_ registration: GatewayRegistration, maxGateways: Int?, at: EpochMillis) async throws -> GatewayRegistrationResult
    /// Disables (ingest refuses its reports) or enables a gateway. False for an unknown gateway.
    func setDisabled(gateway: String, _ disabled: Bool) async throws -> Bool
    /// Removes a gateway; with `purgeReadings` its readings and rollups go too (in small
    /// batches), otherwise they stay and reappear if the gateway registers again. False for
    /// an unknown gateway.
    func deleteGateway(_ id: String, purgeReadings: Bool) async throws -> Bool
    /// Recorded refusals of `kind` at or after `since`, newest first.
    func refusals(kind: GatewayRefusal.Kind, since: EpochMillis, limit: Int) async throws -> [GatewayRefusal]
    /// Forgets the refusals of `gateway` (after staff registered or fixed it).
    func clearRefusals(gateway: String) async throws
    /// The store's size and the oldest raw reading it keeps.
    func storeStatistics() async throws -> StoreStatistics
}

/// How big a store is and how far back it reaches.
public struct StoreStatistics: Sendable, Hashable {
    /// Bytes on disk (SQLite: database plus WAL; Cassandra: one copy, estimated), nil when
    /// the store cannot tell.
    public var sizeBytes: Int64?
    /// Whether `sizeBytes` is the store's estimate rather than a count.
    public var sizeIsEstimate: Bool
    /// The oldest raw reading kept, nil when there is none (or it is unknown).
    public var oldestReading: EpochMillis?

    public init(sizeBytes: Int64?, sizeIsEstimate: Bool = false, oldestReading: EpochMillis?) {
        self.sizeBytes = sizeBytes
        self.sizeIsEstimate = sizeIsEstimate
        self.oldestReading = oldestReading
    }
}

/// The per-provider limits and retention, stored in the settings table shared by both
/// servers (keys below). Missing, zero or unreadable values mean "no limit" / "keep forever".
public struct ProviderLimits: Sendable, Hashable {
    /// Settings keys.
    public enum Key {
        public static let maxGateways = "max_gateways"
        public static let readingsPerSecond = "gateway_readings_per_second"
        public static let readingsBurst = "gateway_readings_burst"
        public static let retentionDays = "retention_days"
        public static let rollupRetentionDays = "rollup_retention_days"
    }

    /// Gateways the provider may have; nil: unlimited.
    public var maxGateways: Int?
    /// Sustained readings per second per gateway; nil: unlimited.
    public var readingsPerSecond: Double?
    /// Readings a gateway may send at once above the rate (the bucket size); defaults to
    /// five seconds' worth.
    public var readingsBurst: Double?
    /// Days raw readings are kept; nil: forever.
    public var retentionDays: Int?
    /// Days hourly rollups are kept; nil: forever.
    public var rollupRetentionDays: Int?

    public init(maxGateways: Int? = nil, readingsPerSecond: Double? = nil, readingsBurst: Double? = nil, retentionDays: Int? = nil, rollupRetentionDays: Int? = nil) {
        self.maxGateways = maxGateways
        self.readingsPerSecond = readingsPerSecond
        self.readingsBurst = readingsBurst
        self.retentionDays = retentionDays
        self.rollupRetentionDays = rollupRetentionDays
    }

    /// Limits from stored settings; unreadable values count as unset.
    public init(stored: [String: String]) {
        func positive(_ key: String) -> Int? { stored[key].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        func rate(_ key: String) -> Double? { stored[key].flatMap { Double($0) }.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } }
        maxGateways = positive(Key.maxGateways)
        readingsPerSecond = rate(Key.readingsPerSecond)
        readingsBurst = rate(Key.readingsBurst)
        retentionDays = positive(Key.retentionDays)
        rollupRetentionDays = positive(Key.rollupRetentionDays)
    }

    /// The values to store ("0" for unset, so that saving clears an earlier value).
    public var stored: [String: String] {
        func number(_ value: Double?) -> String {
            guard let value else { return "0" }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        return [
            Key.maxGateways: String(maxGateways ?? 0),
            Key.readingsPerSecond: number(readingsPerSecond),
            Key.readingsBurst: number(readingsBurst),
            Key.retentionDays: String(retentionDays ?? 0),
            Key.rollupRetentionDays: String(rollupRetentionDays ?? 0),
        ]
    }

    /// The bucket size in effect: the burst, else five seconds at the rate (at least 1).
    public var effectiveBurst: Double? {
        guard let readingsPerSecond else { return nil }
        return max(readingsBurst ?? readingsPerSecond * 5, 1)
    }

    /// Hours rollups are kept, as a cutoff in ms before now; nil: forever. Never shorter than
    /// raw readings' retention: rollups are made from them.
    public var rollupRetentionMillis: EpochMillis? {
        guard let rollup = rollupRetentionDays else { return nil }
        return EpochMillis(max(rollup, retentionDays ?? 0)) * 86_400_000
    }

    /// Raw readings' retention in ms; nil: forever.
    public var retentionMillis: EpochMillis? { retentionDays.map { EpochMillis($0) * 86_400_000 } }
}
