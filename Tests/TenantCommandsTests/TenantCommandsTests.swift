import ArgumentParser
import DockerAPI
import DockerClient
import Foundation
import Logging
import Synchronization
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

/// Output of one in-process tenantctl run.
struct RunResult {
    var code: Int32
    var out: String
    var err: String
}

final class Capture: Sendable {
    let out = Mutex("")
    let err = Mutex("")
}

/// Runs tenantctl in-process against `transport`, with captured output and a private lock file.
func tenantctl(
    _ arguments: [String], transport: (any DockerTransport)?, interactive: Bool = false, answer: String? = nil
) async -> RunResult {
    let capture = Capture()
    let console = Console(
        out: { text in capture.out.withLock { $0 += text } }, err: { text in capture.err.withLock { $0 += text } },
        isInteractive: { interactive }, readLine: { answer })
    let code = await Console.$current.withValue(console) {
        await DockerEnvironment.$transport.withValue(transport) { await TenantCtl.run(arguments: arguments) }
    }
    return RunResult(code: code, out: capture.out.withLock { $0 }, err: capture.err.withLock { $0 })
}

let image = "tenantctl-test:fake"

/// Arguments that pin ports, so the fake tests never depend on the host's free ports.
func startArgs(_ id: String, _ extra: [String] = []) -> [String] {
    ["start-provider", id, "--image", image, "--gateway-port", "16001", "--admin-port", "18081", "--no-wait"] + extra
}

@Suite struct IDValidationTests {
    @Test(arguments: ["BAD", "1abc", "a-b", "", String(repeating: "a", count: 49), "a b", "ä"])
    func invalidIDsAreRefusedBeforeAnyDockerCall(id: String) async {
        let fake = FakeDockerTransport(images: [image])
        for command in [["start-provider", id], ["stop", id], ["status", id], ["logs", id], ["remove", id, "--yes"], ["plan", id], ["create-keyspace", id]] {
            let result = await tenantctl(command, transport: fake)
            #expect(result.code == ExitStatus.usage, "\(command)")
            #expect(result.err.contains("[a-z][a-z0-9_]{0,47}"), "\(command): \(result.err)")
        }
        #expect(fake.requests.isEmpty)
    }

    @Test(arguments: ["a", "acme", "solar_co_2", String(repeating: "z", count: 48)])
    func validIDsAreAccepted(id: String) throws {
        #expect(try TenantCtl.parseAsRoot(["stop", id]) is TenantCtl.ProviderStop)
    }

    @Test func crossFieldChecksAreUsageErrors() async {
        let fake = FakeDockerTransport(images: [image])
        for args in [
            ["start-provider", "acme", "--gateway-port", "7000", "--admin-port", "7000"],
            ["start-provider", "acme", "--gateway-port", "70000"],
            ["start-provider", "acme", "--cassandra", "h:1"],
            ["start-provider", "acme", "--memory", "lots"],
            ["start-provider", "acme", "--cpus", "-1"],
        ] {
            #expect(await tenantctl(args, transport: fake).code == ExitStatus.usage, "\(args)")
        }
        #expect(fake.requests.isEmpty)
    }
}

