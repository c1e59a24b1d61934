import DockerAPI
import Foundation
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

/// start-provider's secrets against the in-memory engine: files in the secrets volume,
/// digests (never values) in the containers, rotation, status.
@Suite struct SecretsCommandsTests {
    let smtp = ["--smtp-url", "smtp://relay.example:2525", "--smtp-user", "relay", "--mail-from", "ops@example.com"]

    func passwordFile(_ content: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sec-pw-\(UUID().uuidString)").path
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Everything the engine was told, as text: request bodies other than archive uploads.
    func configText(_ fake: FakeDockerTransport) -> String {
        fake.requests.filter { $0.contentType == "application/json" }.compactMap { $0.body.map { String(decoding: $0, as: UTF8.self) } }.joined()
    }

    /// `--gateway-tls required`: a CA made once and kept, a server certificate from it, files
    /// for the ingest container only, no key anywhere but the volume; `gateway-ca` prints the CA.
    @Test func gatewayTLSMakesAProviderCAOnceAndPrintsIt() async throws {
        let fake = FakeDockerTransport(images: [image])
        let first = await tenantctl(startArgs("sec_t", ["--gateway-tls", "required", "--gateway-tls-host", "gw.example.net"]), transport: fake)
        #expect(first.code == 0, "\(first.err)")
        let files = fake.files(inVolume: "tenantctl_sec_t_secrets")
        let ca = try #require(files["gateway-ca-cert"]).content
        #expect(String(decoding: ca, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(String(decoding: try #require(files["gateway-ca-key"]).content, as: UTF8.self).contains("PRIVATE KEY"))
        // The chain is the server certificate then the CA, each block on lines of its own (a
        // block glued to the previous END line is unreadable to tenant-ingest).
        let chain = String(decoding: try #require(files["gateway-tls-cert"]).content, as: UTF8.self).split(separator: "\n")
        #expect(chain.filter { $0 == "-----BEGIN CERTIFICATE-----" }.count == 2)
        #expect(chain.filter { $0 == "-----END CERTIFICATE-----" }.count == 2)
        #expect(chain.allSatisfy { !$0.contains("-----") || $0 == "-----BEGIN CERTIFICATE-----" || $0 == "-----END CERTIFICATE-----" })
        #expect(String(decoding: try #require(files["gateway-tls-key"]).content, as: UTF8.self).contains("PRIVATE KEY"))
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_sec_t" }?.config)
        #expect(ingest.Env?.contains("TENANT_TLS=required") == true)
        #expect(ingest.Env?.contains("TENANT_TLS_KEY_FILE=/run/secrets/tenant/gateway-tls-key") == true)
        #expect(ingest.Labels?["io.tenantctl.gateway-tls"] == "required generated hosts=gw.example.net")
        #expect(!configText(fake).contains("PRIVATE KEY") && !configText(fake).contains("BEGIN CERTIFICATE"))
        // Another mode recreates ingest; the CA stays the one gateways trust.
        let second = await tenantctl(startArgs("sec_t", ["--gateway-tls", "optional", "--gateway-tls-host", "gw.example.net"]), transport: fake)
        #expect(second.code == 0, "\(second.err)")
        #expect(fake.files(inVolume: "tenantctl_sec_t_secrets")["gateway-ca-cert"]?.content == ca)
        #expect(fake.containers.first { $0.name == "remote_server_sec_t" }?.config.Env?.contains("TENANT_TLS=optional") == true)
        let printed = await tenantctl(["gateway-ca", "sec_t"], transport: fake)
        #expect(printed.code == 0, "\(printed.err)")
        #expect(printed.out.trimmingCharacters(in: .whitespacesAndNewlines) == String(decoding: ca, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!printed.out.contains("PRIVATE KEY"))
        // A provider without TLS has no CA to print.
        let plain = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("sec_u", []), transport: plain).code == 0)
        #expect(await tenantctl(["gateway-ca", "sec_u"], transport: plain).code == 3)
    }

