import ArgumentParser
import ServerSupport
import TenantMailer
import TenantModel

/// `tenant-admin`'s flags as typed, before checking; each falls back to the environment
/// variable named in its help.
public struct AdminOptions: ParsableArguments, Sendable {
    @Option(help: "Provider id [environment: TENANT_PROVIDER].")
    public var provider: String?

    @Option(help: "Store URL: sqlite:PATH or cassandra://HOST[:PORT][,...]/KEYSPACE [environment: TENANT_STORE].")
    public var store: String?

    @Option(help: "Address to listen on, HOST:PORT (default 0.0.0.0:80) [environment: TENANT_LISTEN].")
    public var listen: String?

    @Option(help: "Also serve /metrics without a token on this separate HOST:PORT, for the provider's network (default: none) [environment: TENANT_METRICS_LISTEN].")
    public var metricsListen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info) [environment: TENANT_LOG_LEVEL; LOG_LEVEL is deprecated].")
    public var logLevel: String?

    @Option(help: "Log lines as text or json (one object per line) (default text) [environment: TENANT_LOG_FORMAT].")
    public var logFormat: String?

    @Flag(help: "Create or migrate the schema, then exit.")
    public var migrateOnly = false

    @Flag(help: "GET /health on the local server and exit 0 when it answers 200 (for Docker's HEALTHCHECK).")
    public var healthCheck = false

    @Flag(help: "Print the metrics the server on --metrics-listen serves, exit 1 if it does not answer (tenantctl status).")
    public var printMetrics = false

    @Flag(help: "Mark cookies Secure even without X-Forwarded-Proto: https [environment: TENANT_SECURE_COOKIES=1].")
    public var secureCookies = false

    @Option(
        name: .customLong("trusted-proxy"),
        help: ArgumentHelp("Believe X-Forwarded-For only from this proxy address or network (CIDR), repeatable (default: none) [environment: TENANT_TRUSTED_PROXIES, comma-separated].", valueName: "CIDR"))
    public var trustedProxies: [String] = []

    @Option(help: "SMTP server, smtp://HOST[:PORT] or smtps://HOST[:PORT] [environment: TENANT_SMTP_URL].")
    public var smtpURL: String?

    @Option(help: "SMTP login name [environment: TENANT_SMTP_USER]; the password only from TENANT_SMTP_PASSWORD.")
    public var smtpUser: String?

    @Option(help: "Sender address of mails [environment: TENANT_MAIL_FROM].")
    public var mailFrom: String?

    @Flag(help: "Refuse to send over smtp:// without STARTTLS [environment: TENANT_SMTP_REQUIRE_TLS=1].")
    public var smtpRequireTLS = false

    @Option(help: ArgumentHelp("Set this staff user's password to the crypt hash in TENANT_ADMIN_PASSWORD_HASH, end its sessions, and exit (tenantctl reset-password).", valueName: "USER"))
    public var setPassword: String?

    @Option(help: ArgumentHelp("Copy the SQLite store online to PATH, check the copy, and exit (tenantctl backup).", valueName: "PATH"))
    public var backupTo: String?

    @Option(help: ArgumentHelp("Replace the SQLite store with the checked copy at PATH, and exit; the servers must be stopped (tenantctl restore).", valueName: "PATH"))
    public var restoreFrom: String?

    /// The mailer's child process: one delivery read from stdin (DeliveryProcessTransport).
    @Flag(name: .customLong("deliver-mail"), help: .hidden)
    public var deliverMail = false

    public init() {}
}

/// What `tenant-admin` was asked to do.
public enum AdminInvocation: Sendable, Equatable {
    /// Be the mailer's child process: deliver one mail read from stdin.
    case deliverMail
    /// `GET /health` on this address and exit.
    case healthCheck(HostPort)
    /// Print the metrics served on this address and exit.
    case printMetrics(HostPort)
    /// Migrate (``AdminServerSettings/migrateOnly``) or serve.
    case run(AdminServerSettings)
}