@Suite struct StartProviderTests {
    @Test func freshProviderCreatesLabelledObjectsAndPrintsThePasswordOnce() async throws {
        let fake = FakeDockerTransport(images: [image])
        let first = await tenantctl(startArgs("acme", ["--json"]), transport: fake)
        #expect(first.code == 0, "\(first.err)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(first.out.utf8)) as? [String: Any])
        #expect(json["provider"] as? String == "acme")
        #expect(json["gateway_port"] as? Int == 16001)
        #expect(json["admin_port"] as? Int == 18081)
        let password = try #require(json["admin_password"] as? String)
        #expect(password.count == 20)
        #expect(json["admin_password_if_no_account"] == nil)  // the store is new: the password applies

        #expect(fake.networks.map(\.Name) == ["tenantctl_acme"])
        #expect(fake.volumes.map(\.Name) == ["tenantctl_acme_data", "tenantctl_acme_secrets"])
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_acme", "admin_panel_acme"])
        #expect(fake.containers.allSatisfy { $0.state == "running" && $0.config.Labels?["io.tenantctl.provider"] == "acme" })
        let admin = try #require(fake.containers.first { $0.name == "admin_panel_acme" })
        let hashEnv = try #require(admin.config.Env?.first { $0.hasPrefix("TENANT_ADMIN_BOOTSTRAP_HASH=") })
        let hash = String(hashEnv.dropFirst("TENANT_ADMIN_BOOTSTRAP_HASH=".count))
        #expect(hash.hasPrefix("$y$"))
        #expect(!(admin.config.Env ?? []).contains { $0.contains(password) })
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_acme" })
        #expect(!(ingest.config.Env ?? []).contains { $0.hasPrefix("TENANT_ADMIN_BOOTSTRAP_HASH") })

        fake.clearRequests()
        let second = await tenantctl(startArgs("acme", ["--json"]), transport: fake)
        #expect(second.code == 0)
        #expect(!second.out.contains("admin_password"))
        #expect(second.out.contains(#""changes" : []"#))
        // Already up: one /version call, the swarm check (/info) and one filtered list, nothing else.
        #expect(fake.requests.map(\.method) == ["GET", "GET", "GET"])
        #expect(fake.requests.map(\.path) == ["/version", "/v1.41/info", "/v1.41/containers/json"])
    }

