import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantAuth
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

/// `reset-password`, `backup` and `restore` run a short-lived tenant-admin container; the
/// fake engine plays its part (files, exit code, output) through `setJob`.
@Suite struct ResetPasswordTests {
    @Test func onlyAHashReachesTheJobAndThePasswordIsPrintedOnce() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let seen = LockedValue<FakeDockerTransport.Container?>(nil)
        fake.setJob { container in
            seen.withLock { $0 = container }
            container.logs = logFrame(1, "staff user 'admin' of acme: password updated, sessions ended\n")
            return 0
        }
        fake.clearRequests()
        let result = await tenantctl(["reset-password", "acme", "--json"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let password = try #require(json["password"] as? String)
        #expect(password.count == 20)
        #expect(json["user"] as? String == "admin")

        let job = try #require(seen.withLock { $0 })
        #expect(job.name == "tenantctl_password_acme")
        #expect(job.config.Cmd == ["tenant-admin", "--set-password", "admin"])
        #expect(job.config.Image == image)
        #expect(job.config.HostConfig?.NetworkMode == "none")
        #expect(job.config.HostConfig?.Mounts?.first?.Source == "tenantctl_acme_data")
        #expect(job.config.HostConfig?.PortBindings == nil)
        let hashEntry = try #require(job.config.Env?.first { $0.hasPrefix("TENANT_ADMIN_PASSWORD_HASH=") })
        let hash = String(hashEntry.dropFirst("TENANT_ADMIN_PASSWORD_HASH=".count))
        #expect(PasswordHasher.verify(password, against: hash))
        #expect(job.config.Env?.contains("TENANT_STORE=sqlite:/data/acme.db") == true)
        // The password itself is in no request the engine saw.
        #expect(!fake.requests.contains { request in
            request.target.contains(password) || (request.body.map { String(decoding: $0, as: UTF8.self).contains(password) } ?? false)
        })
        // The job container is gone; the provider's containers were not touched.
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_acme", "admin_panel_acme"])
        #expect(fake.containers.allSatisfy { $0.state == "running" })

        let human = await tenantctl(["reset-password", "acme", "--user", "alice"], transport: fake)
        #expect(human.out.contains("new password for user 'alice' of provider acme (shown once, store it now): "))
        #expect(seen.withLock { $0?.config.Cmd } == ["tenant-admin", "--set-password", "alice"])
    }

    @Test func anUnknownUserIsNotFoundWithTheJobsReason() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setJob { container in
            container.logs = logFrame(2, "tenant-admin: error: no staff user 'bob'; the users are: admin\n")
            return 3
        }
        let result = await tenantctl(["reset-password", "acme", "--user", "bob"], transport: fake)
        #expect(result.code == ExitStatus.notFound)
        #expect(result.err == "tenantctl: error: resetting the password of 'bob' of acme: no staff user 'bob'; the users are: admin\n")
        #expect(result.out.isEmpty)
        #expect(fake.containers.count == 2)
    }

    @Test func unknownProvidersAndBadUsersAreRefused() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(["reset-password", "nobody"], transport: fake).code == ExitStatus.notFound)
        #expect(await tenantctl(["reset-password", "acme", "--user", "a b"], transport: fake).code == ExitStatus.usage)
    }
}