/// A one-shot job `tenant-admin` runs on its store and exits.
public enum MaintenanceJob: Sendable, Equatable {
    /// Set `user`'s password to the crypt `hash` (from TENANT_ADMIN_PASSWORD_HASH: only a hash
    /// ever travels) and end its sessions.
    case setPassword(user: String, hash: String)
    /// Copy the SQLite store online to this path.
    case backup(path: String)
    /// Replace the SQLite store with the copy at this path.
    case restore(path: String)
}

/// Everything `tenant-admin` needs to run, checked: flags first, then environment, then defaults.
public struct AdminServerSettings: Sendable, Equatable {
    public var provider: ProviderID
    public var store: StoreURL
    public var listen: HostPort
    /// Where `/metrics` is served without a token; nil serves it only on ``listen``, with one.
    public var metricsListen: HostPort?
    public var log: LogSettings
    public var secureCookies: Bool
    /// Proxies whose `X-Forwarded-For` is believed (sign-in limits per client address).
    public var trustedProxies: TrustedProxies = .none
    /// Where gateways connect, shown on the panel (`TENANT_GATEWAY_ADDRESS`, `TENANT_GATEWAY_PORT`).
    public var gatewayAddress: String?
    public var gatewayPort: Int?
    public var bootstrapHash: String?
    public var smtp: SMTPConfiguration?
    public var migrateOnly: Bool
    /// A one-shot job on the store instead of serving (tenantctl reset-password, backup, restore).
    public var maintenance: MaintenanceJob?
    /// Deprecated variables that were read, to log once logging is up.
    public var warnings: [String]

    /// The default panel address.
    public static let defaultListen = "0.0.0.0:80"

    /// The app's configuration (clock, intervals and mail child left at their defaults).
    public var configuration: AdminConfiguration {
        var configuration = AdminConfiguration(
            provider: provider, host: listen.host, port: listen.port, secureCookies: secureCookies, bootstrapHash: bootstrapHash,
            smtp: smtp)
        configuration.trustedProxies = trustedProxies
        configuration.gatewayAddress = gatewayAddress
        configuration.gatewayPort = gatewayPort
        return configuration
    }

