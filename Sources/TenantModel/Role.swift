/// The job of a Docker object tenantctl creates; stored in the
/// `io.tenantctl.role` label so that listing works from labels, not names.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    case ingest
    case admin
    case db
    case network
    case data
    /// The provider's secrets volume and the one-shot container that fills it.
    case secrets
}

/// The label keys of the provisioning contract.
public enum Labels {
    /// The provider an object belongs to; absent on shared objects.
    public static let provider = "io.tenantctl.provider"
    /// The object's ``Role``.
    public static let role = "io.tenantctl.role"
    /// Hash of the settings an object was created from, so a re-run with
    /// changed settings recreates only what changed.
    public static let configHash = "io.tenantctl.config-hash"
    /// The fleet (`tenantctl apply -f`) that manages the provider; absent on providers
    /// started by hand. `apply --prune` removes only providers carrying its own fleet's name.
    public static let fleet = "io.tenantctl.fleet"
}
