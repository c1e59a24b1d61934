import TenantTestSupport
import Foundation
import GatewaySimulator
import GatewayTLS
import IngestServer
import ServerSupport
import TenantAuth
import Testing

/// A provider's TLS material in a temporary directory, as tenantctl writes it to the secrets
/// volume: CA, server certificate for loopback, gateway certificates; plus a second, unrelated
/// CA for what must be refused.
struct TLSFiles {
    let directory: URL
    var caFile: String { path("ca.pem") }
    var serverCertFile: String { path("server.pem") }
    var serverKeyFile: String { path("server.key") }
    var otherCAFile: String { path("other-ca.pem") }

    init(gateways: [String] = []) throws {
        directory = try temporaryDirectory()
        let authority = try GatewayCertificateAuthority(name: "tl-test")
        let other = try GatewayCertificateAuthority(name: "tl-other")
        let server = try authority.issueServer(hosts: ["localhost", "127.0.0.1"])
        try write("ca.pem", authority.pem.certificate)
        try write("server.pem", server.certificate)
        try write("server.key", server.privateKey)
        try write("other-ca.pem", other.pem.certificate)
        for gateway in gateways {
            let pair = try authority.issueGateway(gateway)
            try write("\(gateway).pem", pair.certificate)
            try write("\(gateway).key", pair.privateKey)
            // The same gateway id, signed by a CA the server does not trust.
            let forged = try other.issueGateway(gateway)
            try write("forged-\(gateway).pem", forged.certificate)
            try write("forged-\(gateway).key", forged.privateKey)
        }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func server(_ mode: GatewayTLSMode, clientCA: Bool = false) throws -> IngestConfiguration {
        var configuration = IngestConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = try IngestTLS(mode: mode, certificateFile: serverCertFile, keyFile: serverKeyFile, clientCAFile: clientCA ? caFile : nil)
        return configuration
    }

    /// A simulator run: `reports` from each of `gateways` gateways named `prefix00000`...
    func simulate(
        port: Int, tls: SimulatorTLS?, prefix: String = "gw-", gateways: Int = 2, reports: Int = 5, duration: Double = 20
    ) async throws -> SimulatorReport {
        let configuration = SimulatorConfiguration(
            port: port, gateways: gateways, sensors: 3, gatewayPrefix: prefix, reportsPerGateway: reports, duration: duration, rate: 0,
            window: 4, drainTimeout: 1, tls: tls)
        return try await GatewaySimulator(configuration: configuration).run()
    }
}

@Suite struct TLSTests {
    @Test func requiredSpeaksProtocolV1InsideTLSAndRefusesPlain() async throws {
        let files = try TLSFiles()
        let server = try await RunningServer.start(configuration: files.server(.required))
        let tls = try await files.simulate(port: server.port, tls: SimulatorTLS(caFile: files.caFile))
        #expect(tls.acks == 10 && tls.nacks == 0 && tls.errors == 0 && tls.unacknowledged == 0)
        #expect(tls.tlsHandshakes == 2)
        #expect(try await server.count("SELECT count(*) FROM readings") == 30)
        // A plain gateway gets no reply: the bytes are not a ClientHello, the handshake fails, the server closes.
        let port = server.port
        let plain = try await blocking {
            let client = try LineClient(port: port)
            client.send("<report gateway=\"gw-plain\" seq=\"1\">" + reading("a") + "</report>\n")
            return client.line()
        }
        #expect(plain == nil)
        #expect(try await server.count("SELECT count(*) FROM readings") == 30)
        try await server.stop()
    }

    @Test func optionalAcceptsTLSAndPlainOnOnePort() async throws {
        let files = try TLSFiles()
        let server = try await RunningServer.start(configuration: files.server(.optional))
        let tls = try await files.simulate(port: server.port, tls: SimulatorTLS(caFile: files.caFile), prefix: "gw-t")
        #expect(tls.acks == 10 && tls.unacknowledged == 0 && tls.tlsHandshakes == 2)
        let plain = try await files.simulate(port: server.port, tls: nil, prefix: "gw-p")
        #expect(plain.acks == 10 && plain.unacknowledged == 0 && plain.tlsHandshakes == 0)
        // Whitespace before the first element is plain too.
        let port = server.port
        let line = try await blocking {
            let client = try LineClient(port: port)
            client.send("\n<report gateway=\"gw-ws\" seq=\"1\">" + reading("a") + "</report>\n")
            return client.line()
        }
        #expect(line == "<ack gateway=\"gw-ws\" seq=\"1\" stored=\"1\" duplicates=\"0\"/>")
        #expect(try await server.count("SELECT count(*) FROM readings") == 61)
        try await server.stop()
    }

