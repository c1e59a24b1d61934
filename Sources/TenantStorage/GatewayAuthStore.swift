/// What the ingest server needs to check gateway keys: the provider's setting and each
/// gateway's stored key hash. Kept apart from ``ReadingStore`` so that the admin side's
/// gateway management can evolve without touching the write path.
public protocol GatewayAuthStore: Sendable {
    /// Whether reports must carry a gateway key (settings key `gateway_keys_required` = "true").
    func gatewayKeysRequired() async throws -> Bool

    /// The gateway's registration as far as keys are concerned.
    func gatewayKey(_ gateway: String) async throws -> GatewayKeyRecord
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