    @Test func humanOutputNamesThePasswordLineClearly() async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(startArgs("acme"), transport: fake)
        #expect(result.code == 0)
        #expect(result.out.contains("admin password for user 'admin' (shown once"))
        #expect(result.out.contains("provider acme is started (not waited for): gateways connect to 127.0.0.1:16001, admin at http://127.0.0.1:18081/"))
    }

    @Test func halfUpProviderIsRepairedWithoutTouchingTheRest() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let ingestID = try #require(fake.containers.first { $0.name == "remote_server_acme" }?.id)
        fake.deleteContainer(named: "admin_panel_acme")
        fake.clearRequests()
        let repaired = await tenantctl(startArgs("acme"), transport: fake)
        #expect(repaired.code == 0)
        #expect(repaired.out.contains("create container admin_panel_acme"))
        #expect(!repaired.out.contains("admin password"))  // the volume existed: no new bootstrap account
        #expect(fake.containers.first { $0.name == "remote_server_acme" }?.id == ingestID)
        // The secret files are written again (through the one-shot container), then only the admin app is created.
        let adminID = try #require(fake.containers.first { $0.name == "admin_panel_acme" }).id
        let changes = fake.changingRequests.map { "\($0.method) \($0.target)" }
        #expect(changes.count == 6, "\(changes)")
        #expect(changes.prefix(2) == ["DELETE /v1.41/containers/tenantctl_secrets_acme?force=1&v=1", "POST /v1.41/containers/create?name=tenantctl_secrets_acme"])
        #expect(changes[2].hasPrefix("PUT ") && changes[2].hasSuffix("/archive?path=%2Frun%2Fsecrets%2Ftenant&noOverwriteDirNonDir=1"))
        #expect(changes[3].hasPrefix("DELETE ") && changes[3].hasSuffix("?force=1&v=1"))
        #expect(changes.suffix(2) == ["POST /v1.41/containers/create?name=admin_panel_acme", "POST /v1.41/containers/\(adminID)/start"])

        fake.setState(container: "remote_server_acme", "exited")
        let restarted = await tenantctl(startArgs("acme"), transport: fake)
        #expect(restarted.out.contains("start container remote_server_acme"))
        #expect(fake.containers.allSatisfy { $0.state == "running" })
    }

    @Test func providerWhoseKeyspaceCameFirstStillGetsABootstrapPassword() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(["create-keyspace", "acme", "--image", image], transport: fake).code == 0)
        let first = await tenantctl(startArgs("acme", ["--json"]), transport: fake)
        let json = try #require(JSONSerialization.jsonObject(with: Data(first.out.utf8)) as? [String: Any])
        #expect(json["admin_password"] is String)
        #expect(json["admin_password_if_no_account"] as? Bool == true)
        let admin = try #require(fake.containers.first { $0.name == "admin_panel_acme" })
        #expect(admin.config.Env?.contains { $0.hasPrefix("TENANT_ADMIN_BOOTSTRAP_HASH=$y$") } == true)
    }

    @Test func changedSettingsRecreateOnlyTheAffectedContainer() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let ingestID = try #require(fake.containers.first { $0.name == "remote_server_acme" }?.id)
        let moved = await tenantctl(["start-provider", "acme", "--image", image, "--no-wait", "--gateway-port", "16001", "--admin-port", "18082"], transport: fake)
        #expect(moved.code == 0, "\(moved.err)")
        #expect(moved.out.contains("remove container admin_panel_acme (settings changed)"))
        #expect(fake.containers.count == 2)
        #expect(fake.containers.first { $0.name == "remote_server_acme" }?.id == ingestID)
        #expect(fake.containers.first { $0.name == "admin_panel_acme" }?.config.Labels?["io.tenantctl.host-port"] == "18082")
        // The panel shows the gateway port (TENANT_GATEWAY_PORT), so moving it recreates both.
        let gateway = await tenantctl(["start-provider", "acme", "--image", image, "--no-wait", "--gateway-port", "16002", "--admin-port", "18082"], transport: fake)
        #expect(gateway.code == 0, "\(gateway.err)")
        #expect(fake.containers.first { $0.name == "admin_panel_acme" }?.config.Env?.contains("TENANT_GATEWAY_PORT=16002") == true)
    }

    @Test func failedStepRemovesWhatTheRunCreatedWithTheEnginesReason() async {
        let fake = FakeDockerTransport(images: [image])
        fake.fail(.init(method: "POST", pathContains: "/start", status: 500, message: "Bind for 0.0.0.0:16001 failed: port is already allocated"))
        let result = await tenantctl(startArgs("acme"), transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("port is already allocated"))
        #expect(result.err.hasPrefix("tenantctl: error: "))
        #expect(result.err.split(separator: "\n").count == 1)
        #expect(fake.containers.isEmpty)
        #expect(fake.networks.isEmpty)
        #expect(fake.volumes.isEmpty)
    }

    @Test func failedNetworkCreateRemovesTheVolumeMadeBesideIt() async {
        let fake = FakeDockerTransport(images: [image])
        fake.fail(.init(method: "POST", pathContains: "/networks/create", status: 500, message: "could not find an available, non-overlapping IPv4 address pool"))
        let result = await tenantctl(startArgs("acme"), transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("non-overlapping IPv4 address pool"))
        #expect(fake.volumes.isEmpty && fake.networks.isEmpty && fake.containers.isEmpty)
    }

    @Test func failureLeavesWhatExistedBefore() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let before = fake.containers.map(\.id).sorted()
        fake.fail(.init(method: "POST", pathContains: "/containers/create", status: 500, message: "engine is sad"))
        let result = await tenantctl(["start-provider", "acme", "--image", image, "--no-wait", "--gateway-port", "16009", "--admin-port", "18081"], transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("engine is sad"))
        // The old ingest container was set aside and is restored under its name, running.
        #expect(fake.containers.map(\.id).sorted() == before)
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_acme", "admin_panel_acme"])
        #expect(fake.containers.allSatisfy { $0.state == "running" })
        #expect(fake.networks.count == 1 && fake.volumes.count == 2)
    }

    @Test func missingImageIsNotFoundAndLeavesNothing() async {
        let fake = FakeDockerTransport(images: [])
        let result = await tenantctl(startArgs("acme"), transport: fake)
        #expect(result.code == ExitStatus.notFound)
        #expect(result.err.contains("No such image: tenantctl-test:fake"))
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.isEmpty)
    }

    @Test func oldEngineGetsOneClearLine() async {
        let result = await tenantctl(startArgs("acme"), transport: FakeDockerTransport(apiVersion: "1.30", images: [image]))
        #expect(result.code == ExitStatus.versionUnsupported)
        #expect(result.err == "tenantctl: error: the Docker engine speaks API 1.30, older than the minimum 1.40 tenantctl supports; upgrade Docker\n")
    }

    @Test func newerEngineIsSpokenToAtOurMaximum() async {
        let fake = FakeDockerTransport(apiVersion: "1.52", images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(fake.requests.dropFirst().allSatisfy { $0.path.hasPrefix("/v1.47/") })
    }

    @Test func cassandraProviderHasNoVolume() async throws {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "10.0.0.5:9042"]), transport: fake)
        #expect(result.code == 0, "\(result.err)")
        #expect(fake.volumes.map(\.Name) == ["tenantctl_acme_secrets"])  // no data volume
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_acme" })
        #expect(ingest.config.Env?.contains("TENANT_STORE=cassandra://10.0.0.5:9042/acme") == true)
    }
}

