/// What the ingest server needs to check gateway keys: the provider's setting and each
/// gateway's stored key hash. Kept apart from ``ReadingStore`` so that the admin side's
/// gateway management can evolve without touching the write path.
public protocol GatewayAuthStore: Sendable {
    /// Whether reports must carry a gateway key (settings key `gateway_keys_required` = "true").
    func gatewayKeysRequired() async throws -> Bool

    /// The gateway's registration as far as keys are concerned.
    func gatewayKey(_ gateway: String) async throws -> GatewayKeyRecord

    /// The policy: settings, disabled and certificate-only gateways, in one read.
    func ingestPolicy() async throws -> IngestPolicy
    /// The gateway's registration: key, disabled, expected credential.
    func gatewayAccess(_ gateway: String) async throws -> GatewayAccess
    /// Gateways the provider knows (registered or seen).
    func gatewayCount() async throws -> Int
    /// Adds `refusals` to the record (attempts add up, the last attempt and reason win) and
    /// trims each kind to ``GatewayRefusal/maxRowsPerKind`` rows.
    func recordRefusals(_ refusals: [GatewayRefusal]) async throws
}

/// A gateway's key registration.
public enum GatewayKeyRecord: Sendable, Hashable {
    /// The provider has never seen this gateway.
    case unknownGateway
    /// Known, but no key was ever issued to it.
    case noKey
    /// Known, with this password hash (`PasswordHasher.hash` of the key).
    case keyHash(String)
}

/// Everything tenant-ingest decides per report without asking the store: the key policy,
/// limits, and the few gateways that need more than a key check (disabled ones, those that
/// must present a client certificate). Read in one go and cached for a few seconds.
public struct IngestPolicy: Sendable, Hashable {
    public var keysRequired: Bool
    public var limits: ProviderLimits
    /// Gateways staff disabled: refused whatever they send.
    public var disabled: Set<String>
    /// Gateways registered to authenticate with a client certificate instead of a key.
    public var certificateOnly: Set<String>

    public init(keysRequired: Bool, limits: ProviderLimits = ProviderLimits(), disabled: Set<String> = [], certificateOnly: Set<String> = []) {
        self.keysRequired = keysRequired
        self.limits = limits
        self.disabled = disabled
        self.certificateOnly = certificateOnly
    }
}

/// A gateway's registration as the access check needs it.
public struct GatewayAccess: Sendable, Hashable {
    public var key: GatewayKeyRecord
    public var disabled: Bool
    public var credential: GatewayCredential?

    public init(key: GatewayKeyRecord, disabled: Bool = false, credential: GatewayCredential? = nil) {
        self.key = key
        self.disabled = disabled
        self.credential = credential
    }
}

/// Defaults for stores that know only keys (and test fakes).
extension GatewayAuthStore {
    /// Stores that know only keys: the key policy alone.
    public func ingestPolicy() async throws -> IngestPolicy {
        IngestPolicy(keysRequired: try await gatewayKeysRequired())
    }

    /// Stores that know only keys: the key record alone.
    public func gatewayAccess(_ gateway: String) async throws -> GatewayAccess {
        GatewayAccess(key: try await gatewayKey(gateway))
    }

    /// Stores that cannot count: no limit can be enforced, so report none.
    public func gatewayCount() async throws -> Int { 0 }

    /// Stores that keep no record of refusals drop them.
    public func recordRefusals(_ refusals: [GatewayRefusal]) async throws {}
}
