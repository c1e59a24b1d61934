import DockerAPI
import DockerClient
import Foundation
import TenantTestSupport
import Testing

@testable import TenantCommands

/// Inputs a new operator tries: none may crash tenantctl, each gets one clear line.
@Suite struct OperatorEdgeTests {
    @Test(arguments: [
        ["doctor", "--admin-port", "99999"], ["doctor", "--gateway-port", "65536"], ["doctor", "--gateway-port", "0"],
        ["doctor", "--admin-port=-1"], ["db", "start", "--port", "70000"], ["plan", "acme", "--gateway-port", "0"],
        ["start-provider", "acme", "--admin-port", "65536"],
    ])
    func outOfRangePortsAreUsageErrors(arguments: [String]) async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(arguments, transport: fake)
        #expect(result.code == ExitStatus.usage, "\(arguments): \(result.err)")
        #expect(result.err.contains("must be 1 to 65535"), "\(result.err)")
        #expect(!result.out.contains("is free"))
        #expect(fake.requests.isEmpty)
    }

    @Test func hostPortProbeRefusesOutOfRangeValuesWithoutTrapping() {
        for port in [-1, 0, 65536, 99999, Int.max, Int.min] { #expect(!HostPorts.isFree(port), "\(port)") }
    }

    @Test func helpOfAnUnknownCommandIsAUsageError() async {
        let bogus = await tenantctl(["help", "bogus"], transport: nil)
        #expect(bogus.code == ExitStatus.usage)
        #expect(bogus.err == "tenantctl: error: no command 'bogus': see `tenantctl help` for the list\n")
        let nested = await tenantctl(["help", "db", "nope"], transport: nil)
        #expect(nested.code == ExitStatus.usage)
        #expect(nested.err.contains("'nope'"))
        let known = await tenantctl(["help", "db", "start"], transport: nil)
        #expect(known.code == 0)
        #expect(known.out.contains("tenantctl db start"))
    }

    @Test func logsOfAnUnknownProviderIsNotFound() async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(["logs", "nosuch"], transport: fake)
        #expect(result.code == ExitStatus.notFound)
        #expect(result.err == "tenantctl: error: unknown provider 'nosuch': no Docker object carries its label\n")
    }

    @Test func planOfAnUpToDateProviderPrintsAnEmptyArrayAndSaysSo() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        let plan = await tenantctl(["plan", "acme", "--image", image], transport: fake)
        #expect(plan.code == 0, "\(plan.err)")
        #expect(plan.out == "[]\n")
        #expect(plan.err == "provider acme is up to date (gateway port 16001, admin port 18081): start-provider would change nothing\n")
    }

    @Test func emptyCollectionsRenderCompactly() throws {
        struct Doc: Encodable { var list: [Int] = []; var map: [String: Int] = [:]; var text = "[\\n\\n]" }
        #expect(try JSONOutput.render([Int]()) == "[]")
        #expect(try JSONOutput.render(Doc()) == "{\n  \"list\" : [],\n  \"map\" : {},\n  \"text\" : \"[\\\\n\\\\n]\"\n}")
    }

    @Test func malformedDockerHostIsAUsageError() async {
        for (arguments, source) in [(["list", "--docker-host", "garbage"], "--docker-host"), (["list", "--docker-host", "unix://"], "--docker-host")] {
            let result = await tenantctl(arguments, transport: nil)
            #expect(result.code == ExitStatus.usage, "\(arguments)")
            #expect(result.err.hasPrefix("tenantctl: error: invalid Docker engine address '"), "\(result.err)")
            #expect(result.err.contains("(from \(source))"))
            #expect(result.err.split(separator: "\n").count == 1)
        }
    }

    @Test func missingSocketIsNamedByItsPath() async {
        let result = await tenantctl(["list", "--docker-host", "unix:///nonexistent"], transport: nil)
        #expect(result.code == ExitStatus.engineUnreachable)
        #expect(result.err.contains("socket /nonexistent: No such file or directory"), "\(result.err)")
        #expect(!result.err.contains("localhost port 80"))
    }
}
