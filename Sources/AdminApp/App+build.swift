import CoreMetrics
import FoundationEssentials
import Hummingbird
import Logging
import ServerSupport
import TenantMailer
import TenantModel
import TenantSealing
import TenantStorage

/// Everything `tenant-admin` needs to run, resolved from flags and environment.
public struct AdminConfiguration: Sendable {
    public var provider: ProviderID
    public var host: String
    public var port: Int
    /// Mark cookies `Secure` even without `X-Forwarded-Proto: https` (the app sits behind TLS).
    public var secureCookies: Bool
    /// yescrypt hash for the first staff account `admin`, used only while no account exists.
    public var bootstrapHash: String?
    /// Where mail goes; nil keeps mails queued in the outbox (shown on the dashboard).
    public var smtp: SMTPConfiguration?
    /// Deliver each mail in a child process running this executable with `--deliver-mail`
    /// (tenant-admin passes itself), so libcurl and its TLS stack never stay resident in the
    /// app; nil delivers in this process.
    public var mailDeliveryExecutable: String?
    /// Seals the secrets the store keeps (the mail server password) with the provider's
    /// settings key; nil keeps them plain text (a warning at start).
    public var settingsSealer: SettingsSealer?
    /// How often the outbox, the scheduler and the alert monitor run.
    public var mailInterval: Duration
    /// How often closed hours are rolled up.
    public var rollupInterval: Duration
    /// How long the dashboard's power and energy totals are served without recomputing,
    /// and how long a stale total is still shown while the next one is computed.
    public var dashboardFiguresFreshFor: Duration
    public var dashboardFiguresUsableFor: Duration
    /// The clock; tests move it.
    public var now: @Sendable () -> Date
    /// A separate listener serving `/metrics` without a token, for the provider's network;
    /// nil serves metrics only on the panel's port, to an API token.
    public var metricsListen: HostPort?
    /// The Prometheus text of the process's registry; nil answers `/metrics` with 404.
    public var renderMetrics: (@Sendable () -> [UInt8])?
    /// Where the app's counters go (the bootstrapped backend unless a test passes its own).
    public var metricsFactory: any MetricsFactory = MetricsSystem.factory
    /// Where gateways send their reports, `HOST:PORT`, when the operator knows the public name
    /// (`TENANT_GATEWAY_ADDRESS`); else `gatewayPort` on the host this panel is reached by.
    public var gatewayAddress: String?
    /// The published ingest port (tenantctl sets `TENANT_GATEWAY_PORT`).
    public var gatewayPort: Int?
    /// Proxies whose `X-Forwarded-For` names the client (for sign-in limits); none by default.
    public var trustedProxies: TrustedProxies = .none
    /// How many sign-in attempts are evaluated; tests shorten it.
    var loginPolicy = LoginPolicy()
    /// yescrypt, unless a test counts or fakes it.
    var passwordFunctions: PasswordFunctions = .yescrypt
    /// Password hashes running at once (each ~16 MiB and a core for ~60 ms).
    var concurrentPasswordHashes = 2

