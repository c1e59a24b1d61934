import DockerClient
import Foundation
import Synchronization
import TenantModel
import Testing

@testable import TenantCommands

// `tenantctl apply -f` against the real engine. The TCP-only fixture image
// (`make test-fixtures`, with --no-wait) is enough where the tests check what the engine holds
// (labels, ports, container ids); TENANTCTL_FLEET_TEST_IMAGE overrides it. Readiness needs
// the real servers: that test uses the real image (TENANTCTL_TEST_IMAGE, else tenantctl:VERSION).

private let enabled = ProcessInfo.processInfo.environment["TENANTCTL_INTEGRATION"] == "1"
private let image = ProcessInfo.processInfo.environment["TENANTCTL_FLEET_TEST_IMAGE"] ?? "tenantctl-test-listener:latest"
private let realImage = ProcessInfo.processInfo.environment["TENANTCTL_TEST_IMAGE"] ?? TenantctlVersion.defaultImage


private func write(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fl-\(UInt64.random(in: 0...UInt64.max)).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Container name -> id of every container labelled with one of `providers`.
private func containerIDs(_ providers: [String]) async throws -> [String: String] {
    let client = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
    var ids: [String: String] = [:]
    for provider in providers {
        for container in try await client.listContainers(all: true, labels: ["\(Labels.provider)=\(provider)"]) { ids[container.name] = container.Id }
    }
    return ids
}

@Suite(.serialized, .enabled(if: enabled, "needs a Docker engine: set TENANTCTL_INTEGRATION=1"))
struct FleetIntegrationTests {
    @Test func applyReapplyUpdateAndPruneOnlyItsOwnFleet() async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let (a, b, c, byHand, other) = ("fl_\(tag)_a", "fl_\(tag)_b", "fl_\(tag)_c", "fl_\(tag)_h", "fl_\(tag)_o")
        let fleet = "fl-\(tag)"
        do {
            try await run(tag: tag, fleet: fleet, ids: (a, b, c, byHand, other))
        } catch {
            await removeAll([a, b, c, byHand, other])
            throw error
        }
        await removeAll([a, b, c, byHand, other])
    }

    /// Removes everything the test made.
    private func removeAll(_ ids: [String]) async {
        for id in ids { _ = await tenantctl(["remove", id, "--purge-data", "--yes"]) }
    }

    private func run(tag: String, fleet: String, ids: (String, String, String, String, String)) async throws {
        let (a, b, c, byHand, other) = ids
        func file(_ providers: [(String, String)]) throws -> String {
            try write(
                "fleet: \(fleet)\ndefaults:\n  image: \(image)\n  memory: 64m\nproviders:\n"
                    + providers.map { "  \($0.0): {\($0.1)}\n" }.joined())
        }
        let full = try file([(a, ""), (b, ""), (c, "cpus: 0.5")])

        let created = await tenantctl(["apply", "--no-wait", "-f", full, "--json"])
        #expect(created.code == 0, "\(created.err)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(created.out.utf8)) as? [[String: Any]])
        #expect(results.map { $0["action"] as? String } == ["create", "create", "create"])
        #expect(results.allSatisfy { $0["ok"] as? Bool == true })
        let ports = results.flatMap { [$0["gateway_port"] as? Int, $0["admin_port"] as? Int] }.compactMap { $0 }
        #expect(Set(ports).count == 6)
        let client = try await DockerClient.connect(transport: CurlTransport.fromEnvironment())
        for id in [a, b, c] {
            for name in ["remote_server_\(id)", "admin_panel_\(id)"] {
                let inspect = try await client.inspectContainer(id: name)
                #expect(inspect.State.Running == true)
                #expect(inspect.Config?.Labels?[Labels.fleet] == fleet)
            }
            #expect(try await client.inspectNetwork(id: "tenantctl_\(id)").Labels?[Labels.fleet] == fleet)
            #expect(try await client.inspectVolume(name: "tenantctl_\(id)_data").Labels?[Labels.fleet] == fleet)
        }
        let before = try await containerIDs([a, b, c])
        #expect(before.count == 6)

        let again = await tenantctl(["apply", "--no-wait", "-f", full])
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out.hasSuffix("fleet \(fleet): 3 unchanged\n"), "\(again.out)")
        #expect(try await containerIDs([a, b, c]) == before)

        let changed = try file([(a, ""), (b, "memory: 96m"), (c, "cpus: 0.5")])
        let diff = await tenantctl(["diff", "-f", changed])
        #expect(diff.code == 2)
        #expect(diff.out.contains("update    \(b): memory: 64m -> 96m"), "\(diff.out)")
        let update = await tenantctl(["apply", "--no-wait", "-f", changed])
        #expect(update.code == 0, "\(update.err)")
        #expect(update.out.contains("\(b): updated"))
        let after = try await containerIDs([a, b, c])
        #expect(after["remote_server_\(a)"] == before["remote_server_\(a)"])
        #expect(after["remote_server_\(b)"] != before["remote_server_\(b)"])
        #expect(try await client.inspectContainer(id: "remote_server_\(b)").HostConfig?.Memory == 96 << 20)

        // A provider started by hand and one of another fleet are never this fleet's to prune.
        #expect(await tenantctl(["start-provider", byHand, "--image", image, "--memory", "64m", "--no-wait"]).code == 0)
        let otherFleet = try write("fleet: fl-other-\(tag)\ndefaults: {image: \(image), memory: 64m}\nproviders:\n  \(other): {}\n")
        #expect(await tenantctl(["apply", "--no-wait", "-f", otherFleet]).code == 0)
        let smaller = try file([(a, ""), (b, "memory: 96m")])
        let pruned = await tenantctl(["apply", "--no-wait", "-f", smaller, "--prune"])
        #expect(pruned.code == 0, "\(pruned.err)")
        #expect(pruned.out.contains("\(c): removed (data kept)"))
        let remaining = try await containerIDs([a, b, c, byHand, other])
        for id in [a, b, byHand, other] { #expect(remaining["remote_server_\(id)"] != nil, "\(id)") }
        #expect(remaining["remote_server_\(c)"] == nil)
        #expect(try await client.inspectVolume(name: "tenantctl_\(c)_data").Labels?[Labels.fleet] == fleet)
        #expect(await tenantctl(["diff", "-f", smaller, "--prune"]).code == 0)
    }

    @Test func applyWaitsUntilTheServersAnswer() async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let (a, b) = ("fl_\(tag)_r1", "fl_\(tag)_r2")
        do {
            let path = try write("fleet: fl-ready-\(tag)\ndefaults: {image: \(realImage)}\nproviders:\n  \(a): {}\n  \(b): {}\n")
            let applied = await tenantctl(["apply", "-f", path, "--json", "--wait-timeout", "60"])
            #expect(applied.code == 0, "\(applied.err) \(applied.out)")
            let results = try #require(try JSONSerialization.jsonObject(with: Data(applied.out.utf8)) as? [[String: Any]])
            #expect(results.map { $0["ready"] as? Bool } == [true, true])
            // Ready means the gateway answers the protocol: a second look does it again.
            for result in results {
                let port = try #require(result["gateway_port"] as? Int)
                #expect(await ServerProbe.gateway(host: "127.0.0.1", port: port, timeout: .seconds(5)).isReady, "\(port)")
            }
            let again = await tenantctl(["apply", "-f", path, "--json"])
            #expect(again.code == 0)
            let unchanged = try #require(try JSONSerialization.jsonObject(with: Data(again.out.utf8)) as? [[String: Any]])
            #expect(unchanged.map { $0["action"] as? String } == ["unchanged", "unchanged"])
            #expect(unchanged.allSatisfy { $0["ready"] == nil })  // nothing changed: nothing waited for
        } catch {
            await removeAll([a, b])
            throw error
        }
        await removeAll([a, b])
    }
}