    @Test func secretsGoToFilesInTheSecretsVolumeAndOnlyDigestsToTheContainers() async throws {
        let fake = FakeDockerTransport(images: [image])
        let file = try passwordFile("relay-Pa55word\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = await tenantctl(startArgs("sec_a", smtp + ["--smtp-password-file", file]), transport: fake)
        #expect(result.code == 0, "\(result.err)")

        let files = fake.files(inVolume: "tenantctl_sec_a_secrets")
        #expect(Set(files.keys) == ["cassandra-username", "cassandra-password", "smtp-password", "settings-key", "gateway-tls-cert", "gateway-tls-key"])
        #expect(files["smtp-password"]?.content == Array("relay-Pa55word".utf8))
        #expect(files["cassandra-password"]?.content == [])
        #expect(files.values.allSatisfy { $0.mode == 0o400 && $0.uid == 10001 && $0.gid == 10001 })
        let key = try #require(files["settings-key"]).content
        #expect(key.count == 64 && key.allSatisfy { Array("0123456789abcdef".utf8).contains($0) })
        #expect(fake.volumes.first { $0.Name == "tenantctl_sec_a_secrets" }?.Labels == ["io.tenantctl.provider": "sec_a", "io.tenantctl.role": "secrets"])
        // The one-shot container is gone; the servers remain.
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_sec_a", "admin_panel_sec_a"])

        let admin = try #require(fake.containers.first { $0.name == "admin_panel_sec_a" }?.config)
        #expect(admin.Env?.contains("TENANT_SMTP_PASSWORD_FILE=/run/secrets/tenant/smtp-password") == true)
        #expect(admin.Env?.contains("TENANT_SETTINGS_KEY_FILE=/run/secrets/tenant/settings-key") == true)
        #expect(admin.Env?.contains("TENANT_SMTP_URL=smtp://relay.example:2525") == true)
        #expect(admin.HostConfig?.Mounts?.contains(Mount(Type: "volume", Source: "tenantctl_sec_a_secrets", Target: "/run/secrets/tenant", ReadOnly: true)) == true)
        // sha256("tenantctl:sec_a:smtp-password:relay-Pa55word"), computed with coreutils' sha256sum.
        #expect(admin.Labels?["io.tenantctl.secret.smtp-password"] == "714a6082")
        #expect(admin.Labels?["io.tenantctl.secret.settings-key"] == "")
        // SQLite and no Cassandra login: the ingest server reads no secret and mounts nothing of them.
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_sec_a" }?.config)
        #expect(ingest.HostConfig?.Mounts?.map(\.Target) == ["/data"])
        #expect(!configText(fake).contains("relay-Pa55word"))
        #expect(!result.out.contains("relay-Pa55word") && !result.err.contains("relay-Pa55word"))
    }

    @Test func aRerunKeepsTheSettingsKeyAndRotationRecreatesOnlyTheContainersThatUseTheSecret() async throws {
        let fake = FakeDockerTransport(images: [image])
        let first = try passwordFile("first")
        let second = try passwordFile("second")
        defer { for path in [first, second] { try? FileManager.default.removeItem(atPath: path) } }
        #expect(await tenantctl(startArgs("sec_b", smtp + ["--smtp-password-file", first]), transport: fake).code == 0)
        let key = fake.files(inVolume: "tenantctl_sec_b_secrets")["settings-key"]
        let ingestID = try #require(fake.containers.first { $0.name == "remote_server_sec_b" }?.id)
        let adminID = try #require(fake.containers.first { $0.name == "admin_panel_sec_b" }?.id)

        fake.clearRequests()
        #expect(await tenantctl(startArgs("sec_b", smtp + ["--smtp-password-file", first]), transport: fake).code == 0)
        #expect(fake.changingRequests.isEmpty)  // unchanged secret: nothing to do

        let rotated = await tenantctl(startArgs("sec_b", smtp + ["--smtp-password-file", second]), transport: fake)
        #expect(rotated.code == 0, "\(rotated.err)")
        #expect(rotated.out.contains("remove container admin_panel_sec_b (settings changed)"))
        #expect(fake.containers.first { $0.name == "remote_server_sec_b" }?.id == ingestID)
        #expect(fake.containers.first { $0.name == "admin_panel_sec_b" }?.id != adminID)
        let files = fake.files(inVolume: "tenantctl_sec_b_secrets")
        #expect(files["smtp-password"]?.content == Array("second".utf8))
        #expect(files["settings-key"] == key)

        // Dropping the relay empties its password file and recreates the admin app only.
        let dropped = await tenantctl(startArgs("sec_b"), transport: fake)
        #expect(dropped.code == 0, "\(dropped.err)")
        #expect(fake.files(inVolume: "tenantctl_sec_b_secrets")["smtp-password"]?.content == [])
        #expect(fake.containers.first { $0.name == "remote_server_sec_b" }?.id == ingestID)
    }

    @Test func cassandraCredentialsGoToBothServersAndStatusShowsDigests() async throws {
        let fake = FakeDockerTransport(images: [image])
        let file = try passwordFile("cass-secret")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = await DockerEnvironment.$variables.withValue(["TENANT_CASSANDRA_USERNAME": "tenant_sec"]) {
            await tenantctl(startArgs("sec_c", ["--store", "cassandra", "--cassandra", "10.9.9.9:9042", "--cassandra-password-file", file]), transport: fake)
        }
        #expect(result.code == 0, "\(result.err)")
        for name in ["remote_server_sec_c", "admin_panel_sec_c"] {
            let config = try #require(fake.containers.first { $0.name == name }?.config)
            #expect(config.Env?.contains("TENANT_CASSANDRA_PASSWORD_FILE=/run/secrets/tenant/cassandra-password") == true, "\(name)")
            #expect(config.Env?.contains("TENANT_CASSANDRA_USERNAME_FILE=/run/secrets/tenant/cassandra-username") == true, "\(name)")
        }
        let files = fake.files(inVolume: "tenantctl_sec_c_secrets")
        #expect(files["cassandra-password"]?.content == Array("cass-secret".utf8))
        #expect(files["cassandra-username"]?.content == Array("tenant_sec".utf8))
        #expect(!configText(fake).contains("cass-secret"))

        let status = await tenantctl(["status", "sec_c", "--json"], transport: fake)
        #expect(status.code == 0, "\(status.err)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let secrets = try #require(json["secrets"] as? [[String: Any]])
        #expect(secrets.map { $0["name"] as? String } == ["cassandra-password", "cassandra-username", "settings-key"])
        // sha256("tenantctl:sec_c:cassandra-password:cass-secret"), from sha256sum.
        #expect(secrets[0]["sha256"] as? String == "fa2eedbe")
        #expect(secrets[0]["containers"] as? [String] == ["admin", "ingest"])
        #expect(secrets[2]["containers"] as? [String] == ["admin"])
        #expect(json["secrets_volume"] as? String == "tenantctl_sec_c_secrets")
        #expect(!status.out.contains("cass-secret"))
    }

    @Test func badSecretOptionsAreOneLineUsageErrorsNamingTheFile() async {
        let fake = FakeDockerTransport(images: [image])
        let missing = await tenantctl(startArgs("sec_d", smtp + ["--smtp-password-file", "/nonexistent/sec_pw"]), transport: fake)
        #expect(missing.code == ExitStatus.usage)
        #expect(missing.err == "tenantctl: error: cannot read secret file /nonexistent/sec_pw (--smtp-password-file): No such file or directory\n")
        for args in [
            ["--smtp-url", "smtp://relay:25"],  // no sender
            ["--smtp-user", "x"],  // no relay
            ["--cassandra-password-file", "/x"],  // not Cassandra
            ["--smtp-url", "http://relay", "--mail-from", "a@b.c"],
        ] {
            #expect(await tenantctl(startArgs("sec_d", args), transport: fake).code == ExitStatus.usage, "\(args)")
        }
        #expect(fake.containers.isEmpty)
    }

    @Test func statusShowsAFailingServerUnhealthyWithItsLastLogLine() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("sec_e"), transport: fake).code == 0)
        fake.setState(container: "admin_panel_sec_e", "restarting")
        let line = "tenant-admin: error: cannot read secret file /run/secrets/tenant/settings-key (TENANT_SETTINGS_KEY_FILE): Permission denied\n"
        fake.setLogs(container: "admin_panel_sec_e", [2, 0, 0, 0, 0, 0, 0, UInt8(line.utf8.count)] + Array(line.utf8))
        let status = await tenantctl(["status", "sec_e", "--json"], transport: fake)
        let json = try #require(JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        #expect(json["health"] as? String == "unhealthy")
        let containers = try #require(json["containers"] as? [[String: Any]])
        let admin = try #require(containers.first { $0["role"] as? String == "admin" })
        #expect(admin["reason"] as? String == String(line.dropLast()))
        #expect(containers.first { $0["role"] as? String == "ingest" }?["reason"] == nil)
    }
}

