import Foundation
import TenantCtlCassandra
import TenantPlan
import Testing

@testable import TenantCommands

/// The fleet file parser and validator: pure, so every refusal is checked with its line.
@Suite struct FleetFileTests {
    @Test func validFileMergesDefaultsAndKeepsFileOrder() throws {
        // The replication rule is the Cassandra provisioner's, as for create-keyspace.
        let file = try KeyspaceProvisioners.$cassandraOverride.withValue(TenantCtlCassandra.factory(environment: [:])) {
            try FleetFile.parse(
            """
            fleet: solar-eu            # names this fleet
            defaults:
              image: tenantctl:0.1.0
              store: sqlite
              memory: 512m
            providers:
              sunco:
                gateway_port: 6001
                admin_port: 8081
                memory: 1g
              acme: {}
              beta:
              cass:
                store: cassandra
                cassandra: [10.0.0.5:9042, "10.0.0.6"]
                replication: simple:3
                cpus: 0.5
            """, file: "fleet.yaml")
        }
        #expect(file.name == "solar-eu")
        #expect(file.providers.map(\.id.rawValue) == ["sunco", "acme", "beta", "cass"])
        #expect(file.providers.map(\.line) == [7, 11, 12, 13])
        let sunco = try #require(file.providers.first)
        #expect(sunco.options.gatewayPort == 6001)
        #expect(sunco.options.adminPort == 8081)
        #expect(sunco.options.memory == "1g")
        #expect(sunco.options.image == "tenantctl:0.1.0")
        let acme = file.providers[1]
        #expect(acme.options.gatewayPort == nil)
        #expect(acme.options.memory == "512m")
        let request = try acme.request(fleet: file.name)
        #expect(request.fleet == "solar-eu")
        #expect(request.image == "tenantctl:0.1.0")
        #expect(request.memoryBytes == Int64(536_870_912))
        let cass = file.providers[3]
        #expect(cass.replication == "simple:3")
        #expect(cass.options.cassandra == ["10.0.0.5:9042", "10.0.0.6"])
        let cassRequest = try cass.request(fleet: file.name)
        #expect(cassRequest.store.isCassandra)
        #expect(cassRequest.nanoCPUs == 500_000_000)
    }

