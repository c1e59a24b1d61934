import Foundation
import GatewaySimulator
import TenantCassandra
import Testing
import TenantTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built `tenant-ingest` and `tenant-admin` executables with `--store cassandra://` against
/// ``FakeStoreNode`` over loopback (a fake node, not Cassandra): schema creation, a real
/// ingest process storing a simulator's reports, and the one-line failure.
@Suite(.serialized) struct ServerProcessesOnFakeNodeTests {
    static func binary(_ name: String) -> URL { URL(fileURLWithPath: builtProduct(name)) }

    struct Run { var status: Int32; var stderr: String }

    static func run(_ name: String, _ arguments: [String]) async throws -> Run {
        let result = try await runProgram(builtProduct(name), arguments, environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(60))
        return Run(status: result.code, stderr: result.err)
    }

    @Test func migrateOnlyCreatesTheKeyspaceForBothServers() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let store = "cassandra://127.0.0.1:\(node.server.port)/acme"
        let ingest = try await Self.run("tenant-ingest", ["--provider", "acme", "--store", store, "--migrate-only"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        node.tables.withLock { #expect($0.keyspaces == ["acme"]); #expect($0.tables == Set(CassandraSchema.tables)) }
        let admin = try await Self.run("tenant-admin", ["--provider", "acme", "--store", store, "--migrate-only"])
        #expect(admin.status == 0, "\(admin.stderr)")
        node.tables.withLock { #expect($0.settings["provider_id"] == "acme", "the admin app claimed the keyspace") }
    }

    /// Both servers log in with the credentials from the files TENANT_CASSANDRA_*_FILE name;
    /// a missing file is one line naming it, and a value given directly still works, with a warning.
    @Test func credentialsComeFromSecretFiles() async throws {
        let node = try await FakeStoreNode.start(credentials: ("sec_user", "sec-Cass-pw"))
        defer { Task { await node.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sec-cass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("sec_user\n".utf8).write(to: directory.appendingPathComponent("user"))
        try Data("sec-Cass-pw\n".utf8).write(to: directory.appendingPathComponent("password"))
        let store = "cassandra://127.0.0.1:\(node.server.port)/sec_files"
        let files = [
            "PATH": "/usr/bin:/bin", "TENANT_CASSANDRA_USERNAME_FILE": directory.appendingPathComponent("user").path,
            "TENANT_CASSANDRA_PASSWORD_FILE": directory.appendingPathComponent("password").path,
        ]
        for name in ["tenant-ingest", "tenant-admin"] {
            let result = try await runProgram(
                builtProduct(name), ["--provider", "sec_files", "--store", store, "--migrate-only"], environment: files, timeout: .seconds(60))
            #expect(result.code == 0, "\(name): \(result.err)")
            #expect(!result.err.contains("sec-Cass-pw") && !result.err.contains("warning"), "\(name): \(result.err)")
        }
        #expect(node.refusedLogins.withLock { $0 } == 0)
        node.tables.withLock { #expect($0.keyspaces == ["sec_files"]) }

        var missing = files
        missing["TENANT_CASSANDRA_PASSWORD_FILE"] = directory.appendingPathComponent("absent").path
        for name in ["tenant-ingest", "tenant-admin"] {
            let result = try await runProgram(
                builtProduct(name), ["--provider", "sec_files", "--store", store, "--migrate-only"], environment: missing, timeout: .seconds(60))
            #expect(result.code != 0, "\(name)")
            #expect(
                result.err == "\(name): error: cannot read secret file \(directory.appendingPathComponent("absent").path) (TENANT_CASSANDRA_PASSWORD_FILE): No such file or directory\n",
                "\(name)")
        }

        let direct = ["PATH": "/usr/bin:/bin", "TENANT_CASSANDRA_USERNAME": "sec_user", "TENANT_CASSANDRA_PASSWORD": "sec-Cass-pw"]
        let byHand = try await runProgram(
            builtProduct("tenant-ingest"), ["--provider", "sec_files", "--store", store, "--migrate-only"], environment: direct, timeout: .seconds(60))
        #expect(byHand.code == 0, "\(byHand.err)")
        let warning = byHand.err.split(separator: "\n").first { $0.contains("use TENANT_CASSANDRA_PASSWORD_FILE") }
        #expect(warning?.contains("warning") == true, "\(byHand.err)")
        #expect(warning?.contains("secret given in the environment, where docker inspect and /proc show it") == true)
        #expect(!byHand.err.contains("sec-Cass-pw"))
    }

    @Test func deadClusterIsOneLine() async throws {
        let port = freeLoopbackPort()  // nothing listens there
        for name in ["tenant-ingest", "tenant-admin"] {
            let result = try await Self.run(name, ["--provider", "x", "--store", "cassandra://127.0.0.1:\(port)/x", "--migrate-only"])
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status != 0, "\(name)")
            #expect(lines.count == 1, "\(name): \(lines)")
            #expect(lines.first?.hasPrefix("\(name): error: cannot open cassandra://127.0.0.1:\(port)/x") == true, "\(name): \(lines)")
        }
    }

    @Test func ingestProcessStoresEveryAcknowledgedReport() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let port = freeLoopbackPort()
        let process = Process()
        process.executableURL = Self.binary("tenant-ingest")
        process.arguments = ["--provider", "acme", "--store", "cassandra://127.0.0.1:\(node.server.port)/acme", "--listen", "127.0.0.1:\(port)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let configuration = SimulatorConfiguration(
            port: port, gateways: 4, sensors: 3, gatewayPrefix: "c-", reportsPerGateway: 30, duration: 30, rate: 0, window: 4, drainTimeout: 10)
        var started = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !started, ContinuousClock.now < deadline, process.isRunning {
            started = node.tables.withLock { !$0.tables.isEmpty } && (try? Self.connect(port)) == true
            if !started { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(started, "tenant-ingest did not start listening")
        let report = try await GatewaySimulator(configuration: configuration).run()
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(report.acks == 4 * 30)
        #expect(report.unacknowledged == 0)
        node.tables.withLock { tables in
            #expect(tables.readings.count == 4 * 30 * 3, "every acknowledged reading is in the keyspace")
            #expect(Set(tables.readings.keys.map(\.gateway)) == ["c-00000", "c-00001", "c-00002", "c-00003"])
            #expect(tables.gateways.count == 4)
            #expect(tables.gateways.values.allSatisfy { $0.firstSeen != nil && $0.lastSeen != nil })
        }
    }

    static func connect(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
