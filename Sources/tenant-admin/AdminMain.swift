import AdminApp
import ArgumentParser
import EventLoopExecution
import FoundationEssentials
#if os(Linux)
import CMalloc
#if canImport(Glibc)
import Glibc
#endif
#endif
import Logging
import ServerSupport
import TenantMailer
import TenantSealing
import TenantSecrets
import TenantStoreFactory
import TextFormat

/// `tenant-admin`: the provider's admin web app and mailer. Wiring only: settings, logging and
/// metrics backends, store, application.
/// The entry point: Swift concurrency moves onto NIO's event loops before anything runs, so
/// an idle server does not wake at all (``EventLoopExecutors``).
@main
enum AdminEntry {
    static func main() async {
        EventLoopExecutors.install()
        await AdminMain.main()
    }
}

struct AdminMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-admin",
        abstract: "Serve a provider's admin panel and send its mails.",
        discussion: "Exit status: 0 stopped cleanly, 1 unhealthy (--health-check), 64 bad setting, 69 store unavailable, 71 cannot listen.")

    @OptionGroup var options: AdminOptions

    func run() async throws {
        do {
            // Secrets from the files TENANT_*_FILE name; the error names the file, never its content.
            let secrets: ResolvedSecrets
            do { secrets = try SecretEnvironment.resolve(in: ProcessInfo.processInfo.environment) } catch { throw ServerFailure.usage("\(error)") }
            switch try AdminServerSettings.parse(options, environment: secrets.environment) {
            case .deliverMail:
                throw ExitCode(DeliveryProcessTransport.runChild())
            case .healthCheck(let address):
                throw ExitCode(AdminServerSettings.healthCheck(address).rawValue)
            case .printMetrics(let address):
                throw ExitCode(LocalProbe.printMetrics(from: address, program: "tenant-admin").rawValue)
            case .run(let settings):
                #if os(Linux)
                // Two malloc arenas instead of eight per core: the app is I/O bound, and idle
                // memory matters more than allocator contention here.
                mallopt(M_ARENA_MAX, 2)
                #endif
                try await serve(settings, secrets: secrets)
            }
        } catch let failure as ServerFailure {
            throw ExitCode(failure.report(program: "tenant-admin"))
        } catch let failure as StoreMaintenance.Failure {
            var standardError = StandardError()
            print("tenant-admin: error: \(failure.description)", to: &standardError)
            throw ExitCode(failure.exitCode)
        }
    }

    func serve(_ settings: AdminServerSettings, secrets: ResolvedSecrets) async throws {
        // Backup and restore copy the file as it is: no schema migration, no claim.
        switch settings.maintenance {
        case .backup(let path):
            let summary = try StoreMaintenance.backup(store: settings.store, provider: settings.provider, to: path)
            print("backup of \(settings.provider) at \(path): \(StoreMaintenance.describe(summary))")
            return
        case .restore(let path):
            let summary = try StoreMaintenance.restore(store: settings.store, provider: settings.provider, from: path)
            print("restored \(settings.provider) from \(path): \(StoreMaintenance.describe(summary))")
            return
        case .setPassword, nil:
            break
        }
        settings.log.bootstrap()
        let exporter = PrometheusExporter()
        exporter.bootstrap()
        var logger = Logger(label: "tenant-admin")
        logger[metadataKey: "tenant.id"] = "\(settings.provider)"
        for warning in settings.warnings { logger.warning("\(warning)") }
        for name in secrets.givenDirectly {
            logger.warning("secret given in the environment, where docker inspect and /proc show it: use \(SecretName.fileVariable(name))", metadata: ["secret": "\(name)"])
        }
        var sealer: SettingsSealer?
        if let keyText = secrets.environment[SecretName.settingsKey] {
            do { sealer = try SettingsSealer(keyHex: keyText, provider: settings.provider.rawValue) } catch {
                throw ServerFailure.usage("\(SecretName.settingsKey): \(error)")
            }
        }

        let opened: OpenedAdminStore
        do { opened = try await openAdminStore(url: settings.store, environment: secrets.environment, logger: logger) } catch { throw ServerFailure.storeUnavailable("\(error)") }
        do { try await claimStore(opened.admin, for: settings.provider) } catch let error as StoreClaimError {
            throw ServerFailure.usage(error.description)
        } catch {
            throw ServerFailure.storeUnavailable("\(error)")
        }
        if case .setPassword(let user, let hash) = settings.maintenance {
            let outcome = try await StoreMaintenance.setPassword(store: opened.admin, user: user, hash: hash)
            await opened.close()
            print("staff user '\(user)' of \(settings.provider): password \(outcome), sessions ended")
            return
        }
        if settings.migrateOnly {
            logger.info("schema is current", metadata: ["store": "\(settings.store)"])
            await opened.close()
            return
        }
        var configuration = settings.configuration
        configuration.settingsSealer = sealer
        configuration.mailDeliveryExecutable = "/proc/self/exe"
        configuration.metricsListen = settings.metricsListen
        configuration.renderMetrics = exporter.render
        logger.info("starting", metadata: ["store": "\(settings.store)", "listen": "\(settings.listen)", "smtp": "\(settings.smtp.map { $0.url } ?? "none")"])
        do {
            let app = try await buildApplication(configuration: configuration, store: opened.admin, readings: opened.readings, logger: logger)
            try await app.runService()
        } catch {
            throw ServerFailure.cannotListen("cannot serve on \(settings.listen)\(settings.metricsListen.map { " or \($0)" } ?? ""): \(error)")
        }
        await opened.close()
        logger.info("stopped")
    }
}