/// `db start` publishes CQL on loopback unless `--publish` says otherwise.
@Suite struct DatabasePublishTests {
    func binding(_ fake: FakeDockerTransport) -> PortBinding? {
        fake.containers.first { $0.name == "tenantctl_db" }?.config.HostConfig?.PortBindings?["9042/tcp"]?.first
    }

    @Test func loopbackByDefaultAnotherAddressOnlyWhenAskedAndKeptByAReRun() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        #expect(binding(fake) == PortBinding(HostIp: "127.0.0.1", HostPort: "9042"))
        let published = await tenantctl(["db", "start", "--publish", "10.1.2.3:19042"], transport: fake)
        #expect(published.code == 0, "\(published.err)")
        #expect(binding(fake) == PortBinding(HostIp: "10.1.2.3", HostPort: "19042"))
        fake.clearRequests()
        #expect(await tenantctl(["db", "start"], transport: fake).code == 0)
        #expect(fake.changingRequests.isEmpty, "a re-run keeps the published address")
        for bad in [["--publish", "db.example:9042"], ["--publish", "10.1.2.3"], ["--publish", "0.0.0.0:1", "--port", "2"]] {
            #expect(await tenantctl(["db", "start"] + bad, transport: fake).code == ExitStatus.usage, "\(bad)")
        }
    }
}
