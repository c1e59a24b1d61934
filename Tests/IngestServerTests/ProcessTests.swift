import Foundation
import GatewaySimulator
import TenantSQLite
import Testing
import TenantTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The built `tenant-ingest` executable, run as a separate process on a free port.
final class IngestProcess: @unchecked Sendable {
    static var executable: URL { URL(fileURLWithPath: builtProduct("tenant-ingest")) }

    let process = Process()
    let port: Int
    let log: URL

    init(store: String, port: Int, durability: String = "normal") throws {
        self.port = port
        log = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = Self.executable
        process.arguments = ["--provider", "crash", "--store", "sqlite:\(store)", "--listen", "127.0.0.1:\(port)", "--durability", durability]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits until the server accepts connections (a minute: a full parallel run on two
    /// cores has taken 25 s for what takes half a second alone), failing at once if it exited.
    func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, process.isRunning {
            if (try? LineClient(port: port)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "tenant-ingest did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"])
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// A test that failed half-way leaves no server behind.
    deinit { if process.isRunning { process.terminate() } }

    /// Waits for exit (up to `seconds`); the exit status, or nil if it is still running.
    func waitForExit(seconds: Double) async throws -> Int32? {
        await exitStatus(of: process, within: .milliseconds(Int64(seconds * 1000)))
    }
}

/// Readings in the server's database file so far, read beside the running server.
func storedReadings(_ store: String) -> Int {
    guard let connection = try? SQLiteConnection(path: store, readOnly: true) else { return 0 }
    return (try? connection.query("SELECT count(*) FROM readings").first?.int(0)) ?? 0
}

/// Every acknowledged report must be in the database with all its readings.
func missingAcknowledged(_ report: SimulatorReport, configuration: SimulatorConfiguration, database: SQLiteDatabase) async throws -> Int {
    let present = try await database.read { db in
        try db.query("SELECT gateway, at, count(*) FROM readings GROUP BY gateway, at").map { row in
            ("\(row.string(0)!)@\(row.int64(1)!)", row.int(2)!)
        }
    }
    let counts = Dictionary(present, uniquingKeysWith: +)
    var missing = 0
    for (gateway, seqs) in report.ackedSeqs {
        for seq in seqs {
            let at = configuration.startTime + Int64(seq - 1) * configuration.interval * 1000
            if counts["\(gateway)@\(at)"] != configuration.sensors { missing += 1 }
        }
    }
    return missing
}

@Suite(.serialized) struct ProcessTests {
    @Test func killNineDuringLoadLosesNoAcknowledgedReading() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: IngestProcess.executable.path), "build tenant-ingest first (swift build)")
        let directory = try temporaryDirectory()
        let store = directory.appendingPathComponent("crash.db").path
        let port = freeLoopbackPort()
        let first = try IngestProcess(store: store, port: port)
        try await first.waitUntilListening()

        // Paced (25 reports/s per gateway, ~16 s of load) so the kill lands mid-load however
        // fast the machine is (unthrottled, a quiet machine finished before the kill) and
        // however long a loaded one takes to see the first readings stored.
        let configuration = SimulatorConfiguration(
            port: port, gateways: 20, sensors: 10, gatewayPrefix: "k-", reportsPerGateway: 400, duration: 120, rate: 25, window: 8,
            drainTimeout: 30)
        var simulator = GatewaySimulator(configuration: configuration)
        simulator.recordAcknowledgedSeqs = true
        let load = Task { try await simulator.run() }

        // Kill it hard once the load is being stored, then start it again on the same file and port.
        try await waitUntil("the first readings are stored") { storedReadings(store) > 0 }
        first.signal(SIGKILL)
        _ = try await first.waitForExit(seconds: 60)
        let second = try IngestProcess(store: store, port: port)
        try await second.waitUntilListening()

        let report = try await load.value
        second.signal(SIGTERM)
        #expect(try await second.waitForExit(seconds: 60) == 0)

