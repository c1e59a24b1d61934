import Dispatch
import Logging
import NIOConcurrencyHelpers
import TenantAuth
import TenantStorage

/// Decides whether a report's gateway may store. The provider's ``IngestPolicy`` (key
/// policy, limits, disabled and certificate-only gateways) is cached for a few seconds and
/// refreshed only while reports arrive, so settings changes apply without a restart and an
/// idle server never reads the store. A connection's first report for a gateway also reads
/// that gateway's registration (one indexed lookup per connection and gateway); key checks
/// (yescrypt, ~60 ms) run on one serial queue, off the event loops, and each connection
/// caches what it has seen accepted.
///
/// ``check(gateway:key:certifiedGateway:)`` is the one access decision: a TLS layer that
/// verified a client certificate passes the gateway id it names as `certifiedGateway`.
final class GatewayAuthenticator: Sendable {
    enum Decision: Sendable, Equatable {
        case allowed
        /// Refused by policy (recorded for the dashboard).
        case refused(String)
        /// The store could not be asked; nothing is recorded, the gateway retries.
        case unavailable(String)
    }

    private struct Cached {
        var policy: IngestPolicy
        var fetchedAt: ContinuousClock.Instant
    }

    private let store: any GatewayAuthStore
    private let ttl: Duration
    private let logger: Logger
    private let cache = NIOLockedValueBox<(value: Cached?, refreshing: Bool)>((nil, false))
    private let hashing = DispatchQueue(label: "ingest.gateway-keys")

    init(store: any GatewayAuthStore, ttl: Duration, logger: Logger) {
        self.store = store
        self.ttl = ttl
        self.logger = logger
    }

    /// The cached policy, if any. A stale value is still returned (and a refresh started) so
    /// the hot path never waits on the database.
    func cachedPolicy() -> IngestPolicy? {
        let (value, startRefresh) = cache.withLockedValue { state -> (Cached?, Bool) in
            guard let value = state.value else { return (nil, false) }
            if ContinuousClock.now - value.fetchedAt > ttl && !state.refreshing {
                state.refreshing = true
                return (value, true)
            }
            return (value, false)
        }
        if startRefresh {
            Task { _ = try? await self.refreshPolicy() }
        }
        return value?.policy
    }

    @discardableResult
    func refreshPolicy() async throws -> IngestPolicy {
        do {
            let policy = try await store.ingestPolicy()
            cache.withLockedValue { $0 = (Cached(policy: policy, fetchedAt: .now), false) }
            return policy
        } catch {
            cache.withLockedValue { $0.refreshing = false }
            throw error
        }
    }

    /// The full check for one report's gateway: disabled, gateway limit, expected credential,
    /// key. `identity` is what a verified client certificate names (mutual TLS; nil without
    /// one): it authenticates the gateways it names instead of a key, and only those.
    func check(gateway: String, key: String?, identity: VerifiedGatewayIdentity? = nil) async -> Decision {
        if let identity, !identity.names(gateway) {
            return .refused("client certificate is for gateway \(identity), not this one")
        }
        let certified = identity != nil
        do {
            let policy = try await cachedPolicyOrFetch()
            if policy.disabled.contains(gateway) { return .refused("gateway disabled") }
            let wantsCertificate = policy.certificateOnly.contains(gateway)
            if policy.keysRequired && !certified && !wantsCertificate && (key ?? "").isEmpty { return .refused("gateway key required") }
            // The registration itself, read now rather than from the cached policy: a gateway
            // registered, disabled or set to expect a certificate a moment ago is treated so on
            // its next connection, not up to a policy lifetime later.
            let access = try await store.gatewayAccess(gateway)
            if access.disabled { return .refused("gateway disabled") }
            if case .unknownGateway = access.key {
                if policy.keysRequired && !certified { return .refused("unknown gateway") }
                if let max = policy.limits.maxGateways {
                    let count = try await store.gatewayCount()
                    if count >= max { return .refused("gateway limit reached (\(max))") }
                }
                return .allowed
            }
            if access.credential == .certificate || wantsCertificate {
                return certified ? .allowed : .refused("client certificate required")
            }
            if certified || !policy.keysRequired { return .allowed }
            guard let key, !key.isEmpty else { return .refused("gateway key required") }
            switch access.key {
            case .unknownGateway, .noKey: return .refused("no key registered for this gateway")
            case .keyHash(let hash):
                let ok = await withCheckedContinuation { continuation in
                    hashing.async { continuation.resume(returning: PasswordHasher.verify(key, against: hash)) }
                }
                return ok ? .allowed : .refused("wrong gateway key")
            }
        } catch {
            logger.error("gateway key check failed", metadata: ["error": "\(error)"])
            return .unavailable("key check unavailable, retry later")
        }
    }

    private func cachedPolicyOrFetch() async throws -> IngestPolicy {
        if let policy = cachedPolicy() { return policy }
        return try await refreshPolicy()
    }
}