@Suite struct BackupRestoreTests {
    static let database = Array("SQLite format 3\u{0}".utf8) + [UInt8](repeating: 7, count: 4080)

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(name)-\(UUID().uuidString).db").path
    }

    @Test func backupDownloadsTheCheckedCopyThroughTheArchiveEndpoint() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setJob { container in
            guard container.config.Cmd == ["tenant-admin", "--backup-to", "/tmp/tenantctl-backup.db"] else { return 9 }
            container.files["/tmp/tenantctl-backup.db"] = BackupRestoreTests.database
            container.logs = logFrame(1, "backup of acme at /tmp/tenantctl-backup.db: 4096 bytes, schema version 12, integrity ok\n")
            return 0
        }
        let output = temporaryPath("backup")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = await tenantctl(["backup", "acme", "--output", output], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out == "backup of provider acme written to \(output): 4096 bytes, schema version 12, integrity ok\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(Self.database))
        #expect(!FileManager.default.fileExists(atPath: output + ".partial"))
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_acme", "admin_panel_acme"])
        #expect(fake.containers.allSatisfy { $0.state == "running" })

        let again = await tenantctl(["backup", "acme", "--output", output], transport: fake)
        #expect(again.code == ExitStatus.usage)
        #expect(again.err.contains("exists"))
    }

    @Test func aDownloadThatDoesNotMatchTheCheckedCopyKeepsNothing() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setJob { container in
            container.files["/tmp/tenantctl-backup.db"] = Array(BackupRestoreTests.database.prefix(1000))
            container.logs = logFrame(1, "backup of acme at /tmp/tenantctl-backup.db: 4096 bytes, schema version 12, integrity ok\n")
            return 0
        }
        let output = temporaryPath("short")
        let result = await tenantctl(["backup", "acme", "--output", output], transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("downloaded 1000 bytes, but the checked copy has 4096"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func cassandraProvidersAreSentToCassandrasTools() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "10.0.0.5:9042"]), transport: fake).code == 0)
        let result = await tenantctl(["backup", "acme", "--output", temporaryPath("cql")], transport: fake)
        #expect(result.code == ExitStatus.usage)
        #expect(result.err.contains("Cassandra"))
        #expect(fake.containers.count == 2)
    }

    @Test func restoreOfARunningProviderNeedsYesThenStopsUploadsAndStartsAgain() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let input = temporaryPath("input")
        try Data(Self.database).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let uploaded = LockedValue<[UInt8]?>(nil)
        fake.setJob { container in
            uploaded.withLock { $0 = container.files["/tmp/tenantctl-restore.db"] }
            container.logs = logFrame(1, "restored acme from /tmp/tenantctl-restore.db: 4096 bytes, schema version 12, integrity ok\n")
            return 0
        }

        fake.clearRequests()
        let refused = await tenantctl(["restore", "acme", "--input", input], transport: fake)
        #expect(refused.code == ExitStatus.usage)
        #expect(refused.err.contains("--yes"))
        #expect(fake.changingRequests.isEmpty)

        let result = await tenantctl(["restore", "acme", "--input", input, "--yes"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        #expect(uploaded.withLock { $0 } == Self.database)
        #expect(result.out == "restored provider acme from \(input): 4096 bytes, schema version 12, integrity ok\nstarted again: admin_panel_acme, remote_server_acme\n")
        #expect(fake.containers.allSatisfy { $0.state == "running" })
        #expect(fake.containers.count == 2)
        // Stops came before the job's container was started, starts after it was waited for.
        let paths = fake.changingRequests.map(\.path)
        let firstStop = try #require(paths.firstIndex { $0.hasSuffix("/stop") })
        let jobStart = try #require(paths.firstIndex { $0.hasSuffix("/archive") })
        let wait = try #require(paths.firstIndex { $0.hasSuffix("/wait") })
        let lastStart = try #require(paths.lastIndex { $0.hasSuffix("/start") })
        #expect(firstStop < jobStart && wait < lastStart)
    }

    @Test func aStoppedProviderIsRestoredWithoutYesAndStaysStopped() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(await tenantctl(["stop", "acme"], transport: fake).code == 0)
        let input = temporaryPath("stopped")
        try Data(Self.database).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        fake.setJob { container in
            container.logs = logFrame(1, "restored acme from /tmp/tenantctl-restore.db: 4096 bytes, schema version 12, integrity ok\n")
            return 0
        }
        fake.clearRequests()
        let result = await tenantctl(["restore", "acme", "--input", input, "--json"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(json["restarted"] as? [String] == [])
        #expect(json["check"] as? String == "4096 bytes, schema version 12, integrity ok")
        #expect(fake.containers.count == 2 && fake.containers.allSatisfy { $0.state == "exited" })
        #expect(!fake.changingRequests.contains { $0.path.hasSuffix("/stop") })
    }

    @Test func aRefusedBackupLeavesTheProviderRunning() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let input = temporaryPath("other")
        try Data(Self.database).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        fake.setJob { container in
            container.logs = logFrame(2, "tenant-admin: error: the backup belongs to provider 'beta', not 'acme'\n")
            return 4
        }
        let result = await tenantctl(["restore", "acme", "--input", input, "--yes"], transport: fake)
        #expect(result.code == ExitStatus.conflict)
        #expect(result.err == "tenantctl: error: restoring acme from \(input): the backup belongs to provider 'beta', not 'acme'\n")
        #expect(fake.containers.count == 2)
        #expect(fake.containers.allSatisfy { $0.state == "running" })
    }

    @Test func aFileThatIsNoDatabaseIsRefusedBeforeAnyEngineCall() async throws {
        let fake = FakeDockerTransport(images: [image])
        let input = temporaryPath("text")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = await tenantctl(["restore", "acme", "--input", input], transport: fake)
        #expect(result.code == ExitStatus.usage)
        #expect(result.err.contains("is not an SQLite database file"))
        #expect(await tenantctl(["restore", "acme", "--input", "/nonexistent/x.db"], transport: fake).code == ExitStatus.usage)
        #expect(fake.requests.isEmpty)
    }
}

@Suite struct JobContainerTests {
    @Test func aRunningJobOfAnotherRunIsLeftAloneAndAStoppedLeftoverIsReplaced() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let client = try await DockerClient.connect(transport: fake)
        let job = try await ProviderJob.make(client: client, provider: ProviderID("acme"), job: "backup", arguments: ["--backup-to", "/tmp/x"])
        let leftover = try await client.createContainer(name: "tenantctl_backup_acme", job.request).Id
        try await client.startContainer(id: leftover)
        let busy = await tenantctl(["reset-password", "acme"], transport: fake)
        #expect(busy.code == 0, "another job's name is not this one's")
        let refused = await #expect(throws: TenantCtlError.self) { _ = try await job.run() }
        #expect(refused?.exitCode == ExitStatus.conflict)
        #expect(fake.containers.contains { $0.id == leftover && $0.state == "running" })

        fake.setState(container: "tenantctl_backup_acme", "exited")
        fake.setJob { _ in 0 }
        let outcome = try await job.run()
        #expect(outcome.exitCode == 0)
        #expect(!fake.containers.contains { $0.name == "tenantctl_backup_acme" })
    }
}