    /// Reads `options` and `environment`; the error says which value is wrong (exit 64).
    public static func parse(_ options: AdminOptions, environment: [String: String]) throws(ServerFailure) -> AdminInvocation {
        if options.deliverMail { return .deliverMail }
        var source = SettingSource(environment: environment)
        let listenText = source.value(flag: options.listen, variable: "TENANT_LISTEN") ?? defaultListen
        let listen: HostPort
        do { listen = try HostPort(parsing: listenText, defaultPort: 80) } catch { throw .usage("invalid --listen '\(listenText)': \(error)") }
        if options.healthCheck { return .healthCheck(listen) }
        let metricsListen: HostPort?
        if let text = source.value(flag: options.metricsListen, variable: "TENANT_METRICS_LISTEN") {
            do { metricsListen = try HostPort(parsing: text, defaultPort: nil) } catch { throw .usage("invalid --metrics-listen '\(text)': \(error)") }
        } else {
            metricsListen = nil
        }
        if options.printMetrics {
            guard let metricsListen else { throw .usage("--print-metrics needs --metrics-listen or TENANT_METRICS_LISTEN") }
            return .printMetrics(metricsListen)
        }
        if let metricsListen, metricsListen == listen {
            throw .usage("--metrics-listen \(metricsListen) is the panel's address: metrics without a token need a port of their own")
        }
        let log = try LogSettings(level: options.logLevel, format: options.logFormat, source: &source)

        guard let providerText = source.value(flag: options.provider, variable: "TENANT_PROVIDER") else {
            throw .usage("no provider: pass --provider ID or set TENANT_PROVIDER")
        }
        let provider: ProviderID
        do { provider = try ProviderID(providerText) } catch { throw .usage("\(error)") }
        guard let storeText = source.value(flag: options.store, variable: "TENANT_STORE") else {
            throw .usage("no store: pass --store URL or set TENANT_STORE")
        }
        let store: StoreURL
        do { store = try StoreURL(parsing: storeText) } catch { throw .usage("\(error)") }
        if case .cassandra(_, let keyspace) = store, keyspace != provider.rawValue {
            throw .usage("store keyspace '\(keyspace)' is not provider '\(provider)': each provider's app serves only its own keyspace")
        }

        let bootstrapHash = source.value(flag: nil, variable: "TENANT_ADMIN_BOOTSTRAP_HASH")
        if let bootstrapHash, !bootstrapHash.hasPrefix("$") {
            throw .usage("TENANT_ADMIN_BOOTSTRAP_HASH is not a crypt hash (expected $y$...)")
        }
        let proxiesText = options.trustedProxies.isEmpty
            ? source.value(flag: nil, variable: "TENANT_TRUSTED_PROXIES") ?? "" : options.trustedProxies.joined(separator: ",")
        let trustedProxies: TrustedProxies
        do { trustedProxies = try TrustedProxies(parsing: proxiesText) } catch { throw .usage("invalid --trusted-proxy: \(error)") }
        var smtp: SMTPConfiguration?
        if let url = source.value(flag: options.smtpURL, variable: "TENANT_SMTP_URL"), !url.isEmpty {
            guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
                throw .usage("bad SMTP URL '\(url)': expected smtp://HOST[:PORT] or smtps://HOST[:PORT]")
            }
            guard let from = source.value(flag: options.mailFrom, variable: "TENANT_MAIL_FROM"), from.contains("@") else {
                throw .usage("a mail sender is needed with an SMTP server: pass --mail-from or set TENANT_MAIL_FROM")
            }
            smtp = SMTPConfiguration(
                url: url, username: source.value(flag: options.smtpUser, variable: "TENANT_SMTP_USER"),
                password: source.value(flag: nil, variable: "TENANT_SMTP_PASSWORD"), from: from,
                requireTLS: source.isOn(flag: options.smtpRequireTLS, variable: "TENANT_SMTP_REQUIRE_TLS"))
        }
        let jobs: [MaintenanceJob?] = [
            try options.setPassword.map { user throws(ServerFailure) in
                guard let hash = source.value(flag: nil, variable: "TENANT_ADMIN_PASSWORD_HASH"), hash.hasPrefix("$") else {
                    throw .usage("--set-password needs TENANT_ADMIN_PASSWORD_HASH, a crypt hash ($y$...)")
                }
                return .setPassword(user: user, hash: hash)
            },
            options.backupTo.map { .backup(path: $0) }, options.restoreFrom.map { .restore(path: $0) },
        ]
        let maintenance = jobs.compactMap { $0 }
        guard maintenance.count <= 1 else { throw .usage("--set-password, --backup-to and --restore-from exclude each other") }
        var settings = AdminServerSettings(
            provider: provider, store: store, listen: listen, metricsListen: metricsListen, log: log,
            secureCookies: source.isOn(flag: options.secureCookies, variable: "TENANT_SECURE_COOKIES"), bootstrapHash: bootstrapHash,
            smtp: smtp, migrateOnly: options.migrateOnly, maintenance: maintenance.first, warnings: source.deprecations)
        settings.trustedProxies = trustedProxies
        // Shown to staff only; a bad value is refused so a typo does not mislead them.
        if let address = source.value(flag: nil, variable: "TENANT_GATEWAY_ADDRESS"), !address.isEmpty {
            guard (try? HostPort(parsing: address, defaultPort: 0))?.port ?? 0 > 0 else {
                throw .usage("TENANT_GATEWAY_ADDRESS must be HOST:PORT, not '\(address)'")
            }
            settings.gatewayAddress = address
        }
        if let text = source.value(flag: nil, variable: "TENANT_GATEWAY_PORT"), !text.isEmpty {
            guard let port = Int(text), (1...65535).contains(port) else { throw .usage("TENANT_GATEWAY_PORT must be a port number, not '\(text)'") }
            settings.gatewayPort = port
        }
        return .run(settings)
    }

    /// `--health-check`: `GET /health` answered with 200.
    public static func healthCheck(_ address: HostPort) -> ServerExitCode {
        LocalProbe.get(address, path: "/health")?.status == 200 ? .success : .unhealthy
    }
}
