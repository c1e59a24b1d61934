import DockerClient
import Foundation
import TenantModel
import TenantTestSupport
import Testing

@testable import TenantCommands

/// A loopback TCP server answering each connection with `reply(requestBytes)` once the
/// request holds `terminator` (nil reply: say nothing and keep the connection open).
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init(terminator: [UInt8], reply: @escaping @Sendable ([UInt8]) -> [UInt8]?) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        fd = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread.detachNewThread {
                    var request: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 1024)
                    while true {
                        let count = recv(client, &buffer, buffer.count, 0)
                        guard count > 0 else { close(client); return }
                        request += buffer[..<count]
                        if request.count >= terminator.count, request.indices.dropLast(terminator.count - 1).contains(where: { Array(request[$0..<$0 + terminator.count]) == terminator }) { break }
                    }
                    guard let answer = reply(request) else { return }  // hangs: keeps the socket open
                    _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    close(client)
                }
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    /// A gateway server: answers a report with a nack, as tenant-ingest does for the probe.
    static func gateway() throws -> LoopbackServer {
        try LoopbackServer(terminator: [0x0a]) { request in
            String(decoding: request, as: UTF8.self) == "<report seq=\"0\"/>\n"
                ? Array("<nack gateway=\"\" seq=\"0\" code=\"invalid\" reason=\"missing gateway\"/>\n".utf8) : Array("<error code=\"malformed\"/>\n".utf8)
        }
    }

    /// An HTTP server answering `status` to `GET /health`.
    static func http(status: String) throws -> LoopbackServer {
        try LoopbackServer(terminator: Array("\r\n\r\n".utf8)) { request in
            String(decoding: request, as: UTF8.self).hasPrefix("GET /health HTTP/1.1\r\n")
                ? Array("HTTP/1.1 \(status)\r\nContent-Length: 2\r\n\r\nok".utf8) : Array("HTTP/1.1 404 Not Found\r\n\r\n".utf8)
        }
    }
}

@Suite struct ServerProbeTests {
    /// For probes that must get their answer: a full parallel run has stretched half a second
    /// of work to 25 s, and a probe returns as soon as the answer comes.
    static let generous: Duration = .seconds(60)

    @Test func aGatewayServerThatRefusesTheProbeReportIsReady() async throws {
        let server = try LoopbackServer.gateway()
        #expect(await ServerProbe.gateway(host: "127.0.0.1", port: server.port, timeout: Self.generous) == .ready)
    }

    /// `--gateway-tls required`: tenant-ingest answers the plain probe with a TLS alert and
    /// closes (these are the bytes it sent on the real image: fatal, decode_error).
    @Test func aTLSRequiredServerAnsweringWithAnAlertIsReady() async throws {
        let tls = try LoopbackServer(terminator: [0x0a]) { _ in [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46] }
        #expect(await ServerProbe.gateway(host: "127.0.0.1", port: tls.port, timeout: Self.generous) == .ready)
        let other = try LoopbackServer(terminator: [0x0a]) { _ in [0x16, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46] }
        #expect(await ServerProbe.gateway(host: "127.0.0.1", port: other.port, timeout: .milliseconds(500)) != .ready)
    }

    @Test func aSilentServerIsNotReadyWithinTheTimeout() async throws {
        let silent = try LoopbackServer(terminator: [0x0a]) { _ in nil }
        let started = ContinuousClock.now
        let outcome = await ServerProbe.gateway(host: "127.0.0.1", port: silent.port, timeout: .milliseconds(300))
        #expect(outcome == .notReady("no reply in 0.3 seconds"))
        #expect(ContinuousClock.now - started < .seconds(60))  // bounded by the timeout, not hanging (the server never replies)
    }

    @Test func anotherProtocolIsNotAGateway() async throws {
        let web = try LoopbackServer.http(status: "200 OK")
        let outcome = await ServerProbe.gateway(host: "127.0.0.1", port: web.port, timeout: .milliseconds(500))
        #expect(!outcome.isReady)
    }

    @Test func aClosedPortIsRefused() async {
        let port = freeLoopbackPort()
        #expect(await ServerProbe.gateway(host: "127.0.0.1", port: port) == .notReady("Connection refused"))
        #expect(await ServerProbe.admin(host: "127.0.0.1", port: port) == .notReady("Connection refused"))
    }

    @Test func adminHealthMustAnswer200() async throws {
        let healthy = try LoopbackServer.http(status: "200 OK")
        let failing = try LoopbackServer.http(status: "503 Service Unavailable")
        #expect(await ServerProbe.admin(host: "127.0.0.1", port: healthy.port, timeout: Self.generous) == .ready)
        #expect(await ServerProbe.admin(host: "127.0.0.1", port: failing.port, timeout: Self.generous) == .notReady("/health answered 503"))
    }

