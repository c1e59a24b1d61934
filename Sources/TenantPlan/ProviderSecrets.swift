import DockerAPI
import TenantModel
import TenantSecrets

/// A secret tenantctl writes into a provider's secrets volume, one file each.
public enum SecretKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Cassandra login name.
    case cassandraUsername = "cassandra-username"
    /// Cassandra password.
    case cassandraPassword = "cassandra-password"
    /// Password of the platform SMTP relay.
    case smtpPassword = "smtp-password"
    /// The key sealing the secrets the admin app stores (its staff's mail password). Generated
    /// once per provider and kept in the volume: never replaced, since the store needs it.
    case settingsKey = "settings-key"
    /// The ingest server's TLS certificate chain (PEM): generated from the provider's gateway
    /// CA, or the user's `--gateway-tls-cert-file`.
    case gatewayTLSCertificate = "gateway-tls-cert"
    /// Its private key (PEM).
    case gatewayTLSKey = "gateway-tls-key"
    /// The provider's gateway CA certificate (PEM): what gateways trust (`tenantctl gateway-ca`)
    /// and what signs gateways' client certificates (mutual TLS). Generated once, never replaced.
    case gatewayCACertificate = "gateway-ca-cert"
    /// The CA's private key: given to no server (no variable names it), kept for issuing.
    case gatewayCAKey = "gateway-ca-key"

    /// The file name in the secrets volume.
    public var fileName: String { rawValue }
    /// The file's path inside the containers.
    public var path: String { "\(ProviderNames.secretsMountPath)/\(fileName)" }
    /// The variable the servers read it as; the container gets `<name>_FILE=<path>`.
    public var environmentName: String {
        switch self {
        case .cassandraUsername: return SecretName.cassandraUsername
        case .cassandraPassword: return SecretName.cassandraPassword
        case .smtpPassword: return SecretName.smtpPassword
        case .settingsKey: return SecretName.settingsKey
        // The ingest server reads these as TENANT_TLS_CERT_FILE, _KEY_FILE, _CLIENT_CA_FILE.
        case .gatewayTLSCertificate: return "TENANT_TLS_CERT"
        case .gatewayTLSKey: return "TENANT_TLS_KEY"
        case .gatewayCACertificate: return "TENANT_TLS_CLIENT_CA"
        case .gatewayCAKey: return "TENANT_GATEWAY_CA_KEY"
        }
    }
    /// The containers that read it.
    public var roles: Set<Role> {
        switch self {
        case .cassandraUsername, .cassandraPassword: return [.ingest, .admin]
        case .smtpPassword, .settingsKey: return [.admin]
        case .gatewayTLSCertificate, .gatewayTLSKey, .gatewayCACertificate: return [.ingest]
        case .gatewayCAKey: return []
        }
    }

    /// Generated once in the volume and never replaced or emptied by a later run.
    public var isKeptInVolume: Bool {
        switch self {
        case .settingsKey, .gatewayCACertificate, .gatewayCAKey: return true
        default: return false
        }
    }

    public static func < (lhs: SecretKind, rhs: SecretKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The text SHA-256 digests for ``PlanLabels/secretPrefix`` labels and `status`: the
    /// provider and the secret's name go in first, so equal passwords of two providers or two
    /// secrets do not show equal digests. SHA-256 itself is computed by the caller (TenantPlan
    /// does no hashing): `sha256("tenantctl:<provider>:<kind>:<value>")`, first 8 hex digits.
    public func digestInput(of value: String, provider: ProviderID) -> [UInt8] {
        Array("tenantctl:\(provider):\(rawValue):\(value)".utf8)
    }

    /// Hex digits of a digest kept in labels and shown by `status`.
    public static let digestLength = 8
}

/// The platform SMTP relay given to every admin container (`start-provider --smtp-url`).
/// Its password is a secret (``SecretKind/smtpPassword``), never part of this value.
public struct SMTPRelay: Sendable, Hashable {
    /// `smtp://HOST[:PORT]` or `smtps://HOST[:PORT]`.
    public var url: String
    /// Login name, if the relay wants one.
    public var user: String?
    /// Sender address of the mails.
    public var from: String
    /// Refuse to send over `smtp://` without STARTTLS.
    public var requireTLS: Bool

