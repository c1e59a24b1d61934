import DockerAPI
import TenantModel
import Testing

@testable import TenantPlan

@Suite struct SecretsPlanTests {
    func settings(_ digests: [SecretKind: String] = [:], store: StoreChoice = .sqlite) throws -> ProviderSettings {
        var settings = ProviderSettings(id: try ProviderID("sec_p"), image: "img", gatewayPort: 6001, adminPort: 8081, store: store)
        settings.secretDigests = digests
        return settings
    }

    @Test func eachSecretIsAFileVariableAndADigestLabelOnTheContainersThatReadIt() throws {
        let plan = Planner.plan(try settings([.cassandraUsername: "11111111", .cassandraPassword: "22222222"], store: .cassandra([HostPort(host: "db", port: 9042)])))
        let ingest = try #require(plan.container(.ingest)).request
        let admin = try #require(plan.container(.admin)).request
        #expect(ingest.Env?.filter { $0.contains("_FILE=") } == [
            "TENANT_CASSANDRA_PASSWORD_FILE=/run/secrets/tenant/cassandra-password",
            "TENANT_CASSANDRA_USERNAME_FILE=/run/secrets/tenant/cassandra-username",
        ])
        #expect(admin.Env?.filter { $0.contains("_FILE=") } == [
            "TENANT_CASSANDRA_PASSWORD_FILE=/run/secrets/tenant/cassandra-password",
            "TENANT_CASSANDRA_USERNAME_FILE=/run/secrets/tenant/cassandra-username",
            "TENANT_SETTINGS_KEY_FILE=/run/secrets/tenant/settings-key",
        ])
        #expect(ingest.Labels?["io.tenantctl.secret.cassandra-password"] == "22222222")
        #expect(ingest.Labels?["io.tenantctl.secret.settings-key"] == nil)
        let secretsMount = Mount(Type: "volume", Source: "tenantctl_sec_p_secrets", Target: "/run/secrets/tenant", ReadOnly: true)
        #expect(ingest.HostConfig?.Mounts == [secretsMount])
        #expect(admin.HostConfig?.Mounts == [secretsMount])
    }

    @Test func aChangedDigestChangesTheConfigHashOfExactlyTheContainersThatReadIt() throws {
        let before = Planner.plan(try settings([.smtpPassword: "aaaaaaaa"]))
        let after = Planner.plan(try settings([.smtpPassword: "bbbbbbbb"]))
        #expect(before.container(.ingest)?.configHash == after.container(.ingest)?.configHash)
        #expect(before.container(.admin)?.configHash != after.container(.admin)?.configHash)
    }

    @Test func theRelayIsPlainSettingsOnTheAdminContainerOnly() throws {
        var settings = try settings()
        settings.smtpRelay = SMTPRelay(url: "smtp://relay:25", user: "u", from: "ops@example.com", requireTLS: true)
        let plan = Planner.plan(settings)
        #expect(plan.container(.admin)?.request.Env?.suffix(4) == [
            "TENANT_SMTP_URL=smtp://relay:25", "TENANT_MAIL_FROM=ops@example.com", "TENANT_SMTP_USER=u", "TENANT_SMTP_REQUIRE_TLS=1",
        ])
        #expect(plan.container(.ingest)?.request.Env?.contains { $0.hasPrefix("TENANT_SMTP") } == false)
    }

    @Test func theFillerMountsTheVolumeWritableAndRunsNothing() throws {
        let filler = SecretsPlan.filler(try settings())
        #expect(filler.HostConfig?.Mounts == [Mount(Type: "volume", Source: "tenantctl_sec_p_secrets", Target: "/run/secrets/tenant", ReadOnly: false)])
        #expect(filler.HostConfig?.NetworkMode == "none")
        #expect(filler.Labels == ["io.tenantctl.provider": "sec_p", "io.tenantctl.role": "secrets"])
        #expect(SecretsPlan.volume(try ProviderID("sec_p")).Name == "tenantctl_sec_p_secrets")
    }

    @Test func secretChangesNameTheSecretAndHowItChangedNeverADigest() {
        let before = ["io.tenantctl.secret.smtp-password": "aaaaaaaa", "io.tenantctl.secret.settings-key": "", "io.tenantctl.role": "admin",
                      "io.tenantctl.secret.cassandra-password": "cccccccc"]
        let after = ["io.tenantctl.secret.smtp-password": "bbbbbbbb", "io.tenantctl.secret.settings-key": "", "io.tenantctl.role": "ingest",
                     "io.tenantctl.secret.cassandra-username": "dddddddd"]
        #expect(PlanLabels.secretChanges(from: before, to: after) == [
            "secret cassandra-password: removed", "secret cassandra-username: added", "secret smtp-password: changed",
        ])
        #expect(PlanLabels.secretChanges(from: before, to: before).isEmpty)
    }
}
