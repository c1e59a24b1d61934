import TenantModel
import TenantStorage

/// The store belongs to another provider than the one this app serves.
public struct StoreClaimError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Marks the store as `provider`'s on first use (settings key `provider_id`) and refuses a
/// store marked for another provider, so that a mistyped `--store` cannot show one
/// provider's data in another provider's panel.
public func claimStore(_ store: any SettingsStore, for provider: ProviderID) async throws {
    switch try await store.setting("provider_id") {
    case .none:
        try await store.setSettings(["provider_id": provider.rawValue])
    case .some(let owner) where owner != provider.rawValue:
        throw StoreClaimError(description: "store belongs to provider '\(owner)', not '\(provider)': each provider's app serves only its own store")
    default:
        break
    }
}