    /// Creates a relay.
    public init(url: String, user: String?, from: String, requireTLS: Bool = false) {
        self.url = url
        self.user = user
        self.from = from
        self.requireTLS = requireTLS
    }

    /// The admin container's environment for it (no secret in it).
    var environment: [String] {
        ["TENANT_SMTP_URL=\(url)", "TENANT_MAIL_FROM=\(from)"] + (user.map { ["TENANT_SMTP_USER=\($0)"] } ?? [])
            + (requireTLS ? ["TENANT_SMTP_REQUIRE_TLS=1"] : [])
    }
}

/// TLS on a provider's gateway port (`start-provider --gateway-tls`).
public struct GatewayTLSPlan: Sendable, Hashable {
    /// `optional` or `required` (off is no plan).
    public var mode: String
    /// The server certificate is issued by the provider's own CA (else the user's files).
    public var generated: Bool
    /// Names and addresses in a generated server certificate.
    public var hosts: [String]

    public init(mode: String, generated: Bool, hosts: [String] = GatewayTLSPlan.defaultHosts) {
        self.mode = mode
        self.generated = generated
        self.hosts = hosts
    }

    /// Names a generated certificate covers when `--gateway-tls-host` is not given.
    public static let defaultHosts = ["localhost", "127.0.0.1"]

    /// The ``PlanLabels/gatewayTLS`` label: all of it, so any change recreates the ingest container.
    public var label: String {
        "\(mode) " + (generated ? "generated hosts=\(hosts.joined(separator: ","))" : "files")
    }

    /// Digest label values of a generated CA and certificate: their content is made in the
    /// volume and never seen by the plan.
    public static let generatedDigest = "generated"
}

extension ProviderSettings {
    /// The secrets the container of `role` reads, sorted: those with a digest, and for the
    /// admin app always its settings key.
    public func secrets(for role: Role) -> [SecretKind] {
        var kinds = Set(secretDigests.keys)
        if role == .admin { kinds.insert(.settingsKey) }
        return kinds.filter { $0.roles.contains(role) }.sorted()
    }
}

/// The secrets volume, the one-shot container that fills it, and what secrets add to a
/// server container's create request: files, never values.
public enum SecretsPlan {
    /// The provider's secrets volume (role `secrets`): apart from the data volume, so a data
    /// backup never holds the key that opens the secrets sealed in the data.
    public static func volume(_ id: ProviderID, fleet: String? = nil) -> VolumeCreateRequest {
        VolumeCreateRequest(Name: ProviderNames.secretsVolume(id), Driver: "local", Labels: Planner.labels(id, .secrets, fleet: fleet))
    }

    /// The one-shot container through which tenantctl writes the secrets volume with
    /// `PUT /containers/{id}/archive`: created, never started, removed right after. The engine
    /// mounts a stopped container's volumes for archive calls, so this needs no host path and
    /// works against a remote engine. No network, nothing to run.
    public static func filler(_ settings: ProviderSettings) -> ContainerCreateRequest {
        ContainerCreateRequest(
            Image: settings.image, Cmd: ["true"], Labels: Planner.labels(settings.id, .secrets, fleet: settings.fleet), Tty: false,
            HostConfig: HostConfig(
                Mounts: [Mount(Type: "volume", Source: ProviderNames.secretsVolume(settings.id), Target: ProviderNames.secretsMountPath, ReadOnly: false)],
                NetworkMode: "none"))
    }

    /// For each secret `role` reads: `<NAME>_FILE=<path>` and a digest label, plus the secrets
    /// volume mounted read-only; for the admin app, the platform mail relay's settings.
    static func add(
        _ settings: ProviderSettings, role: Role, mounts: inout [Mount]?, environment: inout [String], labels: inout [String: String]
    ) {
        let kinds = settings.secrets(for: role)
        if !kinds.isEmpty {
            mounts = (mounts ?? []) + [
                Mount(Type: "volume", Source: ProviderNames.secretsVolume(settings.id), Target: ProviderNames.secretsMountPath, ReadOnly: true)
            ]
        }
        for kind in kinds {
            environment.append("\(SecretName.fileVariable(kind.environmentName))=\(kind.path)")
            labels[PlanLabels.secretPrefix + kind.rawValue] = settings.secretDigests[kind] ?? ""
        }
        if role == .admin, let relay = settings.smtpRelay { environment += relay.environment }
    }
}
