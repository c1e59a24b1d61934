import AdminApp
import ServerSupport
import TenantMailer
import TenantModel
import Testing

@Suite struct AdminServerSettingsTests {
    func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> AdminInvocation {
        try AdminServerSettings.parse(try AdminOptions.parse(arguments), environment: environment)
    }

    func settings(_ arguments: [String], _ environment: [String: String] = [:]) throws -> AdminServerSettings {
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

    @Test func whereGatewaysConnectComesFromTheEnvironment() throws {
        let base = ["TENANT_PROVIDER": "acme", "TENANT_STORE": "sqlite:/data/acme.db"]
        let port = try settings([], base.merging(["TENANT_GATEWAY_PORT": "6001"]) { $1 })
        #expect(port.gatewayPort == 6001 && port.gatewayAddress == nil && port.configuration.gatewayPort == 6001)
        let address = try settings([], base.merging(["TENANT_GATEWAY_ADDRESS": "ingest.example.net:7000"]) { $1 })
        #expect(address.configuration.gatewayAddress == "ingest.example.net:7000")
        #expect(try settings([], base).configuration.gatewayPort == nil)
        for bad in [["TENANT_GATEWAY_PORT": "70000"], ["TENANT_GATEWAY_PORT": "x"], ["TENANT_GATEWAY_ADDRESS": "no-port"]] {
            #expect(failure([], base.merging(bad) { $1 }) != nil, "\(bad)")
        }
    }

    @Test func environmentGivesEverySetting() throws {
        let settings = try settings([], [
            "TENANT_PROVIDER": "acme", "TENANT_STORE": "sqlite:/data/acme.db", "TENANT_LISTEN": "0.0.0.0:8080",
            "TENANT_METRICS_LISTEN": "0.0.0.0:9464", "TENANT_LOG_LEVEL": "notice", "TENANT_LOG_FORMAT": "json",
            "TENANT_SECURE_COOKIES": "1", "TENANT_ADMIN_BOOTSTRAP_HASH": "$y$j9T$abc", "TENANT_SMTP_URL": "smtps://mail.example.com:465",
            "TENANT_SMTP_USER": "panel", "TENANT_SMTP_PASSWORD": "s3cret", "TENANT_MAIL_FROM": "panel@example.com",
            "TENANT_SMTP_REQUIRE_TLS": "1",
        ])
        #expect(settings.provider.rawValue == "acme")
        #expect(settings.store == .sqlite(path: "/data/acme.db"))
        #expect(settings.listen == HostPort(host: "0.0.0.0", port: 8080))
        #expect(settings.metricsListen == HostPort(host: "0.0.0.0", port: 9464))
        #expect(settings.log == LogSettings(level: .notice, format: .json))
        #expect(settings.secureCookies)
        #expect(settings.bootstrapHash == "$y$j9T$abc")
        #expect(settings.smtp == SMTPConfiguration(url: "smtps://mail.example.com:465", username: "panel", password: "s3cret", from: "panel@example.com", requireTLS: true))
        #expect(settings.warnings == [])
        let configuration = settings.configuration
        #expect(configuration.port == 8080)
        #expect(configuration.secureCookies)
        #expect(configuration.smtp?.password == "s3cret")
    }

    @Test func flagsWinAndDefaultsFillTheRest() throws {
        let settings = try settings(
            ["--provider", "acme", "--store", "sqlite:/data/acme.db", "--log-level", "error", "--log-format", "text"],
            ["TENANT_PROVIDER": "other", "TENANT_LOG_LEVEL": "debug", "TENANT_LOG_FORMAT": "json"])
        #expect(settings.provider.rawValue == "acme")
        #expect(settings.listen == HostPort(host: "0.0.0.0", port: 80))
        #expect(settings.metricsListen == nil)
        #expect(settings.log == LogSettings(level: .error, format: .text))
        #expect(!settings.secureCookies)
        #expect(settings.smtp == nil)
        #expect(settings.bootstrapHash == nil)
    }

    @Test func oldLogLevelVariableStillWorksWithAWarning() throws {
        let settings = try settings(["--provider", "acme", "--store", "sqlite:/data/acme.db"], ["LOG_LEVEL": "debug"])
        #expect(settings.log.level == .debug)
        #expect(settings.warnings == ["LOG_LEVEL is deprecated: set TENANT_LOG_LEVEL instead"])
    }

    @Test func oneShotModes() throws {
        #expect(try parse(["--health-check"]) == .healthCheck(HostPort(host: "0.0.0.0", port: 80)))
        #expect(try parse(["--health-check", "--listen", "127.0.0.1:8081"]) == .healthCheck(HostPort(host: "127.0.0.1", port: 8081)))
        #expect(try parse(["--print-metrics", "--metrics-listen", "127.0.0.1:9464"]) == .printMetrics(HostPort(host: "127.0.0.1", port: 9464)))
        #expect(try parse(["--deliver-mail"]) == .deliverMail)
    }

    @Test func badValuesAreUsageErrorsThatNameTheValue() {
        let cases: [([String], [String: String], String)] = [
            (["--provider", "Bad-ID", "--store", "sqlite:/tmp/x.db"], [:], "Bad-ID"),
            (["--provider", "acme", "--store", "cassandra://db1/other"], [:], "serves only its own keyspace"),
            (["--provider", "acme", "--store", "mysql://x"], [:], "unsupported store URL"),
            (["--store", "sqlite:/tmp/x.db"], [:], "no provider"),
            (["--provider", "acme"], [:], "no store"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--listen", "127.0.0.1:99999"], [:], "invalid --listen"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--listen", "127.0.0.1:80", "--metrics-listen", "127.0.0.1:80"], [:], "need a port of their own"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db"], ["TENANT_ADMIN_BOOTSTRAP_HASH": "plaintext"], "not a crypt hash"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--smtp-url", "http://x"], [:], "bad SMTP URL"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--smtp-url", "smtp://x"], [:], "a mail sender is needed"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db"], ["LOG_LEVEL": "chatty"], "invalid log level 'chatty'"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--log-format", "logfmt"], [:], "invalid log format 'logfmt'"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db", "--trusted-proxy", "10.0.0.1/8"], [:], "'10.0.0.1/8' is not an IP address or network"),
            (["--provider", "acme", "--store", "sqlite:/tmp/a.db"], ["TENANT_TRUSTED_PROXIES": "10.0.0.0/8,proxy"], "invalid --trusted-proxy: 'proxy'"),
        ]
        for (arguments, environment, message) in cases {
            let failure = failure(arguments, environment)
            #expect(failure?.code == .usage, "\(arguments)")
            #expect(failure?.description.contains(message) == true, "\(arguments): \(String(describing: failure))")
        }
    }

    @Test func trustedProxiesFromFlagsOrEnvironment() throws {
        let base = ["--provider", "acme", "--store", "sqlite:/tmp/a.db"]
        #expect(try settings(base).trustedProxies.networks.isEmpty)
        let flags = try settings(base + ["--trusted-proxy", "172.17.0.1", "--trusted-proxy", "fd00::/8"], ["TENANT_TRUSTED_PROXIES": "10.0.0.0/8"])
        #expect(flags.trustedProxies.networks.map(\.description) == ["172.17.0.1/32", "fd00:0:0:0:0:0:0:0/8"])
        #expect(flags.configuration.trustedProxies == flags.trustedProxies)
        let environment = try settings(base, ["TENANT_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.0/24"])
        #expect(environment.trustedProxies.networks.map(\.description) == ["10.0.0.0/8", "192.168.1.0/24"])
    }
}
