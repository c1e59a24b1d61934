/// The project's version, which is also the tag of the image tenantctl starts by default.
public enum TenantctlVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
    /// The image carrying tenant-ingest and tenant-admin that `start-provider` uses by default.
    public static let defaultImage = "tenantctl:\(current)"
}
