import ArgumentParser
import EventLoopExecution
import FoundationEssentials
import IngestServer
import Logging
import ServerSupport
import ServiceLifecycle
import TenantSecrets
import TenantStoreFactory

/// `tenant-ingest`: the provider's gateway ingest server. Wiring only: settings, logging and
/// metrics backends, store, services.
/// The entry point: Swift concurrency moves onto NIO's event loops before anything runs, so
/// an idle server does not wake at all (``EventLoopExecutors``).
@main
enum IngestEntry {
    static func main() async {
        EventLoopExecutors.install()
        await IngestMain.main()
    }
}

struct IngestMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-ingest",
        abstract: "Receive gateway reports over TCP and store them in the provider's store.",
        discussion: "Exit status: 0 stopped cleanly, 1 unhealthy (--health-check), 64 bad setting, 69 store unavailable, 71 cannot listen.")

    @OptionGroup var options: IngestOptions

    func run() async throws {
        do {
            // Secrets from the files TENANT_*_FILE name; the error names the file, never its content.
            let secrets: ResolvedSecrets
            do { secrets = try SecretEnvironment.resolve(in: ProcessInfo.processInfo.environment) } catch { throw ServerFailure.usage("\(error)") }
            switch try IngestServerSettings.parse(options, environment: secrets.environment) {
            case .healthCheck(let address):
                throw ExitCode(IngestServerSettings.healthCheck(address).rawValue)
            case .printMetrics(let address):
                throw ExitCode(LocalProbe.printMetrics(from: address, program: "tenant-ingest").rawValue)
            case .run(let settings):
                try await serve(settings, secrets: secrets)
            }
        } catch let failure as ServerFailure {
            throw ExitCode(failure.report(program: "tenant-ingest"))
        }
    }

    func serve(_ settings: IngestServerSettings, secrets: ResolvedSecrets) async throws(ServerFailure) {
        settings.log.bootstrap()
        let exporter = PrometheusExporter()
        exporter.bootstrap()
        var logger = Logger(label: "tenant-ingest")
        if let provider = settings.provider { logger[metadataKey: "tenant.id"] = "\(provider)" }
        for warning in settings.warnings { logger.warning("\(warning)") }
        for name in secrets.givenDirectly {
            logger.warning("secret given in the environment, where docker inspect and /proc show it: use \(SecretName.fileVariable(name))", metadata: ["secret": "\(name)"])
        }

        // TLS files first: a wrong path is a setting to fix, not a store to wait for.
        var configuration = settings.configuration
        if !settings.migrateOnly {
            do { configuration.tls = try settings.tls.load() } catch { throw .usage("\(error)") }
        }
        let opened: OpenedStore
        do { opened = try await openReadingStore(url: settings.store, durability: settings.durability, environment: secrets.environment, logger: logger) } catch {
            throw .storeUnavailable("\(error)")
        }
        if settings.migrateOnly {
            logger.info("schema is up to date", metadata: ["store.url": "\(settings.store)"])
            await opened.close?()
            return
        }
        if let tls = configuration.tls {
            logger.info("gateway port speaks TLS", metadata: ["tls.mode": "\(tls.mode.rawValue)", "tls.client_certificates": "\(tls.verifiesClients)"])
        }
        let server = IngestServer(configuration: configuration, store: opened.readings, gatewayAuth: opened.gatewayAuth, logger: logger)
        // Services shut down in reverse order: the server drains first, upkeep stops last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let maintenance = opened.maintenance {
            services.append(.init(service: StoreMaintenance(body: maintenance), successTerminationBehavior: .ignore))
        }
        if let address = settings.metricsListen {
            let listener = MetricsListener(host: address.host, port: address.port, logger: logger) {
                server.refreshMetrics()
                return exporter.render()
            }
            services.append(.init(service: listener))
        }
        services.append(.init(service: server))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            // Binding is the only failure of either listener before it serves.
            throw .cannotListen("cannot listen on \(settings.listen)\(settings.metricsListen.map { " or \($0)" } ?? ""): \(error)")
        }
        await opened.close?()
    }
}