@Suite struct UnreachableEngineTests {
    @Test func realTransportToAMissingSocketExits69InOneLine() async {
        let result = await tenantctl(["list", "--docker-host", "unix:///nonexistent/docker.sock"], transport: nil)
        #expect(result.code == ExitStatus.engineUnreachable)
        #expect(result.err.hasPrefix("tenantctl: error: cannot reach the Docker engine at unix:///nonexistent/docker.sock"))
        #expect(result.err.split(separator: "\n").count == 1)
    }
}

@Suite struct OtherCommandTests {
    @Test func stopKeepsDataAndIsIdempotentButUnknownProvidersFail() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let stop = await tenantctl(["stop", "acme"], transport: fake)
        #expect(stop.code == 0)
        #expect(fake.containers.allSatisfy { $0.state == "exited" })
        #expect(fake.volumes.map(\.Name) == ["tenantctl_acme_data", "tenantctl_acme_secrets"])
        let again = await tenantctl(["stop", "acme", "--json"], transport: fake)
        #expect(again.code == 0)
        #expect(again.out.contains("already stopped"))
        #expect(await tenantctl(["stop", "nobody"], transport: fake).code == ExitStatus.notFound)
    }

    @Test func listJSONHasTheContractFieldsAndNoEnvironment() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(await tenantctl(["start-provider", "beta", "--image", image, "--no-wait", "--gateway-port", "16003", "--admin-port", "18083"], transport: fake).code == 0)
        #expect(await tenantctl(["stop", "beta"], transport: fake).code == 0)
        fake.setState(container: "admin_panel_acme", "exited")
        let result = await tenantctl(["list", "--json"], transport: fake)
        #expect(result.code == 0)
        #expect(!result.out.contains("TENANT_"))
        let list = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
        #expect(list.map { $0["provider"] as? String } == ["acme", "beta"])
        #expect(list.map { $0["state"] as? String } == ["partial", "stopped"])
        #expect(list.map { $0["gateway_port"] as? Int } == [16001, 16003])
        #expect(list.map { $0["admin_port"] as? Int } == [18081, 18083])
        let containers = try #require(list[0]["containers"] as? [[String: Any]])
        #expect(containers.count == 2)
        for container in containers {
            #expect(Set(container.keys).isSuperset(of: ["name", "id", "role", "state"]))
        }
        // One /version, the swarm check (/info) and one filtered list call.
        #expect(fake.requests.suffix(3).map(\.path) == ["/version", "/v1.41/info", "/v1.41/containers/json"])
    }

    @Test func purgeNeedsConfirmation() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let refused = await tenantctl(["remove", "acme", "--purge-data"], transport: fake, interactive: false)
        #expect(refused.code == ExitStatus.usage)
        #expect(refused.err.contains("--yes"))
        let wrong = await tenantctl(["remove", "acme", "--purge-data"], transport: fake, interactive: true, answer: "acm")
        #expect(wrong.code == ExitStatus.failure)
        #expect(wrong.err.contains("type the provider id") || wrong.err.contains("Type the provider id"))
        #expect(fake.containers.count == 2 && fake.volumes.count == 2)
        let typed = await tenantctl(["remove", "acme", "--purge-data"], transport: fake, interactive: true, answer: "acme")
        #expect(typed.code == 0)
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.isEmpty)
    }

    @Test func removeKeepsTheVolumeWithoutPurge() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let result = await tenantctl(["remove", "acme"], transport: fake)
        #expect(result.code == 0)
        #expect(result.out.contains("kept volume tenantctl_acme_data"))
        // The secrets volume stays with the data: it holds the key that opens what the store sealed.
        #expect(result.out.contains("kept volume tenantctl_acme_secrets"))
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.count == 2)
        #expect(await tenantctl(["remove", "acme", "--purge-data", "--yes"], transport: fake).code == 0)
        #expect(await tenantctl(["remove", "acme"], transport: fake).code == ExitStatus.notFound)
    }

    @Test func planPrintsTheRequestsWithoutSendingThem() async throws {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(["plan", "acme", "--image", image, "--gateway-port", "16001", "--admin-port", "18081"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        #expect(fake.changingRequests.isEmpty)
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.isEmpty)
        let plan = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
        let targets = plan.map { "\($0["method"] as? String ?? "") \($0["path"] as? String ?? "")" }
        #expect(targets.prefix(2).sorted() == ["POST /v1.41/networks/create", "POST /v1.41/volumes/create"])
        #expect(targets.contains("POST /v1.41/containers/create?name=remote_server_acme"))
        #expect(targets.contains("POST /v1.41/containers/remote_server_acme/start"))
        let create = try #require(plan.first { ($0["path"] as? String)?.hasSuffix("name=remote_server_acme") == true })
        let body = try #require(create["body"] as? [String: Any])
        #expect(((body["HostConfig"] as? [String: Any])?["RestartPolicy"] as? [String: Any])?["Name"] as? String == "unless-stopped")
        #expect((body["Labels"] as? [String: String])?["io.tenantctl.provider"] == "acme")

        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let none = await tenantctl(["plan", "acme", "--image", image, "--gateway-port", "16001", "--admin-port", "18081"], transport: fake)
        #expect(none.out == "[]\n")
    }

    @Test func statusAndLogs() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let status = await tenantctl(["status", "acme", "--json"], transport: fake)
        #expect(status.code == 0)
        let json = try #require(JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        #expect(json["state"] as? String == "running")
        #expect(json["volume"] as? String == "tenantctl_acme_data")
        #expect(await tenantctl(["status", "nobody"], transport: fake).code == ExitStatus.notFound)

        let out = Array("hello out\n".utf8), err = Array("oops\n".utf8)
        fake.setLogs(container: "remote_server_acme", [1, 0, 0, 0, 0, 0, 0, UInt8(out.count)] + out + [2, 0, 0, 0, 0, 0, 0, UInt8(err.count)] + err)
        let logs = await tenantctl(["logs", "acme", "--role", "ingest"], transport: fake)
        #expect(logs.code == 0)
        #expect(logs.out == "hello out\n")
        #expect(logs.err == "oops\n")
        let follow = await tenantctl(["logs", "acme", "--role", "ingest", "--follow"], transport: fake)
        #expect(follow.out == "hello out\n")
        #expect(await tenantctl(["logs", "acme", "--role", "admin"], transport: fake).code == 0)
    }

    @Test func createKeyspaceRunsAOneShotMigrationAndIsIdempotent() async throws {
        let fake = FakeDockerTransport(images: [image])
        for _ in 0..<2 {
            let result = await tenantctl(["create-keyspace", "acme", "--image", image], transport: fake)
            #expect(result.code == 0, "\(result.err)")
            #expect(result.out == "keyspace acme is ready (sqlite:/data/acme.db)\n")
        }
        #expect(fake.volumes.map(\.Name) == ["tenantctl_acme_data"])
        #expect(fake.containers.isEmpty)  // the one-shot container is removed
        let create = try #require(fake.requests.first { $0.target.hasSuffix("name=tenantctl_keyspace_acme") })
        let request = try JSONDecoder().decode(ContainerCreateRequest.self, from: try #require(create.body))
        #expect(request.Cmd == ["tenant-ingest", "--provider", "acme", "--store", "sqlite:/data/acme.db", "--migrate-only"])
        #expect(request.HostConfig?.Mounts?.first?.Target == "/data")
        #expect(request.Labels?["io.tenantctl.role"] == "db")
        #expect(fake.requests.contains { $0.path.hasSuffix("/wait") })
    }

    @Test func createKeyspaceReportsAFailedMigrationWithItsLogs() async {
        let fake = FakeDockerTransport(images: [image])
        let line = Array("tenant-ingest: cannot open /data/acme.db: read-only file system\n".utf8)
        fake.setWaitResult(exitCode: 3, logs: [2, 0, 0, 0, 0, 0, 0, UInt8(line.count)] + line)
        let result = await tenantctl(["create-keyspace", "acme", "--image", image], transport: fake)
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("exited with code 3"))
        #expect(result.err.contains("read-only file system"))
        #expect(fake.containers.isEmpty)  // the one-shot container is removed even on failure
    }

    @Test func registeredCassandraProvisionerIsUsed() async throws {
        final class Recorder: KeyspaceProvisioner {
            let calls = Mutex<[String]>([])
            func createKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
                calls.withLock { $0.append("\(provider)@\(contactPoints.map(\.description).joined(separator: ","))") }
            }
            func dropKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
                calls.withLock { $0.append("drop \(provider)") }
            }
        }
        let recorder = Recorder()
        let fake = FakeDockerTransport(images: [image])
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(KeyspaceProvisioners.fixed(recorder)) {
            await tenantctl(["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "db1:9042,db2"], transport: fake)
        }
        #expect(result.code == 0, "\(result.err)")
        #expect(recorder.calls.withLock { $0 } == ["acme@db1:9042,db2:9042"])
        #expect(fake.requests.isEmpty)
    }

    @Test func doctorChecksOneLineEach() async throws {
        let fake = FakeDockerTransport(images: [image])
        let ok = await tenantctl(["doctor", "--image", image], transport: fake)
        #expect(ok.code == 0, "\(ok.out)")
        let lines = ok.out.split(separator: "\n")
        #expect(lines.map { $0.split(separator: ":").first ?? "" } == ["ok   engine", "ok   api", "ok   orchestrator", "ok   image", "ok   gateway port", "ok   admin port", "ok   subnet pool"])
        #expect(lines[2] == "ok   orchestrator: engine: containers on this engine (not a swarm manager)")
        let missing = await tenantctl(["doctor", "--image", "nope:1", "--json"], transport: fake)
        #expect(missing.code == ExitStatus.failure)
        let checks = try #require(JSONSerialization.jsonObject(with: Data(missing.out.utf8)) as? [[String: Any]])
        #expect(checks.first { $0["check"] as? String == "image" }?["ok"] as? Bool == false)
        let old = await tenantctl(["doctor"], transport: FakeDockerTransport(apiVersion: "1.25"))
        #expect(old.code == ExitStatus.versionUnsupported)
        #expect(old.out.contains("FAIL api: "))
    }

    @Test func helpOfEveryCommandHasExamples() {
        for command in TenantCtl.configuration.subcommands {
            let help = command.helpMessage()
            #expect(help.contains("Examples:"), "\(command)")
        }
        #expect(TenantCtl.helpMessage().contains("Exit codes"))
    }
}