    public init(
        provider: ProviderID, host: String = "0.0.0.0", port: Int = 80, secureCookies: Bool = false, bootstrapHash: String? = nil,
        smtp: SMTPConfiguration? = nil, mailInterval: Duration = .seconds(30), rollupInterval: Duration = .seconds(300),
        dashboardFiguresFreshFor: Duration = .seconds(5), dashboardFiguresUsableFor: Duration = .seconds(60),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.provider = provider
        self.host = host
        self.port = port
        self.secureCookies = secureCookies
        self.bootstrapHash = bootstrapHash
        self.smtp = smtp
        self.mailInterval = mailInterval
        self.rollupInterval = rollupInterval
        self.dashboardFiguresFreshFor = dashboardFiguresFreshFor
        self.dashboardFiguresUsableFor = dashboardFiguresUsableFor
        self.now = now
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The dependencies every controller shares.
struct AdminServices: Sendable {
    let configuration: AdminConfiguration
    let store: any AdminStore
    let readings: any ReadingStore
    let reports: ReportService
    let limiter: LoginLimiter
    let passwords: PasswordHashing
    let deviceCookie: DeviceCookie
    let metrics: AdminMetrics
    let logger: Logger
    let dashboardFigures: RefreshingValue<DashboardController.FiguresKey, DashboardController.Figures>
    let secrets: SettingsSecrets
    /// Rung when mail is queued or the mail server changes: wakes the outbox.
    let outboxDoorbell = Doorbell()
    /// Name checks and the saves they guard (customers, staff accounts). One panel process
    /// runs per provider, so this is every writer of those names.
    let nameChanges = OneAtATime()

    init(configuration: AdminConfiguration, store: any AdminStore, readings: any ReadingStore, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.readings = readings
        self.reports = ReportService(store: store)
        self.limiter = LoginLimiter(policy: configuration.loginPolicy)
        self.passwords = PasswordHashing(functions: configuration.passwordFunctions, maxConcurrent: configuration.concurrentPasswordHashes)
        self.deviceCookie = DeviceCookie()
        self.metrics = AdminMetrics(factory: configuration.metricsFactory)
        self.logger = logger
        self.secrets = SettingsSecrets(sealer: configuration.settingsSealer, logger: logger)
        self.dashboardFigures = RefreshingValue(
            freshFor: configuration.dashboardFiguresFreshFor.milliseconds, usableFor: configuration.dashboardFiguresUsableFor.milliseconds)
    }

    var nowMillis: EpochMillis { TimeFormat.millis(configuration.now()) }

    func settings() async throws -> AdminSettings { AdminSettings(stored: try await store.settings()) }

    /// Where gateways connect, as staff should configure them: the configured address, else
    /// the ingest port on the host name this request came to (tenantctl publishes both ports
    /// on the same host); nil when neither is known.
    func gatewayAddress(requestHost: String?) -> String? {
        if let address = configuration.gatewayAddress { return address }
        guard let port = configuration.gatewayPort else { return nil }
        var host = requestHost ?? ""
        if host.hasPrefix("[") {
            host = String(host.prefix { $0 != "]" }) + "]"
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        // Only a plain host name or address: the header comes from the client.
        let plain = !host.isEmpty && host.count <= 253 && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }
        return (plain ? host : "this server's address") + ":" + String(port)
    }
}

/// Where the outbox sends, read before each pass: the provider's own server from its
/// settings, else `fallback` (the server tenant-admin was started with), else nowhere.
func mailDelivery(
    store: any SettingsStore, secrets: SettingsSecrets, fallback: SMTPConfiguration?, executable: String?
) -> @Sendable () async throws -> OutboxProcessor.Delivery? {
    {
        guard let smtp = MailServerSettings(stored: secrets.open(try await store.settings())).configuration(fallback: fallback) else { return nil }
        return (mailTransport(smtp, executable: executable), smtp.from)
    }
}

func mailTransport(_ smtp: SMTPConfiguration, executable: String?) -> any MailTransport {
    guard let executable else { return CurlSMTPTransport(configuration: smtp) }
    return DeliveryProcessTransport(configuration: smtp, executable: executable)
}

/// Builds the admin web app for one provider's store, with its background services
/// (outbox sender, report scheduler, alert monitor, rollups) attached.
public func buildApplication(
    configuration: AdminConfiguration, store: any AdminStore, readings: any ReadingStore, logger: Logger
) async throws -> some ApplicationProtocol {
    let services = AdminServices(configuration: configuration, store: store, readings: readings, logger: logger)
    try await bootstrapStaff(services)
    try await services.secrets.sealPlainValues(in: store)
    let router = buildRouter(services)
    var background: [any Service] = [
        RollupService(store: store, interval: configuration.rollupInterval, logger: logger),
        MailScheduler(services: services, interval: configuration.mailInterval),
    ]
    // Always running: staff can set a mail server in the settings at any time.
    background.append(
        OutboxProcessor(
            store: store, pollInterval: configuration.mailInterval, doorbell: services.outboxDoorbell, logger: logger,
            metricsFactory: configuration.metricsFactory,
            delivery: mailDelivery(
                store: store, secrets: services.secrets, fallback: configuration.smtp, executable: configuration.mailDeliveryExecutable)))
    if let address = configuration.metricsListen, let render = configuration.renderMetrics {
        background.append(MetricsListener(host: address.host, port: address.port, logger: logger, render: render))
    }
    let provider = configuration.provider
    return QuietApplication(Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tenant-admin"),
        services: background,
        onServerRunning: { channel in
            logger.info("admin panel listening", metadata: ["tenant.id": "\(provider)", "address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger))
}

/// Creates staff user `admin` from the provisioning hash when no account exists.
func bootstrapStaff(_ services: AdminServices) async throws {
    guard try await services.store.staffAccounts().isEmpty else { return }
    guard let hash = services.configuration.bootstrapHash, !hash.isEmpty else {
        services.logger.warning("no staff account exists and TENANT_ADMIN_BOOTSTRAP_HASH is not set: nobody can sign in")
        return
    }
    if try await services.store.createStaff(name: "admin", passwordHash: hash, at: services.nowMillis) {
        services.logger.info("created the first staff account 'admin' from the provisioning hash")
    }
}

/// The routes: open ones, pages behind a session, the JSON API behind a token.
func buildRouter(_ services: AdminServices) -> Router<AdminRequestContext> {
    let router = Router(context: AdminRequestContext.self)
    router.add(middleware: MetricsCountingMiddleware(metrics: services.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware(logger: services.logger))

    OpenController(services: services).register(
        on: router, tokenRequired: router.group().add(middleware: APITokenMiddleware(services: services)).add(middleware: AccessMiddleware(services: services)))

    let api = router.group("api/v1").add(middleware: APITokenMiddleware(services: services)).add(middleware: AccessMiddleware(services: services))
    GatewayOperationsAPI(services: services).register(on: api)
    AlarmsAPI(services: services).register(on: api)
    APIController(services: services).register(on: api)

    let pages = router.group().add(middleware: CSRFMiddleware(services: services)).add(middleware: SessionMiddleware(services: services))
        .add(middleware: PageErrorMiddleware()).add(middleware: AccessMiddleware(services: services))
    AuthController(services: services).register(on: router.group().add(middleware: CSRFMiddleware(services: services)), signedIn: pages)
    DashboardController(services: services).register(on: pages)
    CustomersController(services: services).register(on: pages)
    GatewayOperationsController(services: services).register(on: pages)
    GatewaysController(services: services).register(on: pages)
    AlarmsController(services: services).register(on: pages)
    ReportsController(services: services).register(on: pages)
    SettingsController(services: services).register(on: pages)
    StaffController(services: services).register(on: pages)
    return router
}
import ServiceLifecycle
