import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantAuth
import TenantModel
import TenantSQLite
import TenantTestSupport
import Testing

@testable import TenantCommands

// The operator commands against the real engine: port conflicts found before anything
// changes, restart, merged logs, and (with the real image, whose tenant-admin runs the jobs)
// reset-password, backup and restore. Provider ids start with `ops_`.

private let environment = ProcessInfo.processInfo.environment
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1"
/// Any image whose servers listen (the TCP fixture will do: these runs pass --no-wait, as
/// the fixture does not speak the protocols start-provider waits for).
private let image = environment["TENANTCTL_TEST_IMAGE"] ?? TenantctlVersion.defaultImage
/// The real image: the jobs run its tenant-admin.
private let realImage = environment["TENANTCTL_E2E_IMAGE"] ?? TenantctlVersion.defaultImage


private func engine() async throws -> DockerClient {
    try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
}

private func opsID() -> String { "ops_" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

/// Runs `body` with fresh provider ids and removes everything labelled with them afterwards.
private func withProviders(_ count: Int, _ body: ([String]) async throws -> Void) async throws {
    let ids = (0..<count).map { _ in opsID() }
    do { try await body(ids) } catch {
        for id in ids { _ = await tenantctl(["remove", id, "--purge-data", "--yes"]) }
        throw error
    }
    for id in ids { _ = await tenantctl(["remove", id, "--purge-data", "--yes"]) }
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

/// Identity and start time of each server container: a disturbed container changes one of them.
private func fingerprint(_ id: String) async throws -> [String] {
    let client = try await engine()
    var result: [String] = []
    for name in ["remote_server_\(id)", "admin_panel_\(id)"] {
        let data = try await client.transport.send(DockerRequest(method: "GET", path: client.versioned("/containers/\(name)/json"), timeout: .seconds(30)))
        let inspect = try #require(try JSONSerialization.jsonObject(with: data.body) as? [String: Any])
        let state = try #require(inspect["State"] as? [String: Any])
        result.append("\(inspect["Id"] ?? "") \(state["StartedAt"] ?? "") \(state["Running"] as? Bool ?? false)")
    }
    return result
}

// MARK: The admin panel over HTTP (curl, through the real sign-in form)

private func curl(_ arguments: [String]) async throws -> ProgramResult {
    try await runProgram("/usr/bin/curl", ["-sS", "--max-time", "20"] + arguments, timeout: .seconds(30))
}

/// Waits until the admin app answers `/health` with 200.
private func waitForAdmin(port: Int) async throws {
    for _ in 0..<150 {
        if (try? await curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/health"]))?.out == "200" { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    Issue.record("the admin app on port \(port) never answered /health")
}

/// Signs in as `admin`; returns the cookie jar of the new session, or nil when refused.
private func signIn(port: Int, password: String) async throws -> String? {
    let jar = FileManager.default.temporaryDirectory.appendingPathComponent("ops-jar-\(UUID().uuidString)").path
    let base = "http://127.0.0.1:\(port)"
    let form = try await curl(["-c", jar, "-b", jar, "\(base)/login"]).out
    let csrf = try #require(form.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1, "the sign-in form carries a CSRF token")
    let posted = try await curl([
        "-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--data-urlencode", "csrf=\(csrf)",
        "--data-urlencode", "username=admin", "--data-urlencode", "password=\(password)", "--data-urlencode", "next=/", "\(base)/login",
    ]).out
    return posted.hasPrefix("303") && !posted.contains("/login") ? jar : nil
}

/// Whether the session in `jar` still opens the account page.
private func sessionIsValid(_ jar: String, port: Int) async throws -> Bool {
    try await curl(["-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/account"]).out == "200"
}

@Suite(.serialized, .enabled(if: enabled, "needs a Docker engine: set TENANTCTL_INTEGRATION=1"))
struct OperationsIntegrationTests {
    @Test func takenPortsAreRefusedBeforeAnythingChanges() async throws {
        try await withProviders(2) { ids in
            let (a, b) = (ids[0], ids[1])
            let startA = await tenantctl(["start-provider", a, "--image", image, "--json", "--no-wait"])
            try #require(startA.code == 0, "\(startA.err)")
            let adminPortA = try #require(try object(startA.out)["admin_port"] as? Int)
            let startB = await tenantctl(["start-provider", b, "--image", image, "--json", "--no-wait"])
            try #require(startB.code == 0, "\(startB.err)")
            let before = try await fingerprint(b)
            let beforeA = try await fingerprint(a)

            // B asks for A's admin port: refused, naming A; B's running containers untouched.
            let taken = await tenantctl(["start-provider", b, "--image", image, "--gateway-port", String(adminPortA)])
            #expect(taken.code == ExitStatus.conflict)
            #expect(taken.err == "tenantctl: error: gateway port \(adminPortA) (--gateway-port) is held by the admin port of provider \(a) (admin_panel_\(a))\n")
            #expect(try await fingerprint(b) == before)
            #expect(try await fingerprint(a) == beforeA)
            let plan = await tenantctl(["plan", b, "--image", image, "--gateway-port", String(adminPortA)])
            #expect(plan.code == ExitStatus.conflict)
            #expect(plan.err.contains("held by the admin port of provider \(a)"))

            // A port an ordinary process holds: refused, and a new provider leaves no object.
            let held = try HeldPort()
            let fresh = opsID()
            let process = await tenantctl(["start-provider", fresh, "--image", image, "--admin-port", String(held.port)])
            #expect(process.code == ExitStatus.conflict)
            #expect(process.err == "tenantctl: error: admin port \(held.port) (--admin-port) is in use on this host by a process that is not a Docker container\n")
            let client = try await engine()
            #expect(try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(fresh)"]).isEmpty)
            #expect(try await client.listNetworks(labels: ["\(Labels.provider)=\(fresh)"]).isEmpty)
            #expect(try await client.listVolumes(labels: ["\(Labels.provider)=\(fresh)"]).isEmpty)
            let doctor = await tenantctl(["doctor", "--image", image, "--gateway-port", String(held.port)])
            #expect(doctor.out.contains("FAIL gateway port: \(held.port) is in use on this host"))
        }
    }

    @Test func restartRestartsBothServersAndLogsMergeThem() async throws {
        try await withProviders(1) { ids in
            let id = ids[0]
            try #require(await tenantctl(["start-provider", id, "--image", image, "--no-wait"]).code == 0)
            let before = try await fingerprint(id)
            let restart = await tenantctl(["restart", id, "--grace", "2"])
            #expect(restart.code == 0, "\(restart.err)")
            #expect(restart.out == "admin_panel_\(id): restarted\nremote_server_\(id): restarted\n")
            let after = try await fingerprint(id)
            for (old, new) in zip(before, after) {
                #expect(old.split(separator: " ")[0] == new.split(separator: " ")[0])  // same container
                #expect(old != new)  // started again
                #expect(new.hasSuffix(" true"))
            }
            // Both servers log a listen line at each start (to stderr): merged, prefixed, in time order.
            var logs = TenantctlRun(code: 0, out: "", err: "")
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                logs = await tenantctl(["logs", id, "--timestamps"])
                if logs.err.contains("ingest | "), logs.err.contains("admin  | ") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(logs.code == 0, "\(logs.err)")
            let lines = (logs.out + logs.err).split(separator: "\n").filter { $0.hasPrefix("ingest | ") || $0.hasPrefix("admin  | ") }
            #expect(lines.contains { $0.hasPrefix("ingest | ") } && lines.contains { $0.hasPrefix("admin  | ") }, "\(logs.out)\(logs.err)")
            let stderrLines = logs.err.split(separator: "\n").map(String.init)
            let times = stderrLines.compactMap { $0.split(separator: " ").dropFirst(2).first.map { LogLine.sortKey(String($0)) } }
            #expect(times == times.sorted())
            #expect(times.count == stderrLines.count)
            let tail = await tenantctl(["logs", id, "--tail", "1"])
            #expect((tail.out + tail.err).split(separator: "\n").count == 2)
        }
    }

    @Test func resetPasswordBackupAndRestoreOnTheRealImage() async throws {
        let client = try await engine()
        let present: Bool
        do { _ = try await client.inspectImage(name: realImage); present = true } catch DockerError.notFound { present = false }
        try #require(present, "the real image \(realImage) is missing: run `make image` (CI builds it)")
        try await withProviders(1) { ids in
            let id = ids[0]
            let started = await tenantctl(["start-provider", id, "--image", realImage, "--json"])
            try #require(started.code == 0, "\(started.err)")
            let first = try #require(try object(started.out)["admin_password"] as? String)
            let adminPort = try #require(try object(started.out)["admin_port"] as? Int)
            try await waitForAdmin(port: adminPort)
            let oldSession = try #require(try await signIn(port: adminPort, password: first), "the first password signs in")
            #expect(try await sessionIsValid(oldSession, port: adminPort))

            let reset = await tenantctl(["reset-password", id, "--json"])
            #expect(reset.code == 0, "\(reset.err)")
            let second = try #require(try object(reset.out)["password"] as? String)
            #expect(second != first)
            // While the provider runs: the old session is over, only the new password signs in.
            #expect(try await sessionIsValid(oldSession, port: adminPort) == false)
            #expect(try await signIn(port: adminPort, password: first) == nil)
            #expect(try await signIn(port: adminPort, password: second) != nil)
            // The provider kept running; no job container is left.
            let containers = try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(id)"])
            #expect(Set(containers.map(\.name)) == ["remote_server_\(id)", "admin_panel_\(id)"])
            #expect(containers.allSatisfy { $0.State == "running" })
            let unknown = await tenantctl(["reset-password", id, "--user", "nobody"])
            #expect(unknown.code == ExitStatus.notFound)
            #expect(unknown.err.contains("no staff user 'nobody'; the users are: admin"), "\(unknown.err)")

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-backup-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/\(id).db"
            let backup = await tenantctl(["backup", id, "--output", file])
            #expect(backup.code == 0, "\(backup.err)")
            #expect(backup.out.contains("integrity ok"))
            #expect(try Self.adminHash(file).map { PasswordHasher.verify(second, against: $0) } == true)

            // A third password after the backup; restoring brings back the second.
            let third = await tenantctl(["reset-password", id, "--json"])
            let thirdPassword = try #require(try object(third.out)["password"] as? String)
            let refused = await tenantctl(["restore", id, "--input", file])
            #expect(refused.code == ExitStatus.usage)
            let restore = await tenantctl(["restore", id, "--input", file, "--yes"])
            #expect(restore.code == 0, "\(restore.err)")
            #expect(restore.out.contains("started again: admin_panel_\(id), remote_server_\(id)"))
            let after = directory + "/after.db"
            #expect(await tenantctl(["backup", id, "--output", after]).code == 0)
            let hash = try #require(try Self.adminHash(after))
            #expect(PasswordHasher.verify(second, against: hash))
            #expect(!PasswordHasher.verify(thirdPassword, against: hash))
            let running = try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(id)"])
            #expect(running.count == 2 && running.allSatisfy { $0.State == "running" })
        }
    }

    @Test func theExecutableNeverCrashesOnBadInputAndSaysWhy() async throws {
        let binary = builtProduct("tenantctl")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the tenantctl product first")
        var garbage = environment
        garbage["DOCKER_HOST"] = "garbage"
        let malformed = try await runProgram(binary, ["list"], environment: garbage, timeout: .seconds(60))
        #expect(malformed.code == 64)
        #expect(malformed.err == "tenantctl: error: invalid Docker engine address 'garbage': expected unix://PATH or tcp://HOST:PORT (from DOCKER_HOST)\n")
        let missing = opsID()
        for (arguments, code, line) in [
            (["doctor", "--admin-port", "99999"], Int32(64), "Error: --admin-port must be 1 to 65535, got 99999"),
            (["doctor", "--gateway-port", "65536"], 64, "Error: --gateway-port must be 1 to 65535, got 65536"),
            (["doctor", "--gateway-port", "0"], 64, "Error: --gateway-port must be 1 to 65535, got 0"),
            (["help", "bogus"], 64, "tenantctl: error: no command 'bogus': see `tenantctl help` for the list"),
            (["logs", missing], 3, "tenantctl: error: unknown provider '\(missing)': no Docker object carries its label"),
        ] {
            // A trap would end the process by a signal, never with these codes and lines.
            let result = try await runProgram(binary, arguments, timeout: .seconds(60))
            #expect(result.code == code, "\(arguments): \(result.err)")
            #expect(result.err.split(separator: "\n").first.map(String.init) == line, "\(arguments): \(result.err)")
            #expect(result.out.isEmpty)
        }
        let socket = try await runProgram(binary, ["list", "--docker-host", "unix:///nonexistent"], timeout: .seconds(60))
        #expect(socket.code == 69)
        #expect(socket.err.contains("socket /nonexistent: No such file or directory"), "\(socket.err)")
    }

    /// The admin staff account's password hash in a backup file.
    static func adminHash(_ path: String) throws -> String? {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        return try connection.query("SELECT password_hash FROM staff WHERE name = 'admin'").first?.string(0)
    }
}
