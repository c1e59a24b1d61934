/// A provider's customer: the owner of one or more gateways.
public struct Customer: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var email: String?
    public var address: String?
    /// Who receives this customer's report and alert mails.
    public var recipients: [String]
    public var createdAt: EpochMillis

    public init(id: Int64, name: String, email: String? = nil, address: String? = nil, recipients: [String] = [], createdAt: EpochMillis) {
        self.id = id
        self.name = name
        self.email = email
        self.address = address
        self.recipients = recipients
        self.createdAt = createdAt
    }
}

/// The editable fields of a customer.
public struct CustomerDraft: Sendable, Hashable, Codable {
    public var name: String
    public var email: String?
    public var address: String?
    public var recipients: [String]

    public init(name: String, email: String? = nil, address: String? = nil, recipients: [String] = []) {
        self.name = name
        self.email = email
        self.address = address
        self.recipients = recipients
    }
}

/// One gateway as the directory knows it.
public struct GatewayInfo: Sendable, Hashable, Codable {
    public var id: String
    /// Nil while unassigned.
    public var customerID: Int64?
    public var site: String?
    /// Whether a gateway key has been issued (the hash itself never leaves the store layer's callers).
    public var hasKey: Bool
    /// 0 for a gateway staff registered that has not reported yet (also `lastSeen`).
    public var firstSeen: EpochMillis
    public var lastSeen: EpochMillis
    /// Staff disabled it: ingest refuses its reports.
    public var disabled: Bool
    /// The credential staff registered it with; nil for gateways registered by first contact.
    public var credential: GatewayCredential?

    public init(
        id: String, customerID: Int64?, site: String?, hasKey: Bool, firstSeen: EpochMillis, lastSeen: EpochMillis,
        disabled: Bool = false, credential: GatewayCredential? = nil
    ) {
        self.id = id
        self.customerID = customerID
        self.site = site
        self.hasKey = hasKey
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.disabled = disabled
        self.credential = credential
    }

    /// Whether it has reported at least once (a registered gateway has not, until it does).
    public var hasReported: Bool { lastSeen > 0 }
}

/// A staff account of the admin panel.
public struct StaffAccount: Sendable, Hashable {
    public var name: String
    /// A slow (yescrypt) hash of the password.
    public var passwordHash: String
    public var createdAt: EpochMillis
    /// Whether the account has an API token.
    public var hasAPIToken: Bool
    /// What the account may see and change.
    public var role: StaffRole

    public init(name: String, passwordHash: String, createdAt: EpochMillis, hasAPIToken: Bool, role: StaffRole = .admin) {
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.hasAPIToken = hasAPIToken
        self.role = role
    }
}

/// What a panel login may do. Stored as a name (`admin`, `viewer`, `customer`) and, for
/// customer logins, the customer's id.
public enum StaffRole: Sendable, Hashable {
    /// The provider's staff who run it: everything.
    case admin
    /// Staff who watch: every page and API read, no change but their own password.
    case viewer
    /// One customer's own login: that customer's sites, gateways and reports, nothing else.
    case customer(Int64)

    /// The stored name.
    public var name: String {
        switch self {
        case .admin: "admin"
        case .viewer: "viewer"
        case .customer: "customer"
        }
    }

    public var customerID: Int64? { if case .customer(let id) = self { id } else { nil } }

    /// The role stored as `name` (and `customerID` for customer logins); nil for anything else,
    /// which signs no one in rather than guessing.
    public init?(name: String, customerID: Int64?) {
        switch (name, customerID) {
        case ("admin", _): self = .admin
        case ("viewer", _): self = .viewer
        case ("customer", let id?): self = .customer(id)
        default: return nil
        }
    }
}

/// A signed-in browser session. Only a hash of the cookie value is stored.
public struct StaffSession: Sendable, Hashable {
    public var idHash: String
    public var staff: String
    public var createdAt: EpochMillis
    public var expiresAt: EpochMillis

    public init(idHash: String, staff: String, createdAt: EpochMillis, expiresAt: EpochMillis) {
        self.idHash = idHash
        self.staff = staff
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One mail waiting in (or sent from) the outbox.
public struct OutboxMail: Sendable, Hashable {
    public var id: Int64
    /// Unique per logical mail ("report:7:2026-11-24"): enqueueing it twice stores it once.
    public var dedupeKey: String
    public var recipients: [String]
    public var subject: String
    public var textBody: String
    public var htmlBody: String
    public var createdAt: EpochMillis
    public var attempts: Int
    public var nextAttemptAt: EpochMillis
    public var sentAt: EpochMillis?
    public var lastError: String?

    public init(
        id: Int64 = 0, dedupeKey: String, recipients: [String], subject: String, textBody: String, htmlBody: String,
        createdAt: EpochMillis, attempts: Int = 0, nextAttemptAt: EpochMillis? = nil, sentAt: EpochMillis? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.dedupeKey = dedupeKey
        self.recipients = recipients
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt ?? createdAt
        self.sentAt = sentAt
        self.lastError = lastError
    }
}

/// The rules every store's hourly rollup follows, so that SQLite and Cassandra compute the
/// same hours (docs/admin.md, "Energy").
public enum RollupRules {
    public static let hourMillis: EpochMillis = 3_600_000
    /// An instant's power counts until the next instant, for at most this long, so that gaps
    /// do not count as production.
    public static let stepCap: EpochMillis = 600_000
    /// What the newest instant of all counts, with no next instant to end it.
    public static let lastStep: EpochMillis = 60_000
    /// Default: an hour closes (is rolled up) once the gateway's newest reading is this far
    /// past its end. The Cassandra ingest side marks late readings with the same value.
    public static let defaultGrace: EpochMillis = 15 * 60_000

    /// The start of the hour containing `t` (also before 1970).
    public static func floorHour(_ t: EpochMillis) -> EpochMillis {
        let r = t % hourMillis
        return r >= 0 ? t - r : t - r - hourMillis
    }
}

/// One hour of one gateway's output, summed over its sensors.
public struct HourBucket: Sendable, Hashable {
    /// Start of the hour, UTC ms.
    public var hour: EpochMillis
    /// Distinct reading instants in the hour.
    public var samples: Int
    /// Mean total power over those instants, W.
    public var meanPower: Double
    /// Highest total power at one instant, W.
    public var peakPower: Double
    /// Energy in the hour, Wh: from the sensors' energy counters when they report them,
    /// otherwise power integrated over time.
    public var energy: Double
    /// Each sensor's mean power in the hour, W (empty for hours rolled up before rollups kept it).
    public var sensorMeans: [String: Double]

    public init(hour: EpochMillis, samples: Int, meanPower: Double, peakPower: Double, energy: Double, sensorMeans: [String: Double] = [:]) {
        self.hour = hour
        self.samples = samples
        self.meanPower = meanPower
        self.peakPower = peakPower
        self.energy = energy
        self.sensorMeans = sensorMeans
    }
}

/// Whether the alert monitor last saw a gateway as offline.
public struct GatewayAlertState: Sendable, Hashable {
    public var gateway: String
    public var offline: Bool
    /// The last local day (yyyy-mm-dd) a low-production alert was queued for.
    public var lowProductionDay: String?

    public init(gateway: String, offline: Bool, lowProductionDay: String?) {
        self.gateway = gateway
        self.offline = offline
        self.lowProductionDay = lowProductionDay
    }
}
