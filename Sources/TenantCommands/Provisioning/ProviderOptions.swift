import ArgumentParser
import TenantModel
import TenantPlan
import TenantSecrets

/// Data store kinds for `--store`.
public enum StoreKind: String, ExpressibleByArgument, Sendable, CaseIterable {
    /// One SQLite file per provider on its data volume.
    case sqlite
    /// A Cassandra keyspace per provider.
    case cassandra
}

/// The settings `start-provider` and `plan` share.
public struct ProviderOptions: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("Provider id: [a-z][a-z0-9_]{0,47}.", valueName: "ID"))
    public var id: String

    @Option(help: ArgumentHelp("Host port for the gateway protocol (default: kept, else the next free from 6001).", valueName: "N"))
    public var gatewayPort: Int?

    @Option(help: ArgumentHelp("Host port for the admin web app (default: kept, else the next free from 8081).", valueName: "N"))
    public var adminPort: Int?

    @Option(help: ArgumentHelp("Image carrying tenant-ingest and tenant-admin [environment: TENANTCTL_IMAGE].", valueName: "REF"))
    public var image: String?

    @Option(help: "Data store of the provider.")
    public var store: StoreKind = .sqlite

    @Option(
        name: .customLong("cassandra"),
        help: ArgumentHelp(
            "Cassandra contact point (repeat or comma-separate; needs --store cassandra). Without it, --store cassandra uses the shared container of `tenantctl db start`.",
            valueName: "HOST:PORT"))
    public var cassandra: [String] = []

    @Option(
        help: ArgumentHelp(
            "File holding the Cassandra password (needs --store cassandra) [environment: TENANT_CASSANDRA_PASSWORD; login name: TENANT_CASSANDRA_USERNAME].",
            valueName: "PATH"))
    public var cassandraPasswordFile: String?

    @Option(help: ArgumentHelp("Platform SMTP relay for every admin app, smtp://HOST[:PORT] or smtps://HOST[:PORT]; a provider's own server in its settings wins.", valueName: "URL"))
    public var smtpURL: String?

    @Option(help: ArgumentHelp("Login name at the SMTP relay.", valueName: "NAME"))
    public var smtpUser: String?

    @Option(help: ArgumentHelp("File holding the SMTP relay's password [environment: TENANT_SMTP_PASSWORD].", valueName: "PATH"))
    public var smtpPasswordFile: String?

    @Option(help: ArgumentHelp("Sender address of mails sent through the relay (needed with --smtp-url).", valueName: "ADDRESS"))
    public var mailFrom: String?

    @Flag(help: "Refuse to send through an smtp:// relay without STARTTLS.")
    public var smtpRequireTLS = false

    @Option(help: ArgumentHelp("TLS on the gateway port: off, optional (TLS or plain on the same port) or required. Without certificate files, tenantctl makes the provider a gateway CA and a server certificate (kept in its secrets volume; `tenantctl gateway-ca ID` prints the CA).", valueName: "MODE"))
    public var gatewayTls: String = "off"

    @Option(help: ArgumentHelp("Your own PEM certificate chain for the gateway port instead of a generated one (needs --gateway-tls-key-file).", valueName: "PATH"))
    public var gatewayTlsCertFile: String?

    @Option(help: ArgumentHelp("The PEM private key of --gateway-tls-cert-file.", valueName: "PATH"))
    public var gatewayTlsKeyFile: String?

    @Option(help: ArgumentHelp("A DNS name or IP address gateways dial, for the generated server certificate (repeat; default localhost and 127.0.0.1).", valueName: "HOST"))
    public var gatewayTlsHost: [String] = []

    @Option(help: ArgumentHelp("Memory limit per container (512m, 1g).", valueName: "SIZE"))
    public var memory: String = "512m"

    @Option(help: ArgumentHelp("CPU limit per container (1, 0.5).", valueName: "N"))
    public var cpus: String = "1"

    @OptionGroup public var subnets: SubnetPoolOption

    public init() {}

    public mutating func validate() throws {
        _ = try providerID()
        try PortNumber.validate("--gateway-port", gatewayPort)
        try PortNumber.validate("--admin-port", adminPort)
        if let gatewayPort, gatewayPort == adminPort { throw ValidationError("--gateway-port and --admin-port must differ") }
        if ResourceParsing.memoryBytes(memory) == nil { throw ValidationError("--memory '\(memory)' is not a size of at least 6m (e.g. 512m, 1g)") }
        if ResourceParsing.nanoCPUs(cpus) == nil { throw ValidationError("--cpus '\(cpus)' is not a positive number (e.g. 1, 0.5)") }
        _ = try storeChoice()
        guard ["off", "optional", "required"].contains(gatewayTls) else {
            throw ValidationError("--gateway-tls '\(gatewayTls)' is not off, optional or required")
        }
        if (gatewayTlsCertFile == nil) != (gatewayTlsKeyFile == nil) {
            throw ValidationError("--gateway-tls-cert-file and --gateway-tls-key-file go together")
        }
        if gatewayTls == "off", gatewayTlsCertFile != nil || !gatewayTlsHost.isEmpty {
            throw ValidationError("--gateway-tls-cert-file, --gateway-tls-key-file and --gateway-tls-host need --gateway-tls optional or required")
        }
        if gatewayTlsCertFile != nil, !gatewayTlsHost.isEmpty {
            throw ValidationError("--gateway-tls-host is for a generated certificate, not with --gateway-tls-cert-file")
        }
        if store != .cassandra, cassandraPasswordFile != nil { throw ValidationError("--cassandra-password-file needs --store cassandra") }
        if let smtpURL {
            let address = smtpURL.hasPrefix("smtps://") ? smtpURL.dropFirst(8) : smtpURL.hasPrefix("smtp://") ? smtpURL.dropFirst(7) : ""
            guard !address.isEmpty, (try? HostPort(parsing: String(address), defaultPort: 25)) != nil else {
                throw ValidationError("--smtp-url '\(smtpURL)' is not smtp://HOST[:PORT] or smtps://HOST[:PORT]")
            }
            guard let mailFrom, mailFrom.contains("@") else { throw ValidationError("--smtp-url needs --mail-from ADDRESS") }
        } else if smtpUser != nil || smtpPasswordFile != nil || mailFrom != nil || smtpRequireTLS {
            throw ValidationError("--smtp-user, --smtp-password-file, --mail-from and --smtp-require-tls need --smtp-url")
        }
    }

    /// The secrets to place in the provider's secrets volume: the Cassandra login from
    /// `TENANT_CASSANDRA_USERNAME` and `--cassandra-password-file` or `TENANT_CASSANDRA_PASSWORD`
    /// (both or neither), the relay password from `--smtp-password-file` or `TENANT_SMTP_PASSWORD`.
    /// Errors name the file or variable, never a value.
    public func secretValues(environment: [String: String] = DockerEnvironment.current) throws -> ProviderSecretValues {
        var values = ProviderSecretValues()
        func fromFile(_ path: String, _ option: String) throws -> String {
            do { return try SecretEnvironment.secret(fromFile: path, variable: option) } catch { throw TenantCtlError("\(error)", exitCode: ExitStatus.usage) }
        }
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if store == .cassandra {
            let user = nonEmpty(SecretName.cassandraUsername)
            let password = try cassandraPasswordFile.map { try fromFile($0, "--cassandra-password-file") } ?? nonEmpty(SecretName.cassandraPassword)
            if (user == nil) != (password == nil) {
                throw TenantCtlError(
                    "Cassandra credentials need both a login name (TENANT_CASSANDRA_USERNAME) and a password (--cassandra-password-file or TENANT_CASSANDRA_PASSWORD)",
                    exitCode: ExitStatus.usage)
            }
            values[.cassandraUsername] = user
            values[.cassandraPassword] = password
        }
        if smtpURL != nil {
            values[.smtpPassword] = try smtpPasswordFile.map { try fromFile($0, "--smtp-password-file") } ?? nonEmpty(SecretName.smtpPassword)
        }
        if gatewayTls != "off", let gatewayTlsCertFile, let gatewayTlsKeyFile {
            values[.gatewayTLSCertificate] = try fromFile(gatewayTlsCertFile, "--gateway-tls-cert-file")
            values[.gatewayTLSKey] = try fromFile(gatewayTlsKeyFile, "--gateway-tls-key-file")
        }
        return values
    }

    /// The platform mail relay from `--smtp-url`, `--smtp-user`, `--mail-from`.
    public var smtpRelay: SMTPRelay? {
        guard let smtpURL, let mailFrom else { return nil }
        return SMTPRelay(url: smtpURL, user: smtpUser, from: mailFrom, requireTLS: smtpRequireTLS)
    }

    /// TLS on the gateway port from `--gateway-tls*`; nil for off.
    public var gatewayTLSPlan: GatewayTLSPlan? {
        guard gatewayTls != "off" else { return nil }
        return GatewayTLSPlan(
            mode: gatewayTls, generated: gatewayTlsCertFile == nil, hosts: gatewayTlsHost.isEmpty ? GatewayTLSPlan.defaultHosts : gatewayTlsHost)
    }

    /// The validated provider id; the error names the rule.
    public func providerID() throws -> ProviderID {
        do { return try ProviderID(id) } catch { throw ValidationError(error.description) }
    }

    /// The store from `--store` and `--cassandra`.
    public func storeChoice() throws -> StoreChoice {
        switch store {
        case .sqlite:
            guard cassandra.isEmpty else { throw ValidationError("--cassandra needs --store cassandra") }
            return .sqlite
        case .cassandra:
            let points = cassandra.flatMap { $0.split(separator: ",").map(String.init) }
            // No contact points: the shared Cassandra container (`tenantctl db start`).
            if points.isEmpty { return .sharedCassandra }
            do {
                return .cassandra(try points.map { try HostPort(parsing: $0, defaultPort: StoreURL.defaultCassandraPort) })
            } catch {
                throw ValidationError("--cassandra: \(error)")
            }
        }
    }

    /// The image to start.
    public var resolvedImage: String { imageOrDefault(image) }

    /// What the provisioner needs, ports still open.
    public func request() throws -> ProvisionRequest {
        var request = ProvisionRequest(
            id: try providerID(), image: resolvedImage, gatewayPort: gatewayPort, adminPort: adminPort, store: try storeChoice(),
            memoryBytes: ResourceParsing.memoryBytes(memory), nanoCPUs: ResourceParsing.nanoCPUs(cpus), subnetPool: try subnets.pool(),
            secrets: try secretValues(), smtpRelay: smtpRelay)
        request.gatewayTLS = gatewayTLSPlan
        return request
    }
}

/// `--image`, else `TENANTCTL_IMAGE`, else the default image of this version.
func imageOrDefault(_ image: String?) -> String {
    if let image, !image.isEmpty { return image }
    if let env = ProcessInfo.processInfo.environment["TENANTCTL_IMAGE"], !env.isEmpty { return env }
    return TenantctlVersion.defaultImage
}

import Foundation
