import Dispatch
import Logging
import NIOConcurrencyHelpers
import TenantAuth
import TenantStorage

/// Decides whether a report's gateway may store: the provider-wide key policy is cached
/// for a few seconds; key checks (yescrypt, ~60 ms) run on one serial queue, off the
/// event loops, and each connection caches the keys it has seen accepted.
final class GatewayAuthenticator: Sendable {
    enum Decision: Sendable, Equatable {
        case allowed
        case refused(String)
    }

    private struct Policy {
        var required: Bool
        var fetchedAt: ContinuousClock.Instant
    }

    private let store: any GatewayAuthStore
    private let ttl: Duration
    private let logger: Logger
    private let policy = NIOLockedValueBox<(value: Policy?, refreshing: Bool)>((nil, false))
    private let hashing = DispatchQueue(label: "ingest.gateway-keys")

    init(store: any GatewayAuthStore, ttl: Duration, logger: Logger) {
        self.store = store
        self.ttl = ttl
        self.logger = logger
    }

    /// The cached policy, if any: whether keys are required. A stale value is still
    /// returned (and a refresh started) so the hot path never waits on the database.
    func cachedKeysRequired() -> Bool? {
        let (value, startRefresh) = policy.withLockedValue { state -> (Policy?, Bool) in
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
        return value?.required
    }

    @discardableResult
    func refreshPolicy() async throws -> Bool {
        do {
            let required = try await store.gatewayKeysRequired()
            policy.withLockedValue { $0 = (Policy(required: required, fetchedAt: .now), false) }
            return required
        } catch {
            policy.withLockedValue { $0.refreshing = false }
            throw error
        }
    }

    /// The full check for one report's gateway: by its verified client certificate when
    /// the connection has one (mutual TLS), else by its key under the provider's policy.
    func check(gateway: String, key: String?, identity: VerifiedGatewayIdentity? = nil) async -> Decision {
        if let identity {
            // The certificate, not a key, authenticates. Gateway registration (expected
            // certificate, disabled gateways) is to be checked here as well.
            return identity.names(gateway) ? .allowed : .refused("client certificate is for gateway \(identity), not this one")
        }
        do {
            let required = try await cachedKeysRequiredOrFetch()
            guard required else { return .allowed }
            guard let key, !key.isEmpty else { return .refused("gateway key required") }
            switch try await store.gatewayKey(gateway) {
            case .unknownGateway: return .refused("unknown gateway")
            case .noKey: return .refused("no key registered for this gateway")
            case .keyHash(let hash):
                let ok = await withCheckedContinuation { continuation in
                    hashing.async { continuation.resume(returning: PasswordHasher.verify(key, against: hash)) }
                }
                return ok ? .allowed : .refused("wrong gateway key")
            }
        } catch {
            logger.error("gateway key check failed", metadata: ["error": "\(error)"])
            return .refused("key check unavailable, retry later")
        }
    }

    private func cachedKeysRequiredOrFetch() async throws -> Bool {
        if let required = cachedKeysRequired() { return required }
        return try await refreshPolicy()
    }
}
