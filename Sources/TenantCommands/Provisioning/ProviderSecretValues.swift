import TenantAuth
import TenantModel
import TenantPlan

/// The values of a provider's secrets, as tenantctl read them (environment, files). They go
/// only into the archive uploaded to the secrets volume; everything else sees digests.
/// Printing one shows names, never values.
public struct ProviderSecretValues: Sendable, Hashable, CustomStringConvertible {
    /// Value by kind; never the settings key, which is generated in the volume.
    public private(set) var values: [SecretKind: String] = [:]

    /// No secrets.
    public init() {}

    /// Sets `kind` to `value` (nil removes it).
    public subscript(kind: SecretKind) -> String? {
        get { values[kind] }
        set { values[kind] = newValue }
    }

    /// `sha256("tenantctl:<provider>:<kind>:<value>")`, first 8 hex digits, per secret.
    public func digests(provider: ProviderID) -> [SecretKind: String] {
        values.reduce(into: [:]) { digests, entry in
            digests[entry.key] = Self.digest(entry.key.digestInput(of: entry.value, provider: provider))
        }
    }

    static func digest(_ input: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        let bytes = SHA256.digest(input).prefix(SecretKind.digestLength / 2)
        return String(decoding: bytes.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    public var description: String { "secrets: " + (values.isEmpty ? "none" : values.keys.sorted().map(\.rawValue).joined(separator: ", ")) }
}
