import DockerAPI
import Foundation
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

/// A fleet file in a fresh temporary directory.
private func fleetFile(_ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("fleet.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Three providers with pinned ports (the fake tests never depend on the host's free ports).
private func solar(_ extra: String = "", sunco: String = "") -> String {
    """
    fleet: solar
    defaults:
      image: \(image)
    providers:
      acme: {gateway_port: 16101, admin_port: 18101}
      sunco:
        gateway_port: 16102
        admin_port: 18102
    \(sunco)
      beta: {gateway_port: 16103, admin_port: 18103}
    \(extra)
    """
}

private func jsonArray(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
}

@Suite struct FleetCommandsTests {
    @Test func badFileIsRefusedBeforeAnyEngineCall() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile("fleet: solar\nproviders:\n  acme:\n    gateway_port: x\n  sunco: {memroy: 1g}\n")
        for command in ["diff", "apply"] {
            let result = await tenantctl([command, "-f", path], transport: fake)
            #expect(result.code == ExitStatus.usage)
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 2, "\(result.err)")
            #expect(lines.first?.hasPrefix("tenantctl: error: \(path):4: providers.acme.gateway_port") == true, "\(result.err)")
            #expect(lines.last?.hasPrefix("tenantctl: error: \(path):5: providers.sunco: unknown key 'memroy'") == true, "\(result.err)")
        }
        #expect(fake.requests.isEmpty)
    }

    @Test func diffOnAnEmptyEngineListsCreatesAndChangesNothing() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile(solar())
        let result = await tenantctl(["diff", "-f", path], transport: fake)
        #expect(result.code == 2, "\(result.err)")
        #expect(result.out.contains("create    acme\n"))
        #expect(result.out.contains("create    beta\n"))
        #expect(result.out.contains("fleet solar: 3 to create"))
        #expect(fake.changingRequests.isEmpty)
    }

    @Test func applyCreatesEveryProviderWithTheFleetLabelThenReapplyDoesNothing() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile(solar())
        let first = await tenantctl(["apply", "--no-wait", "-f", path, "--json"], transport: fake)
        #expect(first.code == 0, "\(first.err)")
        let results = try jsonArray(first.out)
        #expect(results.map { $0["provider"] as? String } == ["acme", "sunco", "beta"])
        #expect(results.allSatisfy { $0["action"] as? String == "create" && $0["ok"] as? Bool == true && $0["error"] == nil })
        #expect(results.map { $0["gateway_port"] as? Int } == [16101, 16102, 16103])
        #expect(results.map { $0["admin_port"] as? Int } == [18101, 18102, 18103])
        #expect(results.allSatisfy { ($0["admin_password"] as? String)?.count == 20 })

        #expect(fake.containers.count == 6)
        #expect(fake.containers.allSatisfy { $0.state == "running" && $0.config.Labels?[Labels.fleet] == "solar" })
        #expect(Set(fake.networks.map(\.Name)) == ["tenantctl_acme", "tenantctl_sunco", "tenantctl_beta"])
        #expect(fake.networks.allSatisfy { $0.Labels?[Labels.fleet] == "solar" && $0.Labels?[Labels.provider] != nil })
        #expect(fake.volumes.count == 6)  // data and secrets of each
        #expect(fake.volumes.allSatisfy { $0.Labels?[Labels.fleet] == "solar" })

        fake.clearRequests()
        let again = await tenantctl(["apply", "--no-wait", "-f", path], transport: fake)
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out.contains("acme: unchanged (gateway port 16101, admin port 18101)"))
        #expect(again.out.hasSuffix("fleet solar: 3 unchanged\n"))
        // In sync: the version call, the swarm check (/info) and one container list, nothing else.
        #expect(fake.requests.map(\.path) == ["/version", "/v1.41/info", "/v1.41/containers/json"])

        let diff = await tenantctl(["diff", "-f", path], transport: fake)
        #expect(diff.code == 0)
        #expect(diff.out.hasSuffix("fleet solar: 3 unchanged\n"))
    }

    @Test func changedSettingsAreAnUpdateNamingThemAndAMissingContainerARepair() async throws {
        let fake = FakeDockerTransport(images: [image, "tenantctl:next"])
        _ = await tenantctl(["apply", "--no-wait", "-f", try fleetFile(solar())], transport: fake)
        fake.deleteContainer(named: "remote_server_beta")
        let changed = try fleetFile(solar(sunco: "    memory: 1g\n    image: tenantctl:next"))
        let diff = await tenantctl(["diff", "-f", changed, "--json"], transport: fake)
        #expect(diff.code == 2)
        let entries = try jsonArray(diff.out)
        #expect(entries.map { $0["action"] as? String } == ["unchanged", "update", "repair"])
        #expect(entries[1]["changes"] as? [String] == ["image: \(image) -> tenantctl:next", "memory: 512m -> 1g"])
        #expect(entries[2]["changes"] as? [String] == ["create container remote_server_beta"])

        let apply = await tenantctl(["apply", "--no-wait", "-f", changed], transport: fake)
        #expect(apply.code == 0, "\(apply.err)")
        #expect(apply.out.contains("sunco: updated (gateway port 16102, admin port 18102)"))
        #expect(apply.out.contains("beta: repaired (gateway port 16103, admin port 18103)"))
        #expect(apply.out.contains("fleet solar: 1 updated, 1 repaired, 1 unchanged"))
        let sunco = fake.containers.filter { $0.name.hasSuffix("_sunco") }
        #expect(sunco.count == 2)
        #expect(sunco.allSatisfy { $0.config.Image == "tenantctl:next" && $0.config.HostConfig?.Memory == 1 << 30 })
        #expect(await tenantctl(["diff", "-f", changed], transport: fake).code == 0)
    }

    /// TLS on the gateway port is a fleet setting like the others: kept by a file that says
    /// so, and a file that drops it names the change instead of silently turning TLS off.
    @Test func gatewayTLSIsConvergedAndNamedInTheDiff() async throws {
        let fake = FakeDockerTransport(images: [image])
        let secure = try fleetFile(solar(sunco: "    gateway_tls: required"))
        let first = await tenantctl(["apply", "--no-wait", "-f", secure], transport: fake)
        #expect(first.code == 0, "\(first.err)")
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_sunco" })
        #expect(ingest.config.Labels?["io.tenantctl.gateway-tls"]?.hasPrefix("required generated") == true)
        #expect(await tenantctl(["diff", "-f", secure], transport: fake).code == 0)

        let plain = await tenantctl(["diff", "-f", try fleetFile(solar()), "--json"], transport: fake)
        #expect(plain.code == 2)
        let entries = try jsonArray(plain.out)
        #expect(entries.map { $0["action"] as? String } == ["unchanged", "update", "unchanged"])
        let changes = try #require(entries[1]["changes"] as? [String])
        #expect(changes.contains("gateway_tls: required generated hosts=localhost,127.0.0.1 -> off"), "\(changes)")
    }

    @Test func oneFailingProviderDoesNotStopTheOthers() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile(solar(sunco: "    image: missing:1"))
        let result = await tenantctl(["apply", "--no-wait", "-f", path, "--json", "--parallel", "1"], transport: fake)
        #expect(result.code == 1)
        let results = try jsonArray(result.out)
        #expect(results.map { $0["ok"] as? Bool } == [true, false, true])
        #expect((results[1]["error"] as? String)?.contains("No such image: missing:1") == true)
        // The failed run removed what it created; the others run.
        #expect(Set(fake.containers.map(\.name)) == ["remote_server_acme", "admin_panel_acme", "remote_server_beta", "admin_panel_beta"])
        #expect(!fake.networks.contains { $0.Name == "tenantctl_sunco" })

        let human = await tenantctl(["apply", "--no-wait", "-f", path], transport: fake)
        #expect(human.code == 1)
        #expect(human.out.contains("sunco: create failed: "))
        #expect(human.out.contains("fleet solar: 2 unchanged, 1 failed"))
    }

    @Test func pruneRemovesOnlyThisFleetsUnlistedProviders() async throws {
        let fake = FakeDockerTransport(images: [image])
        _ = await tenantctl(["apply", "--no-wait", "-f", try fleetFile(solar())], transport: fake)
        // By hand, and by another fleet: never this fleet's to prune.
        _ = await tenantctl(startArgs("byhand"), transport: fake)
        let other = try fleetFile("fleet: other\nproviders:\n  lunar: {gateway_port: 16201, admin_port: 18201, image: \(image)}\n")
        #expect(await tenantctl(["apply", "--no-wait", "-f", other], transport: fake).code == 0)

        let smaller = try fleetFile("fleet: solar\ndefaults: {image: \(image)}\nproviders:\n  acme: {gateway_port: 16101, admin_port: 18101}\n")
        let withoutPrune = await tenantctl(["diff", "-f", smaller], transport: fake)
        #expect(withoutPrune.code == 0)  // unlisted providers are left alone without --prune
        let diff = await tenantctl(["diff", "-f", smaller, "--prune"], transport: fake)
        #expect(diff.code == 2)
        #expect(diff.out.contains("remove    beta: not in the file\n"))
        #expect(diff.out.contains("remove    sunco: not in the file\n"))
        #expect(!diff.out.contains("byhand") && !diff.out.contains("lunar"))

        let apply = await tenantctl(["apply", "--no-wait", "-f", smaller, "--prune"], transport: fake)
        #expect(apply.code == 0, "\(apply.err)")
        #expect(apply.out.contains("sunco: removed (data kept)"))
        let providers = Set(fake.containers.compactMap { $0.config.Labels?[Labels.provider] })
        #expect(providers == ["acme", "byhand", "lunar"])
        #expect(fake.volumes.contains { $0.Name == "tenantctl_sunco_data" })  // data kept
        #expect(await tenantctl(["diff", "-f", smaller, "--prune"], transport: fake).code == 0)

        let purge = await tenantctl(["apply", "--no-wait", "-f", smaller, "--prune", "--purge-data"], transport: fake)
        #expect(purge.code == 0, "\(purge.err)")
        #expect(purge.out.contains("beta: removed (data deleted)"))
        #expect(!fake.volumes.contains { $0.Name == "tenantctl_sunco_data" || $0.Name == "tenantctl_beta_data" })
        #expect(fake.volumes.contains { $0.Name == "tenantctl_byhand_data" })
    }

    @Test func startProviderByHandKeepsTheFleetLabel() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile(solar())
        _ = await tenantctl(["apply", "--no-wait", "-f", path], transport: fake)
        fake.clearRequests()
        let byHand = await tenantctl(["start-provider", "acme", "--image", image, "--no-wait"], transport: fake)
        #expect(byHand.code == 0, "\(byHand.err)")
        #expect(byHand.out.contains("already running"))
        #expect(fake.changingRequests.isEmpty)
        #expect(await tenantctl(["diff", "-f", path], transport: fake).code == 0)
    }

    @Test func portsChosenForABatchAreDistinct() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile("fleet: auto\ndefaults: {image: \(image)}\nproviders:\n  a1: {}\n  a2: {}\n  a3: {gateway_port: 46002, admin_port: 48082}\n  a4: {}\n")
        let result = await tenantctl(["apply", "--no-wait", "-f", path, "--json", "--parallel", "4"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let ports = try jsonArray(result.out).flatMap { [$0["gateway_port"] as? Int, $0["admin_port"] as? Int] }.compactMap { $0 }
        #expect(ports.count == 8)
        #expect(Set(ports).count == 8)
        #expect(ports[4...5] == [46002, 48082])  // pinned high: integration tests in the same run take ports from 6001 up
    }

    /// Both runs take the host lock before changing anything and look again once they hold
    /// it, so the second finds the first's work done instead of creating it twice.
    @Test func twoAppliesAtOnceNeverCreateAProviderTwice() async throws {
        let fake = FakeDockerTransport(images: [image])
        let path = try fleetFile(solar())
        async let first = tenantctl(["apply", "--no-wait", "-f", path, "--json"], transport: fake)
        async let second = tenantctl(["apply", "--no-wait", "-f", path, "--json"], transport: fake)
        let (one, two) = await (first, second)
        #expect(one.code == 0, "\(one.err)")
        #expect(two.code == 0, "\(two.err)")
        // Server containers only: each provider's secrets are written through a one-shot container.
        let creates = fake.requests.filter {
            $0.method == "POST" && $0.path.hasSuffix("/containers/create") && !$0.query.contains { $0.0 == "name" && $0.1.hasPrefix("tenantctl_secrets_") }
        }
        #expect(creates.count == 6)
        #expect(fake.containers.count == 6)
        let actions = try jsonArray(one.out).map { $0["action"] as? String } + jsonArray(two.out).map { $0["action"] as? String }
        #expect(actions.filter { $0 == "create" }.count == 3)
        #expect(actions.filter { $0 == "unchanged" }.count == 3)
    }

    @Test func usageErrors() async {
        let fake = FakeDockerTransport(images: [image])
        for args in [["apply", "--no-wait", "-f", "x.yaml", "--purge-data"], ["apply", "--no-wait", "-f", "x.yaml", "--parallel", "0"], ["apply"], ["diff"]] {
            #expect(await tenantctl(args, transport: fake).code == ExitStatus.usage, "\(args)")
        }
        #expect(fake.requests.isEmpty)
    }
}