    /// Every `start-provider` setting has its key (fleet.md): TLS on the gateway port and the
    /// mail relay too, so `apply` never turns off what `start-provider` turned on. Secret
    /// files are named, never inlined, and read relative to the fleet file.
    @Test func tlsAndMailSettingsAreKeysWithFilesBesideTheFleetFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "relay-password\n".write(to: folder.appendingPathComponent("smtp.pass"), atomically: true, encoding: .utf8)
        let file = try FleetFile.parse(
            """
            fleet: f
            defaults:
              smtp_url: smtp://relay.example:587
              mail_from: alerts@example.com
              smtp_user: ops
              smtp_password_file: smtp.pass
              smtp_require_tls: true
            providers:
              secure:
                gateway_tls: required
                gateway_tls_host: [gw.example.com, 192.0.2.7]
              mixed: {gateway_tls: optional, gateway_tls_host: gw.example.com}
              plain: {gateway_tls: off}
            """, file: folder.appendingPathComponent("fleet.yaml").path)
        let secure = try #require(file.providers.first)
        #expect(secure.options.gatewayTls == "required")
        #expect(secure.options.gatewayTlsHost == ["gw.example.com", "192.0.2.7"])
        #expect(secure.options.smtpPasswordFile == folder.appendingPathComponent("smtp.pass").path)
        #expect(secure.options.smtpRequireTLS)
        #expect(secure.options.arguments.contains("--gateway-tls"))
        #expect(!secure.options.arguments.contains("relay-password"))
        let request = try secure.request(fleet: file.name)
        #expect(request.gatewayTLS == GatewayTLSPlan(mode: "required", generated: true, hosts: ["gw.example.com", "192.0.2.7"]))
        #expect(request.smtpRelay?.url == "smtp://relay.example:587")
        #expect(request.secrets[.smtpPassword] == "relay-password")
        #expect(file.providers[1].options.gatewayTls == "optional")
        #expect(file.providers[1].options.gatewayTlsHost == ["gw.example.com"])
        #expect(file.providers[2].options.gatewayTls == "off")
        #expect(try file.providers[2].request(fleet: file.name).gatewayTLS == nil)
    }

    /// The example admins copy stays a valid fleet file.
    @Test func theExampleFleetFileIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/fleet.yaml").standardized.path
        let file = try KeyspaceProvisioners.$cassandraOverride.withValue(TenantCtlCassandra.factory(environment: [:])) {
            try FleetFile.load(path: path)
        }
        #expect(file.name == "solar-eu")
        #expect(file.providers.map(\.id.rawValue) == ["acme", "sunco", "helios"])
        #expect(file.providers[1].options.gatewayTls == "required")
    }

    @Test func badReplicationIsRefusedAtItsLine() throws {
        let error = try #require(throws: FleetFileError.self) {
            try KeyspaceProvisioners.$cassandraOverride.withValue(TenantCtlCassandra.factory(environment: [:])) {
                try FleetFile.parse("fleet: f\nproviders:\n  a:\n    store: cassandra\n    replication: lots\n", file: "fleet.yaml")
            }
        }
        #expect(error.problems.map(\.line) == [5])
        #expect(error.problems.first?.message.hasPrefix("providers.a.replication: ") == true)
    }

    @Test func emptyProvidersAndStarsInCommentLinesAreFine() throws {
        let file = try FleetFile.parse("# * every provider * is listed below\nfleet: f1\nproviders: {}\n", file: "f.yaml")
        #expect(file.name == "f1")
        #expect(file.providers.isEmpty)
    }

    /// One file per refusal: the expected line and a part of the message.
    @Test(arguments: [
        ("fleet: f\nproviders: {}\nbogus: 1\n", 3, "unknown key 'bogus'"),
        ("providers:\n  a: {}\n", 1, "missing `fleet: NAME`"),
        ("fleet: f\n", 1, "missing `providers:`"),
        ("fleet: Solar EU\nproviders: {}\n", 1, "fleet: 'Solar EU' does not match"),
        ("fleet: f\nproviders:\n  Acme: {}\n", 3, "invalid provider id 'Acme'"),
        ("fleet: f\nproviders:\n  a:\n    gateway-port: 6001\n", 4, "unknown key 'gateway-port' (did you mean gateway_port?)"),
        ("fleet: f\nproviders:\n  a:\n    password: x\n", 4, "unknown key 'password'"),
        ("fleet: f\nproviders:\n  a:\n    gateway_port: \"6001\"\n", 4, "expected an integer port"),
        ("fleet: f\nproviders:\n  a:\n    gateway_port: 70000\n", 4, "--gateway-port must be 1 to 65535, got 70000"),
        ("fleet: f\nproviders:\n  a:\n    memory: [1g]\n", 4, "providers.a.memory: expected a number or a string, got a list"),
        ("fleet: f\nproviders:\n  a:\n    memory: lots\n", 4, "--memory 'lots' is not a size"),
        ("fleet: f\nproviders:\n  a:\n    cpus: -1\n", 4, "--cpus '-1' is not a positive number"),
        ("fleet: f\nproviders:\n  a:\n    image: {name: x}\n", 4, "providers.a.image: expected a string, got a mapping"),
        ("fleet: f\nproviders:\n  a:\n    store: postgres\n", 4, "'postgres' is not one of sqlite, cassandra"),
        ("fleet: f\nproviders:\n  a:\n    cassandra: h:1\n", 3, "--cassandra needs --store cassandra"),
        ("fleet: f\nproviders:\n  a:\n    replication: simple:3\n", 4, "replication: needs store: cassandra"),
        ("fleet: f\nproviders:\n  a:\n    subnet_pool: 10.0.0.0/99\n", 4, "providers.a.subnet_pool: --subnet-pool"),
        ("fleet: f\nproviders:\n  a: 5\n", 3, "providers.a: expected a mapping of settings"),
        ("fleet: f\nproviders: [a, b]\n", 2, "providers: expected a mapping"),
        ("fleet: f\ndefaults:\n  admin_port: 8081\nproviders: {}\n", 3, "a port cannot be a default"),
        ("fleet: f\nproviders:\n  a: {gateway_port: 6001}\n  b: {admin_port: 6001}\n", 4, "port 6001 is already used by a.gateway_port (line 3)"),
        ("fleet: f\nproviders:\n  a:\n    gateway_port: 7000\n    admin_port: 7000\n", 5, "port 7000 is already used by a.gateway_port (line 4)"),
        ("fleet: f\nproviders:\n  a: {}\n  a: {}\n", 3, "duplicate key 'a'"),
        ("fleet: f\nproviders:\n  a: {\n", 4, "not valid YAML"),
        ("- fleet: f\n", 1, "expected a mapping with `fleet:` and `providers:`"),
        ("fleet: f\ndefaults: &d {memory: 1g}\nproviders:\n  a: *d\n", 4, "YAML aliases are not supported"),
        ("fleet: f\nproviders:\n  a: {} # R&D *team*\n", 3, "YAML aliases are not supported"),
        ("fleet: f\nproviders:\n  a:\n    gateway_tls: on\n", 4, "gateway_tls: expected off, optional or required, got the boolean on"),
        ("fleet: f\nproviders:\n  a:\n    gateway_tls: always\n", 4, "'always' is not off, optional or required"),
        ("fleet: f\nproviders:\n  a:\n    gateway_tls_host: example.com\n", 3, "--gateway-tls-host need --gateway-tls optional or required"),
        ("fleet: f\nproviders:\n  a:\n    gateway_tls: required\n    gateway_tls_cert_file: /nonexistent/cert.pem\n", 5, "gateway_tls_cert_file: cannot read /nonexistent/cert.pem"),
        ("fleet: f\nproviders:\n  a:\n    smtp_user: ops\n", 3, "--smtp-user, --smtp-password-file, --mail-from and --smtp-require-tls need --smtp-url"),
        ("fleet: f\nproviders:\n  a:\n    smtp_require_tls: yes please\n", 4, "smtp_require_tls: expected true or false"),
        ("fleet: f\nproviders:\n  a:\n    smtp_password: hunter2\n", 4, "unknown key 'smtp_password'"),
    ])
    func refusalNamesFileAndLine(yaml: String, line: Int, message: String) throws {
        let error = try #require(throws: FleetFileError.self) { try FleetFile.parse(yaml, file: "fleet.yaml") }
        #expect(error.problems.count == 1, "\(error.lines)")
        let problem = try #require(error.problems.first)
        #expect(problem.line == line, "\(error.lines)")
        #expect(problem.message.contains(message), "\(error.lines)")
        #expect(error.lines.first?.hasPrefix("fleet.yaml:\(line): ") == true)
    }

    @Test func everyProblemOfTheFileIsReportedInLineOrder() throws {
        let error = try #require(throws: FleetFileError.self) {
            try FleetFile.parse(
                """
                fleet: f
                providers:
                  a:
                    memroy: 1g
                  b:
                    gateway_port: 6001
                  c:
                    gateway_port: 6001
                    cpus: many
                extra: true
                """, file: "fleet.yaml")
        }
        #expect(error.problems.map(\.line) == [4, 8, 9, 10])
        #expect(error.description.split(separator: "\n").count == 4)
    }

    /// libyaml stops at 1000 levels, so a hostile file of nested lists is one problem, not a crash.
    @Test func deepNestingIsRefused() throws {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let error = try #require(throws: FleetFileError.self) { try FleetFile.parse("fleet: f\nproviders:\n  a:\n    memory: \(deep)\n", file: "f.yaml") }
        #expect(error.problems.map(\.line) == [4])
        #expect(error.problems.first?.message.contains("nesting") == true)
    }

    @Test func aFileTooLargeIsRefusedUnparsed() throws {
        let big = "fleet: f\nproviders: {}\n" + String(repeating: "# padding\n", count: FleetFile.maxBytes / 10 + 1)
        let error = try #require(throws: FleetFileError.self) { try FleetFile.parse(big, file: "f.yaml") }
        #expect(error.problems.first?.message.contains("larger than") == true)
    }
}
