import Foundation
import TenantTestSupport
import Testing

// Gateway TLS on the real image and the real engine: `start-provider --gateway-tls`, the CA
// from `tenantctl gateway-ca`, the simulator over TLS, readings read back through the admin
// API, a plain connection refused, mutual TLS, then the same provider switched to `optional`.

private let environment = ProcessInfo.processInfo.environment
private let enabled = environment["TENANTCTL_INTEGRATION"] == "1"
private let image = environment["TENANTCTL_E2E_IMAGE"] ?? "tenantctl:0.1.0"

@Suite(.serialized, .enabled(if: enabled, "needs the Docker engine and the image: set TENANTCTL_INTEGRATION=1"))
struct GatewayTLSEndToEndTests {
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gw-tls-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// One provider: `required` (TLS acked and stored, plain refused, mutual TLS), then
    /// `optional` (TLS and plain both acked), the CA unchanged across the switch.
    @Test
    func gatewayTLSRequiredThenOptionalOnTheRealImage() async throws {
        let id = "gw_tls_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try await scenario(id)
        } catch {
            _ = try? await run(builtProduct("tenantctl"), ["remove", id, "--purge-data", "--yes"])
            throw error
        }
        _ = try await tenantctlOK(["remove", id, "--purge-data", "--yes"])
    }

    private func scenario(_ id: String) async throws {
        _ = try await tenantctlOK(["create-keyspace", id, "--image", image])
        let started = try jsonObject(try await tenantctlOK(["start-provider", id, "--image", image, "--gateway-tls", "required", "--json"]))
        let password = try #require(started["admin_password"] as? String)
        let status = try await Provider.waitUntilHealthy(id)
        let provider = Provider(
            id: id, gatewayPort: try #require(status["gateway_port"] as? Int), adminPort: try #require(status["admin_port"] as? Int),
            password: password)

        // What a gateway vendor is given: the CA certificate, never a key.
        let ca = try await tenantctlOK(["gateway-ca", id])
        #expect(ca.hasPrefix("-----BEGIN CERTIFICATE-----"), "gateway-ca prints a PEM certificate: \(ca.prefix(80))")
        #expect(!ca.contains("PRIVATE KEY"))
        let caFile = directory.appendingPathComponent("ca.pem").path
        try ca.write(toFile: caFile, atomically: true, encoding: .utf8)

        // Over TLS, checked against that CA: every report acked and stored.
        let tls = try await provider.simulate(prefix: "t-gw-", gateways: 3, reports: 20, extra: ["--tls", "--tls-ca-file", caFile])
        #expect(tls["acks"] as? Int == 3 * 20, "\(tls)")
        #expect(tls["unacknowledged"] as? Int == 0, "\(tls)")
        #expect((tls["tlsHandshakes"] as? Int ?? 0) >= 3, "each gateway connected over TLS: \(tls)")
        #expect(try await provider.storedReadings(prefix: "t-gw-") == 3 * 20 * 3)
        let admin = try #require(try await AdminSession.signIn(port: provider.adminPort, password: password))
        #expect(try await admin.gateways() == (0..<3).map { String(format: "t-gw-%05d", $0) })
        #expect(try await admin.readingCount("t-gw-00002") == 20 * 3)

        // A certificate from another CA is not trusted: the simulator gets nothing acked.
        let otherCA = try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=not the provider CA", "-keyout", path("other-ca.key"), "-out", path("other-ca.pem")])
        try #require(otherCA.code == 0, "openssl: \(otherCA.err)")
        let untrusted = try await provider.simulate(prefix: "u-gw-", gateways: 1, reports: 3, extra: ["--tls", "--tls-ca-file", path("other-ca.pem"), "--duration", "3", "--drain", "1"])
        #expect(untrusted["acks"] as? Int == 0, "\(untrusted)")

        // Plain text on a `required` port: closed without a reply, nothing stored.
        let plain = try await plainExchange(port: provider.gatewayPort, gateway: "p-gw-1")
        #expect(!plain.timedOut, "the server closes a plain connection (it did not wait for the idle timeout)")
        #expect(!plain.out.contains("<ack"), "a plain report on a TLS-only port is not acknowledged: \(plain.out)")
        #expect(try await provider.storedReadings(prefix: "p-gw-") == 0)

        // Registered for a client certificate, then connecting at once: refused without one.
        try await mutualTLS(provider, admin, caFile: caFile)

        // `optional`: the same port takes TLS and plain; the container is recreated, the CA kept.
        _ = try await tenantctlOK(["start-provider", id, "--image", image, "--gateway-tls", "optional"])
        try await Provider.waitUntilHealthy(id)
        #expect(try await tenantctlOK(["gateway-ca", id]) == ca, "switching the mode keeps the provider's CA")
        let overTLS = try await provider.simulate(prefix: "o-gw-", gateways: 2, reports: 10, extra: ["--tls", "--tls-ca-file", caFile])
        let overPlain = try await provider.simulate(prefix: "q-gw-", gateways: 2, reports: 10)
        #expect(overTLS["acks"] as? Int == 2 * 10 && (overTLS["tlsHandshakes"] as? Int ?? 0) >= 2, "\(overTLS)")
        #expect(overPlain["acks"] as? Int == 2 * 10 && overPlain["tlsHandshakes"] as? Int ?? 0 == 0, "\(overPlain)")
        #expect(try await provider.storedReadings(prefix: "o-gw-") == 2 * 10 * 3)
        #expect(try await provider.storedReadings(prefix: "q-gw-") == 2 * 10 * 3)
        let afterSwitch = try #require(try await AdminSession.signIn(port: provider.adminPort, password: password))
        #expect(try await afterSwitch.readingCount("o-gw-00001") == 10 * 3)
        #expect(try await afterSwitch.readingCount("q-gw-00001") == 10 * 3)
        #expect(try await afterSwitch.readingCount("t-gw-00000") == 20 * 3, "readings sent before the switch are kept")
    }

    /// Mutual TLS. tenantctl does not issue gateway client certificates (no command for it):
    /// the test signs one with the provider's CA key from its secrets volume, as an operator
    /// with openssl would, and registers the gateway in the panel to authenticate with it.
    private func mutualTLS(_ provider: Provider, _ admin: AdminSession, caFile: String) async throws {
        let gateway = "m-gw-00000"
        let registered = try await admin.curl([
            "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(admin.token)", "-H", "Content-Type: application/json",
            "--data", #"{"gateway":"\#(gateway)","credential":"certificate"}"#, "\(admin.base)/api/v1/gateways",
        ])
        #expect(registered.out == "201", "registering \(gateway) for a client certificate: \(registered.out) \(registered.err)")

        // Without a certificate the registered gateway is refused, over TLS too. Its three
        // reports are answered (nacked), which ends the run; no shorter bound that a loaded
        // machine could outlast.
        let bare = try await provider.simulate(prefix: "m-gw-", gateways: 1, reports: 3, extra: ["--tls", "--tls-ca-file", caFile])
        #expect(bare["acks"] as? Int == 0 && (bare["nacks"] as? Int ?? 0) > 0, "\(bare)")

        let mountpoint = try await run("/usr/bin/docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", "tenantctl_\(provider.id)_secrets"])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        let caKey = "\(mountpoint)/gateway-ca-key"
        try #require(FileManager.default.fileExists(atPath: caKey), "the provider's CA key is kept in its secrets volume")
        let key = path("m.key"), csr = path("m.csr"), cert = path("m.pem"), ext = path("m.ext")
        try "subjectAltName=DNS:\(gateway)\nextendedKeyUsage=clientAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
        let request = try await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(gateway)", "-keyout", key, "-out", csr])
        try #require(request.code == 0, "openssl req: \(request.err)")
        let signed = try await openssl(["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", cert])
        try #require(signed.code == 0, "openssl x509: \(signed.err)")

        let withCertificate = try await provider.simulate(
            prefix: "m-gw-", gateways: 1, reports: 10, extra: ["--tls", "--tls-ca-file", caFile, "--tls-cert-file", cert, "--tls-key-file", key])
        #expect(withCertificate["acks"] as? Int == 10 && withCertificate["unacknowledged"] as? Int == 0, "\(withCertificate)")
        #expect(try await admin.readingCount(gateway) == 10 * 3)
        // Ingest writes refusals in batches a second apart (and again after a failed write):
        // waited for, not assumed written by now.
        try await waitUntil("the certificate refusal of \(gateway) is recorded", timeout: .seconds(30)) {
            let refusals = try await admin.api("/api/v1/refusals")
            let refused = (refusals.body as? [String: Any])?["refused"] as? [[String: Any]] ?? []
            return refused.contains { $0["gateway"] as? String == gateway && $0["reason"] as? String == "client certificate required" }
        }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) async throws -> ProgramResult {
        try await run("/usr/bin/openssl", arguments, timeout: .seconds(60))
    }

    /// Sends one plain report and reads until the server closes (bash's /dev/tcp: no TLS).
    private func plainExchange(port: Int, gateway: String) async throws -> ProgramResult {
        let report = #"<report gateway="\#(gateway)" seq="1"><reading sensor="a" at="2026-06-20T12:00:00Z" power="10"/></report>"#
        return try await runProgram("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port); printf '%s' '\(report)' >&3; cat <&3"], timeout: .seconds(30))
    }
}
