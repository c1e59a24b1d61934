import ArgumentParser
import FoundationEssentials
import IngestServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TenantModel
import TenantSecrets
import TenantSQLite
import TenantStoreFactory
import TextFormat

/// `tenant-ingest`: the provider's gateway ingest server.
@main
struct IngestMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-ingest",
        abstract: "Receive gateway reports over TCP and store them in the provider's store.")

    @Option(help: "Provider id, [a-z][a-z0-9_]{0,47} [environment: TENANT_PROVIDER].")
    var provider: String?

    @Option(help: "Store URL: sqlite:PATH or cassandra://HOST[:PORT][,...]/KEYSPACE [environment: TENANT_STORE].")
    var store: String?

    @Option(help: "Address to listen on, HOST:PORT (default 0.0.0.0:6000) [environment: TENANT_LISTEN].")
    var listen: String?

    @Option(help: "normal (WAL, synchronous=NORMAL) or full (sync every commit) (default normal) [environment: TENANT_DURABILITY].")
    var durability: String?

    @Option(help: "Seconds a connection may stay silent before it is closed (default 300) [environment: TENANT_IDLE_TIMEOUT].")
    var idleTimeout: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info) [environment: TENANT_LOG_LEVEL].")
    var logLevel: String?

    @Flag(help: "Create or migrate the store's schema, then exit.")
    var migrateOnly = false

    @Flag(help: "Exit 0 if a server accepts TCP connections on the listen address, 1 otherwise (Docker HEALTHCHECK).")
    var healthCheck = false

    /// A bad setting: one line on stderr, exit 64.
    struct SettingError: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        do {
            let listenText = listen ?? env["TENANT_LISTEN"] ?? "0.0.0.0:6000"
            let address: HostPort
            do { address = try HostPort(parsing: listenText, defaultPort: nil) } catch {
                throw SettingError(description: "invalid --listen '\(listenText)': \(error)")
            }
            if healthCheck {
                throw ExitCode(await Self.probe(address) ? 0 : 1)
            }
            // Secrets from the files TENANT_*_FILE name; the error names the file, never its content.
            let secrets: ResolvedSecrets
            do { secrets = try SecretEnvironment.resolve(in: env) } catch { throw SettingError(description: "\(error)") }
            let level = logLevel ?? env["TENANT_LOG_LEVEL"] ?? "info"
            guard let logLevel = Logger.Level(rawValue: level) else {
                throw SettingError(description: "invalid log level '\(level)': expected trace, debug, info, notice, warning or error")
            }
            let durabilityText = durability ?? env["TENANT_DURABILITY"] ?? "normal"
            guard let durability = Durability(rawValue: durabilityText) else {
                throw SettingError(description: "invalid durability '\(durabilityText)': expected normal or full")
            }
            let idleText = idleTimeout ?? env["TENANT_IDLE_TIMEOUT"] ?? "300"
            guard let idleSeconds = Int64(idleText), idleSeconds > 0 else {
                throw SettingError(description: "invalid idle timeout '\(idleText)': expected a positive number of seconds")
            }
            let providerText = provider ?? env["TENANT_PROVIDER"]
            let providerID: ProviderID?
            if let providerText {
                do { providerID = try ProviderID(providerText) } catch { throw SettingError(description: "\(error)") }
            } else if migrateOnly {
                providerID = nil
            } else {
                throw SettingError(description: "no provider: pass --provider ID or set TENANT_PROVIDER")
            }
            guard let storeText = store ?? env["TENANT_STORE"] else {
                throw SettingError(description: "no store: pass --store URL or set TENANT_STORE")
            }
            let storeURL: StoreURL
            do { storeURL = try StoreURL(parsing: storeText) } catch { throw SettingError(description: "\(error)") }
            if let providerID, case .cassandra(_, let keyspace) = storeURL, keyspace != providerID.rawValue {
                throw SettingError(description: "store keyspace '\(keyspace)' does not belong to provider '\(providerID)'")
            }

            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
            var logger = Logger(label: "tenant-ingest")
            if let providerID { logger[metadataKey: "tenant.id"] = "\(providerID)" }
            for name in secrets.givenDirectly {
                logger.warning("secret given in the environment, where docker inspect and /proc show it: use \(SecretName.fileVariable(name))", metadata: ["secret": "\(name)"])
            }
            if let providerID, case .sqlite(let path) = storeURL,
                URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent != providerID.rawValue
            {
                logger.warning("store file is not named after the provider", metadata: ["store.url": "\(storeURL)"])
            }

            let opened: OpenedStore
            do { opened = try await openReadingStore(url: storeURL, durability: durability, environment: secrets.environment, logger: logger) } catch {
                throw SettingError(description: "\(error)")
            }
            if migrateOnly {
                logger.info("schema is up to date", metadata: ["store.url": "\(storeURL)"])
                await opened.close?()
                return
            }
            let server = IngestServer(
                configuration: IngestConfiguration(host: address.host, port: address.port, idleTimeout: .seconds(idleSeconds)),
                store: opened.readings, gatewayAuth: opened.gatewayAuth, logger: logger)
            // Services shut down in reverse order: the server drains first, upkeep stops last.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let maintenance = opened.maintenance {
                services.append(.init(service: StoreMaintenance(body: maintenance), successTerminationBehavior: .ignore))
            }
            services.append(.init(service: server))
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch {
                // Binding is the server's only failure before it serves.
                printError("tenant-ingest: error: cannot listen on \(address): \(error)")
                throw ExitCode(1)
            }
            await opened.close?()
        } catch let error as SettingError {
            printError("tenant-ingest: error: \(error.description)")
            throw ExitCode(64)
        }
    }

    /// Connects to the listen address (loopback for a wildcard) and closes again.
    static func probe(_ address: HostPort) async -> Bool {
        let host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host == "::" ? "::1" : address.host
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(3))
                .connect(host: host, port: address.port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}

/// Runs the store's background upkeep until shutdown.
struct StoreMaintenance: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        // Stop on graceful shutdown as well as on cancellation.
        await cancelWhenGracefulShutdown { await body() }
    }
}

/// One line on stderr.
private func printError(_ message: String) {
    var standardError = StandardError()
    print(message, to: &standardError)
}