    @Test(arguments: [
        ("unix:///var/run/docker.sock", "127.0.0.1"), ("tcp://10.1.2.3:2376", "10.1.2.3"), ("tcp://engine.example:2375/", "engine.example"),
        ("tcp://[fd00::5]:2376", "fd00::5"), ("fake://engine", "127.0.0.1"),
    ])
    func probesGoToTheEnginesHost(endpoint: String, host: String) {
        #expect(ServerProbe.host(forEngineEndpoint: endpoint) == host)
    }
}

@Suite struct ReadinessTests {
    private func client(_ fake: FakeDockerTransport) async throws -> DockerClient { try await DockerClient.connect(transport: fake) }

    @Test func readyWhenBothServersAnswer() async throws {
        let gateway = try LoopbackServer.gateway()
        let admin = try LoopbackServer.http(status: "200 OK")
        let waiter = ProviderReadiness(client: try await client(FakeDockerTransport()), host: "127.0.0.1")
        try await waiter.wait(provider: try ProviderID("acme"), gatewayPort: gateway.port, adminPort: admin.port, timeout: .seconds(60))
    }

    @Test func aTimeoutNamesWhatIsNotReadyAndExits75() async throws {
        let gateway = try LoopbackServer.gateway()
        let admin = try LoopbackServer.http(status: "503 Service Unavailable")
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)  // containers "running" in the fake
        let waiter = ProviderReadiness(client: try await client(fake), host: "127.0.0.1")
        let error = await #expect(throws: ProviderReadiness.NotReady.self) {
            try await waiter.wait(provider: try ProviderID("acme"), gatewayPort: gateway.port, adminPort: admin.port, timeout: .seconds(3))
        }
        #expect(error?.timedOut == true)
        #expect(error?.exitCode == 75)
        // Only the admin server is named. Its reason is normally "answered 503"; the last probe,
        // cut short by the deadline, may instead find no reply in its remaining time.
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.hasPrefix("admin port \(admin.port) /health: ") == true)
        #expect(error?.problems.first.map { $0.hasSuffix("/health answered 503") || $0.contains("no reply in") } == true)
    }

    @Test func aServerThatExitsFailsAtOnceWithItsLastLogLine() async throws {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme"), transport: fake).code == 0)
        fake.setState(container: "remote_server_acme", "exited")
        fake.setLogs(container: "remote_server_acme", frame("tenant-ingest: error: cannot reach the Cassandra cluster at 127.0.0.1:9\n"))
        let admin = try LoopbackServer.http(status: "200 OK")
        let started = ContinuousClock.now
        let waiter = ProviderReadiness(client: try await client(fake), host: "127.0.0.1")
        let error = await #expect(throws: ProviderReadiness.NotReady.self) {
            try await waiter.wait(provider: try ProviderID("acme"), gatewayPort: freeLoopbackPort(), adminPort: admin.port, timeout: .seconds(180))
        }
        #expect(ContinuousClock.now - started < .seconds(60))  // at once, not after the timeout
        #expect(error?.timedOut == false)
        #expect(error?.exitCode == 1)
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.hasPrefix("ingest container exited") == true)
        #expect(error?.problems.first?.hasSuffix(": tenant-ingest: error: cannot reach the Cassandra cluster at 127.0.0.1:9") == true)
    }

    @Test func startProviderWaitsAndReportsTheTimeoutAsExit75() async throws {
        let fake = FakeDockerTransport(images: [image])
        let gatewayPort = freeLoopbackPort()
        let result = await tenantctl(
            ["start-provider", "acme", "--image", image, "--gateway-port", String(gatewayPort), "--admin-port", String(freeLoopbackPort()), "--wait-timeout", "1"],
            transport: fake)
        #expect(result.code == 75)
        // It never gives up before the timeout; how long after it says depends on how busy
        // the machine is (CI's parallel tests stretched it to 2.3 s once).
        let waited = result.err.firstMatch(of: #/provider acme is not ready after (\d+\.\d) s/#).flatMap { Double($0.1) }
        #expect((waited ?? 0) >= 1.0, "\(result.err)")
        #expect(result.err.contains("gateway port \(gatewayPort): Connection refused"))
        // The containers were created and the password printed before the wait.
        #expect(result.out.contains("admin password for user 'admin'"))
        #expect(fake.containers.count == 2)
    }

    /// One stdout frame of the engine's multiplexed log stream.
    private func frame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let size = UInt32(payload.count)
        return [1, 0, 0, 0, UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)] + payload
    }
}
