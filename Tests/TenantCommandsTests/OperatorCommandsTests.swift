import DockerAPI
import DockerClient
import Foundation
import TenantAuth
import TenantTestSupport
import Testing

@testable import TenantCommands

/// One multiplexed log frame as the engine sends it.
func logFrame(_ stream: UInt8, _ text: String) -> [UInt8] {
    let bytes = Array(text.utf8)
    let count = UInt32(bytes.count)
    return [stream, 0, 0, 0, UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + bytes
}

@Suite struct ListAndStatusTests {
    @Test func listShowsImageUptimeHealthRestartsURLsAndStore() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.update(container: "admin_panel_acme") { $0.restarts = 2 }
        let result = await tenantctl(["list", "--json", "--full"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let list = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
        let acme = try #require(list.first)
        #expect(acme["store"] as? String == "sqlite")
        #expect(acme["image"] as? String == image)
        #expect(acme["gateway_address"] as? String == "127.0.0.1:16001")
        #expect(acme["admin_url"] as? String == "http://127.0.0.1:18081/")
        let containers = try #require(acme["containers"] as? [[String: Any]])
        let admin = try #require(containers.first { $0["role"] as? String == "admin" })
        #expect(admin["status"] as? String == "Up 1 second")
        #expect(admin["restarts"] as? Int == 2)
        #expect(admin["image"] as? String == image)
        #expect(admin["address"] as? String == "http://127.0.0.1:18081/")
        let ingest = try #require(containers.first { $0["role"] as? String == "ingest" })
        #expect(ingest["restarts"] as? Int == 0)
        #expect(ingest["address"] as? String == "127.0.0.1:16001")

        let table = await tenantctl(["list", "--full"], transport: fake)
        let lines = table.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("PROVIDER  STATE    STORE   IMAGE"))
        // Nothing listens behind the fake engine's ports: the probes say so.
        #expect(lines[1].contains("127.0.0.1:16001  http://127.0.0.1:18081/  Up 1 second, unhealthy ("), "\(lines[1])")
        #expect(lines[1].contains("), 0 restarts  Up 1 second, unhealthy ("), "\(lines[1])")
        #expect(lines[1].hasSuffix("), 2 restarts"), "\(lines[1])")

        // Without --restarts: one list call, the rest from its answer.
        fake.clearRequests()
        let plain = await tenantctl(["list", "--json"], transport: fake)
        #expect(fake.requests.map(\.path) == ["/version", "/v1.41/info", "/v1.41/containers/json"])
        let plainList = try #require(JSONSerialization.jsonObject(with: Data(plain.out.utf8)) as? [[String: Any]])
        let plainContainers = try #require(plainList.first?["containers"] as? [[String: Any]])
        #expect(plainContainers.allSatisfy { $0["restarts"] == nil && $0["status"] as? String == "Up 1 second" })
    }

    @Test func cassandraProvidersSayWhichStore() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "10.0.0.5:9042"]), transport: fake).code == 0)
        let result = await tenantctl(["status", "acme", "--json"], transport: fake)
        let status = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(status["store"] as? String == "cassandra")
    }

    @Test func statusShowsTheSameFieldsOnePerLine() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        #expect(await tenantctl(["stop", "acme"], transport: fake).code == 0)
        fake.update(container: "remote_server_acme") { $0.restarts = 1 }
        let result = await tenantctl(["status", "acme"], transport: fake)
        #expect(result.code == 0)
        #expect(result.out == """
            provider acme: stopped (store sqlite, image \(image))
              gateways connect to 127.0.0.1:16001, admin at http://127.0.0.1:18081/
              admin admin_panel_acme: Exited (0), 0 restarts
              ingest remote_server_acme: Exited (0), 1 restart
              network: tenantctl_acme, volume: tenantctl_acme_data, secrets volume: tenantctl_acme_secrets
              secret settings-key: sha256 (generated, not read back) (admin)

            """)
        let json = await tenantctl(["status", "acme", "--json"], transport: fake)
        let status = try #require(JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(Set(status.keys).isSuperset(of: ["provider", "state", "gateway_port", "admin_port", "containers", "store", "image", "gateway_address", "admin_url"]))
    }

    @Test func addressesNameTheEnginesHost() {
        #expect(ProviderInventory.gatewayAddress(host: "10.1.2.3", port: 6001) == "10.1.2.3:6001")
        #expect(ProviderInventory.gatewayAddress(host: "fd00::1", port: 6001) == "[fd00::1]:6001")
        #expect(ProviderInventory.adminURL(host: "fd00::1", port: 8081) == "http://[fd00::1]:8081/")
    }
}

@Suite struct RestartAndLogsTests {
    @Test func restartRestartsBothServersOrOne() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setState(container: "admin_panel_acme", "exited")
        fake.clearRequests()
        let both = await tenantctl(["restart", "acme"], transport: fake)
        #expect(both.code == 0, "\(both.err)")
        #expect(both.out == "admin_panel_acme: started\nremote_server_acme: restarted\n")
        #expect(fake.changingRequests.filter { $0.path.hasSuffix("/restart") }.count == 2)
        #expect(fake.containers.allSatisfy { $0.state == "running" })

        fake.clearRequests()
        let one = await tenantctl(["restart", "acme", "--role", "admin", "--grace", "3"], transport: fake)
        #expect(one.code == 0)
        let restart = try #require(fake.changingRequests.first)
        #expect(fake.changingRequests.count == 1)
        let adminID = try #require(fake.containers.first { $0.name == "admin_panel_acme" }?.id)
        #expect(restart.target == "/v1.41/containers/\(adminID)/restart?t=3")
        #expect(await tenantctl(["restart", "nobody"], transport: fake).code == ExitStatus.notFound)
    }

    @Test func logsMergeBothServersInTimeOrderWithRolePrefixes() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setLogs(container: "remote_server_acme",
            logFrame(1, "2026-12-02T07:00:00.5Z ingest first\n") + logFrame(2, "2026-12-02T07:00:02Z ingest warned\n"))
        fake.setLogs(container: "admin_panel_acme",
            logFrame(1, "2026-12-02T07:00:00.25Z admin first\n2026-12-02T07:00:01.000000001Z admin second\n"))
        let merged = await tenantctl(["logs", "acme"], transport: fake)
        #expect(merged.code == 0, "\(merged.err)")
        #expect(merged.out == "admin  | admin first\ningest | ingest first\nadmin  | admin second\n")
        #expect(merged.err == "ingest | ingest warned\n")

        fake.clearRequests()
        let stamped = await tenantctl(["logs", "acme", "--timestamps", "--tail", "5", "--since", "1764658800"], transport: fake)
        #expect(stamped.out.hasPrefix("admin  | 2026-12-02T07:00:00.25Z admin first\n"))
        let logRequests = fake.requests.filter { $0.path.hasSuffix("/logs") }
        #expect(logRequests.count == 2)
        for request in logRequests {
            #expect(request.target.hasSuffix("?stdout=1&stderr=1&follow=0&tail=5&since=1764658800&timestamps=1"), "\(request.target)")
        }

        let ingestOnly = await tenantctl(["logs", "acme", "--role", "ingest"], transport: fake)
        #expect(ingestOnly.out == "ingest first\n")
    }

    @Test func sinceAcceptsDurationsTimesAndSeconds() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(LogSince.parse("90s", now: now) == 999_910)
        #expect(LogSince.parse("10m", now: now) == 999_400)
        #expect(LogSince.parse("2h", now: now) == 992_800)
        #expect(LogSince.parse("1d", now: now) == 913_600)
        #expect(LogSince.parse("2026-12-02T07:00:00Z") == 1_796_194_800)
        #expect(LogSince.parse("1764658800.5") == 1_764_658_800.5)
        for bad in ["", "yesterday", "-5m", "1e400", "10x", "0001-01-01T00:00:00Z", "99999999999999m"] { #expect(LogSince.parse(bad, now: now) == nil, "\(bad)") }
    }

    @Test func aBadSinceIsAUsageError() async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(["logs", "acme", "--since", "yesterday"], transport: fake)
        #expect(result.code == ExitStatus.usage)
        #expect(result.err.contains("--since 'yesterday'"))
        #expect(fake.requests.isEmpty)
    }

    @Test func linesSplitAcrossChunksAndKeepTheirStream() {
        var splitter = LogLineSplitter(role: "admin", tty: false)
        let bytes = logFrame(1, "2026-12-02T07:00:00Z one\n2026-12-02T07:00:01Z tw") + logFrame(2, "oops\n") + logFrame(1, "o\n")
        var lines: [LogLine] = []
        for byte in bytes { lines += splitter.feed([byte]) }
        lines += splitter.flush()
        #expect(lines.map(\.text) == ["one", "oops", "two"])
        #expect(lines.map(\.stream) == [.stdout, .stderr, .stdout])
        #expect(lines[2].timestamp == "2026-12-02T07:00:01Z")
        #expect(LogLine.sortKey("2026-12-02T07:00:00.5Z") > LogLine.sortKey("2026-12-02T07:00:00.25Z"))
    }
}