        #expect(report.reconnects > 0, "the kill did not interrupt the load")
        #expect(report.unacknowledged == 0)
        #expect(report.acks == 20 * 400)
        let database = try SQLiteDatabase(path: store)
        #expect(try await missingAcknowledged(report, configuration: configuration, database: database) == 0)
        let total = try await database.read { db in try db.query("SELECT count(*) FROM readings").first?.int(0) }
        #expect(total == 20 * 400 * 10)
    }

    @Test func sigtermDeliversAcksForCommittedReportsAndExitsZero() async throws {
        let directory = try temporaryDirectory()
        let store = directory.appendingPathComponent("term.db").path
        let port = freeLoopbackPort()
        let server = try IngestProcess(store: store, port: port, durability: "full")
        try await server.waitUntilListening()

        let configuration = SimulatorConfiguration(
            port: port, gateways: 20, sensors: 10, gatewayPrefix: "t-", duration: 2, rate: 0, window: 8, drainTimeout: 10)
        var simulator = GatewaySimulator(configuration: configuration)
        simulator.recordAcknowledgedSeqs = true
        let load = Task { try await simulator.run() }
        try await waitUntil("the first readings are stored") { storedReadings(store) > 0 }
        server.signal(SIGTERM)
        let status = try await server.waitForExit(seconds: 60)
        let report = try await load.value

        #expect(status == 0)
        #expect(report.acks > 0)
        let database = try SQLiteDatabase(path: store)
        #expect(try await missingAcknowledged(report, configuration: configuration, database: database) == 0)
        // Everything the server committed was acknowledged before it closed: the readings
        // in the file are exactly the acknowledged ones.
        let total = try await database.read { db in try db.query("SELECT count(*) FROM readings").first?.int(0) }
        #expect(total == report.readingsStored)
        let log = try String(contentsOf: server.log, encoding: .utf8)
        #expect(log.contains("graceful shutdown"))
        #expect(log.contains("stopped"))
    }

    @Test func badSettingsExitNonZeroWithOneLine() async throws {
        // Exit statuses as in tenant-admin: 64 for a bad setting, 69 for a store that cannot be opened.
        let cases: [([String], Int32)] = [
            (["--provider", "Bad-ID", "--store", "sqlite:/tmp/x.db"], 64),
            (["--provider", "ok", "--store", "mysql://x"], 64),
            // Nothing listens on port 1: the store cannot be opened.
            (["--provider", "ok", "--store", "cassandra://127.0.0.1:1/ok", "--migrate-only"], 69),
            (["--provider", "ok", "--store", "cassandra://127.0.0.1:1/other"], 64),
            (["--provider", "ok", "--store", "sqlite:/tmp/x.db", "--durability", "sometimes"], 64),
            (["--provider", "ok", "--store", "sqlite:/tmp/x.db", "--listen", "nowhere"], 64),
            (["--provider", "ok", "--store", "sqlite:/tmp/x.db", "--log-format", "xml"], 64),
            (["--store", "sqlite:/tmp/x.db"], 64),
        ]
        for (arguments, status) in cases {
            let (exited, output) = try await blocking { () throws -> (Int32, Data) in
                let process = Process()
                process.executableURL = IngestProcess.executable
                process.arguments = arguments
                process.environment = [:]
                let errors = Pipe()
                process.standardError = errors
                try process.run()
                let output = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, output)
            }
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
            #expect(exited == status, "\(arguments)")
            #expect(lines.count == 1, "\(arguments): \(lines)")
            #expect(lines.first?.hasPrefix("tenant-ingest: error: ") == true)
        }
    }

    @Test func migrateOnlyAndHealthCheck() async throws {
        let directory = try temporaryDirectory()
        let store = directory.appendingPathComponent("m.db").path
        func run(_ arguments: [String]) async throws -> Int32 {
            try await blocking {
                let process = Process()
                process.executableURL = IngestProcess.executable
                process.arguments = arguments
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
        }
        #expect(try await run(["--provider", "m", "--store", "sqlite:\(store)", "--migrate-only"]) == 0)
        let database = try SQLiteDatabase(path: store)
        let version = try await database.read { db in try db.userVersion }
        #expect(version >= 1)
        let port = freeLoopbackPort()
        #expect(try await run(["--health-check", "--listen", "0.0.0.0:\(port)"]) == 1)
        let server = try IngestProcess(store: store, port: port)
        try await server.waitUntilListening()
        #expect(try await run(["--health-check", "--listen", "127.0.0.1:\(port)"]) == 0)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit(seconds: 10) == 0)
    }
}