    @Test func aServerCertificateFromAnotherCAIsRefusedByTheGateway() async throws {
        let files = try TLSFiles()
        let server = try await RunningServer.start(configuration: files.server(.required))
        let result = try await files.simulate(port: server.port, tls: SimulatorTLS(caFile: files.otherCAFile), gateways: 1, duration: 0.5)
        #expect(result.acks == 0 && result.tlsHandshakes == 0)
        #expect(try await server.count("SELECT count(*) FROM readings") == 0)
        try await server.stop()
    }

    /// Mutual TLS with keys required: the certificate authenticates its gateway instead of a
    /// key; another gateway's id is refused; a gateway without a certificate still needs its key;
    /// a certificate from another CA fails the handshake.
    @Test func mutualTLSAuthenticatesTheGatewayItNames() async throws {
        let files = try TLSFiles(gateways: ["gw-m00000"])
        let setup = try await RunningServer.start()
        let hash = try PasswordHasher.hash("s3cret")
        try await setup.database.write { db in
            try db.run("INSERT INTO settings (key, value) VALUES ('gateway_keys_required', 'true')")
            try db.run("INSERT INTO gateways (id, key_hash, first_seen, last_seen) VALUES ('gw-k00000', ?, 0, 0)", [.text(hash)])
        }
        try await setup.stop()
        let server = try await RunningServer.start(path: setup.database.path, configuration: files.server(.required, clientCA: true))
        let certified = try SimulatorTLS(caFile: files.caFile, certificateFile: files.path("gw-m00000.pem"), keyFile: files.path("gw-m00000.key"))

        let named = try await files.simulate(port: server.port, tls: certified, prefix: "gw-m", gateways: 1)
        #expect(named.acks == 5 && named.nacks == 0 && named.unacknowledged == 0)
        // The same certificate, reports of another gateway: refused, whatever the key.
        let other = try await files.simulate(port: server.port, tls: certified, prefix: "gw-k", gateways: 1, reports: 1)
        #expect(other.acks == 0 && other.nacks == 1)
        // No certificate: the key decides, as without TLS.
        let keyed = SimulatorConfiguration(
            port: server.port, gateways: 1, sensors: 3, gatewayPrefix: "gw-k", reportsPerGateway: 2, duration: 20, rate: 0, window: 2,
            key: "s3cret", drainTimeout: 1, tls: try SimulatorTLS(caFile: files.caFile))
        let withKey = try await GatewaySimulator(configuration: keyed).run()
        #expect(withKey.acks == 2)
        let anonymous = try await files.simulate(port: server.port, tls: SimulatorTLS(caFile: files.caFile), prefix: "gw-m", gateways: 1, reports: 1)
        #expect(anonymous.acks == 0 && anonymous.nacks == 1)
        // A certificate for the right id from a CA the server does not trust: no handshake.
        let forged = try SimulatorTLS(
            caFile: files.caFile, certificateFile: files.path("forged-gw-m00000.pem"), keyFile: files.path("forged-gw-m00000.key"))
        let refused = try await files.simulate(port: server.port, tls: forged, prefix: "gw-m", gateways: 1, reports: 1, duration: 0.5)
        #expect(refused.acks == 0 && refused.nacks == 0)
        #expect(try await server.count("SELECT count(*) FROM readings") == 5 * 3 + 2 * 3)
        try await server.stop()
    }

    @Test func settingsNameTheFilesAndRefuseHalfConfigurations() throws {
        let base = ["--provider", "acme", "--store", "sqlite:/data/acme.db"]
        func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> IngestServerSettings {
            guard case .run(let settings) = try IngestServerSettings.parse(try IngestOptions.parse(base + arguments), environment: environment) else {
                throw ServerFailure.usage("not a run")
            }
            return settings
        }
        #expect(try parse([]).tls == .init(mode: .off))
        let fromEnvironment = try parse([], [
            "TENANT_TLS": "optional", "TENANT_TLS_CERT_FILE": "/run/secrets/tls.pem", "TENANT_TLS_KEY_FILE": "/run/secrets/tls.key",
            "TENANT_TLS_CLIENT_CA_FILE": "/run/secrets/ca.pem",
        ])
        #expect(fromEnvironment.tls == .init(mode: .optional, certificateFile: "/run/secrets/tls.pem", keyFile: "/run/secrets/tls.key", clientCAFile: "/run/secrets/ca.pem"))
        #expect(try parse(["--tls", "required", "--tls-cert-file", "c", "--tls-key-file", "k"]).tls.mode == .required)
        #expect(throws: ServerFailure.self) { try parse(["--tls", "required", "--tls-cert-file", "c"]) }
        #expect(throws: ServerFailure.self) { try parse(["--tls", "sometimes"]) }
        #expect(throws: ServerFailure.self) { try parse(["--tls-cert-file", "c", "--tls-key-file", "k"]) }
        // A missing file is named when the server starts, and the key's content never is.
        let missing = IngestServerSettings.TLSSettings(mode: .required, certificateFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem")
        #expect(throws: IngestTLSError.self) { try missing.load() }
    }
}
