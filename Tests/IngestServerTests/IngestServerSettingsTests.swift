import IngestServer
import ServerSupport
import TenantModel
import Testing

@Suite struct IngestServerSettingsTests {
    func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> IngestInvocation {
        try IngestServerSettings.parse(try IngestOptions.parse(arguments), environment: environment)
    }

    func settings(_ arguments: [String], _ environment: [String: String] = [:]) throws -> IngestServerSettings {
        guard case .run(let settings) = try parse(arguments, environment) else { throw ServerFailure.usage("not a run") }
        return settings
    }

    func failure(_ arguments: [String], _ environment: [String: String] = [:]) -> ServerFailure? {
        do {
            _ = try parse(arguments, environment)
            return nil
        } catch let failure as ServerFailure {
            return failure
        } catch {
            return ServerFailure(.unhealthy, "unexpected \(error)")
        }
    }

    @Test func environmentGivesEverySettingAndFlagsWin() throws {
        let environment = [
            "TENANT_PROVIDER": "acme", "TENANT_STORE": "sqlite:/data/acme.db", "TENANT_LISTEN": "0.0.0.0:6001",
            "TENANT_METRICS_LISTEN": "0.0.0.0:9464", "TENANT_DURABILITY": "full", "TENANT_IDLE_TIMEOUT": "42",
            "TENANT_LOG_LEVEL": "debug", "TENANT_LOG_FORMAT": "json",
        ]
        let fromEnvironment = try settings([], environment)
        #expect(fromEnvironment.provider?.rawValue == "acme")
        #expect(fromEnvironment.store == .sqlite(path: "/data/acme.db"))
        #expect(fromEnvironment.listen == HostPort(host: "0.0.0.0", port: 6001))
        #expect(fromEnvironment.metricsListen == HostPort(host: "0.0.0.0", port: 9464))
        #expect(fromEnvironment.durability == .full)
        #expect(fromEnvironment.idleTimeoutSeconds == 42)
        #expect(fromEnvironment.log == LogSettings(level: .debug, format: .json))
        #expect(fromEnvironment.warnings == [])
        #expect(fromEnvironment.configuration.port == 6001)
        #expect(fromEnvironment.configuration.idleTimeout == .seconds(42))

        let flags = try settings(
            ["--provider", "other", "--store", "sqlite:/x/other.db", "--listen", "127.0.0.1:7000", "--metrics-listen", "127.0.0.1:7001",
             "--durability", "normal", "--idle-timeout", "5", "--log-level", "error", "--log-format", "text"], environment)
        #expect(flags.provider?.rawValue == "other")
        #expect(flags.listen == HostPort(host: "127.0.0.1", port: 7000))
        #expect(flags.metricsListen == HostPort(host: "127.0.0.1", port: 7001))
        #expect(flags.durability == .normal)
        #expect(flags.idleTimeoutSeconds == 5)
        #expect(flags.log == LogSettings(level: .error, format: .text))
    }

    @Test func defaults() throws {
        let settings = try settings(["--provider", "acme", "--store", "sqlite:/data/acme.db"])
        #expect(settings.listen == HostPort(host: "0.0.0.0", port: 6000))
        #expect(settings.metricsListen == nil)
        #expect(settings.durability == .normal)
        #expect(settings.idleTimeoutSeconds == 300)
        #expect(settings.log == LogSettings(level: .info, format: .text))
        #expect(settings.migrateOnly == false)
    }

    @Test func oneShotModesNeedOnlyTheirAddress() throws {
        #expect(try parse(["--health-check"]) == .healthCheck(HostPort(host: "0.0.0.0", port: 6000)))
        #expect(try parse(["--health-check"], ["TENANT_LISTEN": "127.0.0.1:6100"]) == .healthCheck(HostPort(host: "127.0.0.1", port: 6100)))
        #expect(try parse(["--print-metrics"], ["TENANT_METRICS_LISTEN": "0.0.0.0:9464"]) == .printMetrics(HostPort(host: "0.0.0.0", port: 9464)))
        #expect(failure(["--print-metrics"])?.description == "--print-metrics needs --metrics-listen or TENANT_METRICS_LISTEN")
        // Migrating needs no provider.
        let migrate = try settings(["--migrate-only", "--store", "sqlite:/tmp/m.db"])
        #expect(migrate.migrateOnly)
        #expect(migrate.provider == nil)
    }

    @Test func badValuesAreUsageErrorsThatNameTheValue() {
        let cases: [([String], [String: String], String)] = [
            (["--provider", "Bad-ID", "--store", "sqlite:/tmp/x.db"], [:], "Bad-ID"),
            (["--provider", "ok", "--store", "mysql://x"], [:], "mysql://x"),
            (["--provider", "ok", "--store", "cassandra://127.0.0.1:1/other"], [:], "does not belong to provider 'ok'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--durability", "sometimes"], [:], "invalid durability 'sometimes'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--idle-timeout", "0"], [:], "invalid idle timeout '0'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--listen", "nowhere"], [:], "invalid --listen 'nowhere'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--metrics-listen", "x:99999"], [:], "invalid --metrics-listen 'x:99999'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--listen", "0.0.0.0:6000", "--metrics-listen", "0.0.0.0:6000"], [:], "metrics need a port of their own"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db"], ["TENANT_LOG_LEVEL": "loud"], "invalid log level 'loud'"),
            (["--provider", "ok", "--store", "sqlite:/tmp/ok.db", "--log-format", "xml"], [:], "invalid log format 'xml'"),
            (["--store", "sqlite:/tmp/x.db"], [:], "no provider"),
            (["--provider", "ok"], [:], "no store"),
        ]
        for (arguments, environment, message) in cases {
            let failure = failure(arguments, environment)
            #expect(failure?.code == .usage, "\(arguments)")
            #expect(failure?.description.contains(message) == true, "\(arguments): \(String(describing: failure))")
        }
    }

    @Test func oldLogLevelVariableStillWorksWithAWarning() throws {
        let settings = try settings(["--provider", "acme", "--store", "sqlite:/data/acme.db"], ["LOG_LEVEL": "warning"])
        #expect(settings.log.level == .warning)
        #expect(settings.warnings == ["LOG_LEVEL is deprecated: set TENANT_LOG_LEVEL instead"])
        // The new name wins, without a warning.
        let both = try self.settings(["--provider", "acme", "--store", "sqlite:/data/acme.db"], ["LOG_LEVEL": "warning", "TENANT_LOG_LEVEL": "notice"])
        #expect(both.log.level == .notice)
        #expect(both.warnings == [])
    }

    @Test func aStoreFileNamedAfterAnotherProviderIsWarnedAbout() throws {
        let settings = try settings(["--provider", "acme", "--store", "sqlite:/data/other.db"])
        #expect(settings.warnings == ["store file /data/other.db is not named after the provider"])
    }
}
