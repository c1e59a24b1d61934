import AdminApp
import ArgumentParser
import FoundationEssentials
#if os(Linux)
import CMalloc
#if canImport(Glibc)
import Glibc
#endif
#endif
import Logging
import TenantMailer
import TenantModel
import TenantSealing
import TenantSecrets
import TenantStoreFactory
import TextFormat

/// `tenant-admin`: the provider's admin web app and mailer. Thin: settings → buildApplication → runService.
@main
struct AdminMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-admin",
        abstract: "Serve a provider's admin panel and send its mails.")

    @Option(help: "Provider id [environment: TENANT_PROVIDER].") var provider: String?
    @Option(help: "Store URL: sqlite:PATH or cassandra://HOST[:PORT][,...]/KEYSPACE [environment: TENANT_STORE].") var store: String?
    @Option(help: "Address to listen on, HOST:PORT (default 0.0.0.0:80) [environment: TENANT_LISTEN].") var listen: String?
    @Flag(help: "Create or migrate the schema, then exit.") var migrateOnly = false
    @Flag(help: "GET /health on the local server and exit 0 when it answers 200 (for Docker's HEALTHCHECK).") var healthCheck = false
    @Flag(help: "Mark cookies Secure even without X-Forwarded-Proto: https [environment: TENANT_SECURE_COOKIES=1].") var secureCookies = false
    @Option(help: "SMTP server, smtp://HOST[:PORT] or smtps://HOST[:PORT] [environment: TENANT_SMTP_URL].") var smtpURL: String?
    @Option(help: "SMTP login name [environment: TENANT_SMTP_USER]; the password only from the file TENANT_SMTP_PASSWORD_FILE names (or TENANT_SMTP_PASSWORD).") var smtpUser: String?
    @Option(help: "Sender address of mails [environment: TENANT_MAIL_FROM].") var mailFrom: String?
    @Flag(help: "Refuse to send over smtp:// without STARTTLS [environment: TENANT_SMTP_REQUIRE_TLS=1].") var smtpRequireTLS = false
    /// The mailer's child process: one delivery read from stdin (DeliveryProcessTransport).
    @Flag(name: .customLong("deliver-mail"), help: .hidden) var deliverMail = false

    /// A setting that cannot be used: one line on stderr, exit 2.
    struct SettingError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func run() async throws {
        if deliverMail { throw ExitCode(DeliveryProcessTransport.runChild()) }
        #if os(Linux)
        // Two malloc arenas instead of eight per core: the app is I/O bound, and idle
        // memory matters more than allocator contention here.
        mallopt(M_ARENA_MAX, 2)
        #endif
        do {
            try await start()
        } catch let error as SettingError {
            var standardError = StandardError()
            print("tenant-admin: error: \(error.description)", to: &standardError)
            throw ExitCode(2)
        }
    }

    func start() async throws {
        let env = ProcessInfo.processInfo.environment
        let listenText = listen ?? env["TENANT_LISTEN"] ?? "0.0.0.0:80"
        let address: HostPort
        do { address = try HostPort(parsing: listenText, defaultPort: 80) } catch { throw SettingError("bad --listen: \(error)") }
        if healthCheck {
            let host = address.host == "0.0.0.0" || address.host == "::" ? "127.0.0.1" : address.host
            throw ExitCode(HealthCheck.get(host: host, port: address.port) ? 0 : 1)
        }

        // Secrets from the files TENANT_*_FILE name; the error names the file, never its content.
        let secrets: ResolvedSecrets
        do { secrets = try SecretEnvironment.resolve(in: env) } catch { throw SettingError("\(error)") }
        guard let providerText = provider ?? env["TENANT_PROVIDER"] else { throw SettingError("no provider: pass --provider ID or set TENANT_PROVIDER") }
        let providerID: ProviderID
        do { providerID = try ProviderID(providerText) } catch { throw SettingError("\(error)") }
        guard let storeText = store ?? env["TENANT_STORE"] else { throw SettingError("no store: pass --store URL or set TENANT_STORE") }
        let storeURL: StoreURL
        do { storeURL = try StoreURL(parsing: storeText) } catch { throw SettingError("\(error)") }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: env["LOG_LEVEL"] ?? "info") ?? .info
            return handler
        }
        var logger = Logger(label: "tenant-admin")
        logger[metadataKey: "tenant.id"] = "\(providerID)"
        for name in secrets.givenDirectly {
            logger.warning("secret given in the environment, where docker inspect and /proc show it: use \(SecretName.fileVariable(name))", metadata: ["secret": "\(name)"])
        }
        var sealer: SettingsSealer?
        if let keyText = secrets.environment[SecretName.settingsKey] {
            do { sealer = try SettingsSealer(keyHex: keyText, provider: providerID.rawValue) } catch { throw SettingError("\(SecretName.settingsKey): \(error)") }
        }

        let bootstrapHash = env["TENANT_ADMIN_BOOTSTRAP_HASH"].flatMap { $0.isEmpty ? nil : $0 }
        if let bootstrapHash, !bootstrapHash.hasPrefix("$") { throw SettingError("TENANT_ADMIN_BOOTSTRAP_HASH is not a crypt hash (expected $y$...)") }

        var smtp: SMTPConfiguration?
        if let url = smtpURL ?? env["TENANT_SMTP_URL"], !url.isEmpty {
            guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else { throw SettingError("bad SMTP URL '\(url)': expected smtp://HOST[:PORT] or smtps://HOST[:PORT]") }
            guard let from = mailFrom ?? env["TENANT_MAIL_FROM"], from.contains("@") else { throw SettingError("a mail sender is needed with an SMTP server: pass --mail-from or set TENANT_MAIL_FROM") }
            smtp = SMTPConfiguration(
                url: url, username: smtpUser ?? env["TENANT_SMTP_USER"], password: secrets.environment[SecretName.smtpPassword], from: from,
                requireTLS: smtpRequireTLS || env["TENANT_SMTP_REQUIRE_TLS"] == "1")
        }
        if case .cassandra(_, let keyspace) = storeURL, keyspace != providerID.rawValue {
            throw SettingError("store keyspace '\(keyspace)' is not provider '\(providerID)': each provider's app serves only its own keyspace")
        }
        let opened: OpenedAdminStore
        do { opened = try await openAdminStore(url: storeURL, environment: secrets.environment, logger: logger) } catch { throw SettingError("\(error)") }
        let adminStore = opened.admin
        do { try await claimStore(adminStore, for: providerID) } catch let error as StoreClaimError { throw SettingError(error.description) }
        if migrateOnly {
            logger.info("schema is current", metadata: ["store": "\(storeURL)"])
            await opened.close()
            return
        }

        var configuration = AdminConfiguration(
            provider: providerID, host: address.host, port: address.port,
            secureCookies: secureCookies || env["TENANT_SECURE_COOKIES"] == "1", bootstrapHash: bootstrapHash, smtp: smtp)
        configuration.settingsSealer = sealer
        configuration.mailDeliveryExecutable = "/proc/self/exe"
        let app = try await buildApplication(
            configuration: configuration, store: adminStore, readings: opened.readings, logger: logger)
        logger.info("starting", metadata: ["store": "\(storeURL)", "listen": "\(address)", "smtp": "\(smtp.map { $0.url } ?? "none")"])
        do {
            try await app.runService()
        } catch {
            throw SettingError("cannot serve on \(address): \(error)")
        }
        await opened.close()
        logger.info("stopped")
    }
}

/// `--health-check`: one `GET /health` over a plain socket. Docker runs this every few
/// seconds, so it stays tiny: no HTTP client library is loaded for it.
enum HealthCheck {
    static func get(host: String, port: Int) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else { return false }
        defer { freeaddrinfo(found) }
        let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else { return false }
        let request = Array("GET /health HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host)\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return false }
        // The status line is all we need: "HTTP/1.1 200 ...".
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while response.count < 12 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        let status = response.count >= 12 ? String(decoding: response[9..<12], as: UTF8.self) : ""
        return response.starts(with: Array("HTTP/1.".utf8)) && status == "200"
    }
}
