import AdminTestSupport
import Foundation
import Logging
import TenantStorage
import TenantStoreFactory
import TenantModel
import TenantTestSupport
import Testing

// Secrets on the real engine with the real image: a provider on a Cassandra store (this fake
// node, demanding a login) with a platform SMTP relay (aiosmtpd, demanding AUTH), both on the
// host and reached from the provider's containers through the docker0 bridge address.

private let environment = ProcessInfo.processInfo.environment
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1"
private let image = environment["TENANTCTL_E2E_IMAGE"] ?? "tenantctl:0.1.0"

@Suite(.serialized, .enabled(if: enabled, "needs the Docker engine and the image: set TENANTCTL_INTEGRATION=1"))
struct SecretsEngineTests {
    static func token(_ count: Int = 12) -> String {
        String((0..<count).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement()! })
    }

    let id = "sec_" + Self.token(8)
    let cassandraUser = "sec_user_" + Self.token(6)
    let cassandraPassword = "Cass-" + Self.token(16)
    let smtpPasswords = ["Relay1-" + Self.token(16), "Relay2-" + Self.token(16)]

    func run(_ path: String, _ arguments: [String], extra: [String: String] = [:]) async throws -> ProgramResult {
        let result = try await runProgram(path, arguments, environment: environment.merging(extra) { $1 }, timeout: .seconds(120))
        if result.timedOut { Issue.record("\(path) \(arguments.joined(separator: " ")) timed out") }
        return result
    }

    func tenantctl(_ arguments: [String]) async throws -> ProgramResult {
        try await run(builtProduct("tenantctl"), arguments, extra: ["TENANT_CASSANDRA_USERNAME": cassandraUser])
    }

    func docker(_ arguments: [String]) async throws -> ProgramResult { try await run("/usr/bin/docker", arguments) }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    /// `status --json` once `done` holds for it.
    func waitForStatus(_ what: String, timeout: Duration = .seconds(90), _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let result = try await tenantctl(["status", id, "--json"])
            last = result.out + result.err
            if result.code == 0, let status = try? json(result.out), done(status) { return status }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("\(id): \(what) did not happen: \(last)")
        throw CancellationError()
    }

    func containerIDs() async throws -> [String: String] {
        let result = try await docker(["ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.ID}}", "--filter", "label=io.tenantctl.provider=\(id)"])
        return Dictionary(uniqueKeysWithValues: result.out.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), String(parts[1]))
        })
    }

    func sha256Prefix(_ text: String, in directory: URL) async throws -> String {
        let file = directory.appendingPathComponent("digest-input")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return String(try await run("/usr/bin/sha256sum", [file.path]).out.prefix(8))
    }

    @Test func secretsReachTheServersAndNowhereElse() async throws {
        // The host's address on docker0: containers on any bridge network reach the host there.
        let bridge = try await run("/usr/sbin/ip", ["-4", "-o", "addr", "show", "docker0"])
        let hostIP = bridge.out.split(separator: " ").firstIndex(of: "inet").map { index in
            String(bridge.out.split(separator: " ")[index + 1].split(separator: "/")[0])
        } ?? ""
        try #require(bridge.code == 0 && !hostIP.isEmpty, "docker0's address: \(bridge.out) \(bridge.err)")
        let node = try await FakeStoreNode.start(host: "0.0.0.0", credentials: (cassandraUser, cassandraPassword))
        let sink = try await SMTPSink.start(host: "0.0.0.0", logins: [("relay", smtpPasswords[0]), ("relay", smtpPasswords[1])])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sec-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = (cassandra: directory.appendingPathComponent("cassandra-pw").path, smtp: directory.appendingPathComponent("smtp-pw").path)
        try Data("\(cassandraPassword)\n".utf8).write(to: URL(fileURLWithPath: files.cassandra))
        try Data("\(smtpPasswords[0])\n".utf8).write(to: URL(fileURLWithPath: files.smtp))
        let arguments = [
            "start-provider", id, "--image", image, "--store", "cassandra", "--cassandra", "\(hostIP):\(node.server.port)",
            "--cassandra-password-file", files.cassandra, "--smtp-url", "smtp://\(hostIP):\(sink.port)", "--smtp-user", "relay",
            "--smtp-password-file", files.smtp, "--mail-from", "ops@\(id).example",
        ]
        do {
            try await scenario(arguments: arguments, node: node, sink: sink, directory: directory, files: files)
        } catch {
            await cleanup(node: node, sink: sink, directory: directory)
            throw error
        }
        await cleanup(node: node, sink: sink, directory: directory)
    }

    func cleanup(node: FakeStoreNode, sink: SMTPSink, directory: URL) async {
        // The keyspace drop logs in too; whatever a failed purge leaves goes by label.
        _ = try? await run(
            builtProduct("tenantctl"), ["remove", id, "--purge-data", "--yes"],
            extra: ["TENANT_CASSANDRA_USERNAME": cassandraUser, "TENANT_CASSANDRA_PASSWORD": cassandraPassword])
        let label = "label=io.tenantctl.provider=\(id)"
        for (kind, list) in [("container", ["ps", "-aq"]), ("network", ["network", "ls", "-q"]), ("volume", ["volume", "ls", "-q"])] {
            guard let left = try? await docker(list + ["--filter", label]).out.split(separator: "\n").map(String.init), !left.isEmpty else { continue }
            _ = try? await docker([kind, "rm"] + (kind == "container" ? ["-f"] : []) + left)
        }
        sink.stop()
        await node.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func scenario(
        arguments: [String], node: FakeStoreNode, sink: SMTPSink, directory: URL, files: (cassandra: String, smtp: String)
    ) async throws {
        let started = try await tenantctl(arguments + ["--json"])
        try #require(started.code == 0, "start-provider: \(started.err)")
        // Both servers are healthy only after logging in to the node with the credentials from their files.
        _ = try await waitForStatus("both servers healthy") { ($0["health"] as? String) == "healthy" }
        #expect(node.refusedLogins.withLock { $0 } == 0)

        // The admin app sends through the relay with the password from its file.
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/\(id)")
        var logger = Logger(label: "sec-test")
        logger.logLevel = .critical
        let store = try await openAdminStore(
            url: url, environment: ["TENANT_CASSANDRA_USERNAME": cassandraUser, "TENANT_CASSANDRA_PASSWORD": cassandraPassword], logger: logger)
        defer { Task { await store.close() } }
        func send(_ subject: String) async throws {
            #expect(try await store.admin.enqueue(OutboxMail(
                dedupeKey: "sec:\(subject)", recipients: ["ops@example.com"], subject: subject, textBody: "t", htmlBody: "<p>h</p>", createdAt: 0, nextAttemptAt: 0)))
        }
        try await send("first relay password")
        // Queued from outside the panel: its outbox re-reads an empty queue every minute.
        let first = try await sink.waitForMessages(1, timeout: 120)
        #expect(first.first?.contains("Subject: first relay password") == true)
        #expect(first.first?.contains("X-Auth-Login: 0") == true, "authenticated with the first password")

        // The values are nowhere else: inspect, tenantctl's output, the servers' logs, argv on the host.
        let ids = try await containerIDs()
        #expect(Set(ids.keys) == ["remote_server_\(id)", "admin_panel_\(id)"])
        var seen = ""
        for object in [["container", "inspect"] + Array(ids.values), ["network", "inspect", "tenantctl_\(id)"], ["volume", "inspect", "tenantctl_\(id)_secrets"]] {
            let inspect = try await docker(object)
            #expect(inspect.code == 0, "\(object): \(inspect.err)")
            seen += inspect.out
        }
        for command in [["list", "--json"], ["list"], ["status", id, "--json"], ["status", id], ["plan"] + arguments.dropFirst()] {
            let output = try await tenantctl(command)
            #expect(output.code == 0, "\(command): \(output.err)")
            seen += output.out + output.err
        }
        for name in ids.keys { let logs = try await docker(["logs", name]); seen += logs.out + logs.err }
        seen += try await commandLines()
        for secret in [cassandraUser, cassandraPassword, smtpPasswords[0]] {
            #expect(!seen.contains(secret), "a secret shows outside its file")
        }
        #expect(seen.contains("TENANT_SMTP_PASSWORD_FILE=/run/secrets/tenant/smtp-password"), "the inspect output was read")

        // status shows which secrets the provider has and their digests.
        let status = try json(try await tenantctl(["status", id, "--json"]).out)
        let secrets = try #require(status["secrets"] as? [[String: Any]])
        #expect(secrets.map { $0["name"] as? String } == ["cassandra-password", "cassandra-username", "settings-key", "smtp-password"])
        let smtpDigest = try await sha256Prefix("tenantctl:\(id):smtp-password:\(smtpPasswords[0])", in: directory)
        #expect(secrets[3]["sha256"] as? String == smtpDigest)
        #expect(secrets[0]["containers"] as? [String] == ["admin", "ingest"])

        // The files: 0400, owned by the image's user, on the secrets volume mounted read-only.
        let listing = try await docker([
            "run", "--rm", "--network", "none", "-v", "tenantctl_\(id)_secrets:/s:ro", "--entrypoint", "stat", image, "-c", "%a %u %n",
            "/s/cassandra-password", "/s/smtp-password", "/s/settings-key",
        ])
        #expect(listing.out == "400 10001 /s/cassandra-password\n400 10001 /s/smtp-password\n400 10001 /s/settings-key\n", "\(listing.err)")
        let write = try await docker(["exec", "admin_panel_\(id)", "/bin/sh", "-c", "echo x > /run/secrets/tenant/smtp-password"])
        #expect(write.code != 0, "the servers cannot change their secrets")

        // Rotation: a new relay password recreates the admin container only; mail keeps flowing
        // with the new password and what the store held stays.
        try Data(smtpPasswords[1].utf8).write(to: URL(fileURLWithPath: files.smtp))
        let rotated = try await tenantctl(arguments)
        #expect(rotated.code == 0, "\(rotated.err)")
        #expect(rotated.out.contains("remove container admin_panel_\(id) (settings changed)"))
        #expect(!rotated.out.contains("remote_server_\(id)"))
        let afterRotation = try await containerIDs()
        #expect(afterRotation["remote_server_\(id)"] == ids["remote_server_\(id)"])
        #expect(afterRotation["admin_panel_\(id)"] != ids["admin_panel_\(id)"])
        _ = try await waitForStatus("healthy after rotation") { ($0["health"] as? String) == "healthy" }
        try await send("second relay password")
        let second = try await sink.waitForMessages(2, timeout: 120)
        #expect(second.last?.contains("X-Auth-Login: 1") == true, "authenticated with the rotated password")
        // The app marks a mail sent after the relay accepted it: wait for that mark.
        var sent = 0
        for _ in 0..<100 where sent < 2 {
            sent = try await store.admin.outboxCounts().sent
            if sent < 2 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(sent == 2, "both mails are marked sent; the first one's record stayed through the rotation")

        // An unreadable secret file: the admin server exits with one line naming the file and
        // status shows the provider unhealthy with that line.
        let chmod = try await docker([
            "run", "--rm", "--network", "none", "--user", "0", "-v", "tenantctl_\(id)_secrets:/s", "--entrypoint", "chmod", image, "000", "/s/smtp-password",
        ])
        try #require(chmod.code == 0, "\(chmod.err)")
        _ = try await docker(["restart", "-t", "5", "admin_panel_\(id)"])
        let line = "tenant-admin: error: cannot read secret file /run/secrets/tenant/smtp-password (TENANT_SMTP_PASSWORD_FILE): Permission denied"
        let broken = try await waitForStatus("the unreadable file reported") { status in
            let admin = (status["containers"] as? [[String: Any]])?.first { $0["role"] as? String == "admin" }
            return status["health"] as? String == "unhealthy" && admin?["reason"] as? String == line
        }
        #expect(broken["state"] as? String == "running", "a restarting container counts as up; its health says why not")
        let logs = try await docker(["logs", "admin_panel_\(id)"])
        #expect(logs.err.contains(line))
        #expect(!logs.err.contains(smtpPasswords[1]))
    }

    /// Every process's command line on the host, NUL bytes as spaces.
    func commandLines() async throws -> String {
        var text = ""
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            if let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") {
                text += String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self) + "\n"
            }
        }
        try #require(text.contains("dockerd") || text.contains("containerd"), "read the host's command lines")
        return text
    }
}
