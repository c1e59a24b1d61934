import CQLClient
import CQLProtocol
import Foundation
import GatewaySimulator
import Logging
import TenantCassandra
import TenantModel
import TenantStorage
import Testing
import TenantTestSupport

/// Against a real Cassandra cluster, when `TENANT_CASSANDRA_CONTACT_POINTS=host:9042[,...]`
/// names one (plus `TENANT_CASSANDRA_USERNAME`/`_PASSWORD` when it requires authentication and
/// `TENANT_CASSANDRA_REPLICATION`, default `simple:1`). Each test works in a keyspace of its
/// own, `it_<random>`, and drops it at the end. See docs/cassandra.md.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TENANT_CASSANDRA_CONTACT_POINTS"] != nil, "set TENANT_CASSANDRA_CONTACT_POINTS to run against a cluster"))
struct CassandraIntegrationTests {
    static let environment = ProcessInfo.processInfo.environment

    func scenarios() throws -> CassandraScenarios {
        let text = Self.environment["TENANT_CASSANDRA_CONTACT_POINTS"] ?? ""
        let points = try text.split(separator: ",").map { try HostPort(parsing: String($0), defaultPort: StoreURL.defaultCassandraPort) }
        return try CassandraScenarios(contactPoints: points, settings: try CassandraStore.settings(from: Self.environment))
    }

    @Test func createsTheSchemaIdempotentlyAndDrops() async throws { try await scenarios().createsTheSchemaIdempotentlyAndDrops() }
    @Test func storesReadsDeduplicatesAndSurvivesARestart() async throws { try await scenarios().storesReadsDeduplicatesAndSurvivesARestart() }
    @Test func concurrentResendsStoreOnce() async throws { try await scenarios().concurrentResendsStoreOnce() }

    /// A real `tenant-ingest` process on `--store cassandra://...` creates the keyspace and
    /// stores every acknowledged reading of a simulator run. (The admin store's conformance
    /// suite runs against the cluster too: `AdminStoreConformanceTests`, backend `cassandraCluster`.)
    @Test func tenantIngestProcessWritesIntoAKeyspace() async throws {
        let scenarios = try scenarios()
        let port = freeLoopbackPort()
        let process = Process()
        process.executableURL = ServerProcessesOnFakeNodeTests.binary("tenant-ingest")
        process.arguments = ["--provider", scenarios.keyspace.rawValue, "--store", "\(scenarios.url)", "--listen", "127.0.0.1:\(port)"]
        process.environment = Self.environment.filter { $0.key.hasPrefix("TENANT_CASSANDRA_") || $0.key == "PATH" }
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var listening = false
        for _ in 0..<600 where !listening {  // first start creates the keyspace: allow 30 s
            listening = (try? ServerProcessesOnFakeNodeTests.connect(port)) == true
            if !listening { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(listening, "tenant-ingest did not start listening")
        let configuration = SimulatorConfiguration(
            port: port, gateways: 4, sensors: 3, gatewayPrefix: "it-", reportsPerGateway: 30, duration: 60, rate: 0, window: 4, drainTimeout: 10)
        let report = try await GatewaySimulator(configuration: configuration).run()
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(report.acks == 4 * 30 && report.unacknowledged == 0)
        let store = try await CassandraStore.openReadingStore(scenarios.url, settings: scenarios.settings, createSchema: false, logger: CassandraScenarios.logger)
        for gateway in 0..<4 {
            let name = "it-" + String(repeating: "0", count: 5 - String(gateway).count) + String(gateway)
            let readings = try await store.readings(
                gateway: name, from: configuration.startTime, to: configuration.startTime + 30 * configuration.interval * 1000)
            #expect(readings.count == 30 * 3, "\(name)")
        }
        await store.close()
        try await scenarios.dropKeyspace()
    }
}

/// The same scenarios against ``FakeStoreNode`` in every run, so that they are known to run
/// (this proves the scenarios and the store's statements agree, not that Cassandra does).
@Suite struct CassandraScenariosOnFakeNodeTests {
    func run(_ body: (CassandraScenarios) async throws -> Void) async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        try await body(CassandraScenarios(
            contactPoints: [HostPort(host: "127.0.0.1", port: node.server.port)], settings: CassandraStore.Settings()))
    }

    @Test func createsTheSchemaIdempotentlyAndDrops() async throws { try await run { try await $0.createsTheSchemaIdempotentlyAndDrops() } }
    @Test func storesReadsDeduplicatesAndSurvivesARestart() async throws { try await run { try await $0.storesReadsDeduplicatesAndSurvivesARestart() } }
    @Test func concurrentResendsStoreOnce() async throws { try await run { try await $0.concurrentResendsStoreOnce() } }
}

/// Scenarios of the store against whatever node `contactPoints` names.
struct CassandraScenarios {
    static let logger = Logger(label: "test.cassandra.integration")
    static let t0: EpochMillis = 1_764_065_700_000
    let contactPoints: [HostPort]

    let keyspace: ProviderID
    let settings: CassandraStore.Settings
    let url: StoreURL

    init(contactPoints: [HostPort], settings: CassandraStore.Settings) throws {
        self.contactPoints = contactPoints
        keyspace = try ProviderID("it_" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        self.settings = settings
        url = .cassandra(contactPoints: contactPoints, keyspace: keyspace.rawValue)
    }

    func withAdminClient<T>(_ body: (CQLClient) async throws -> T) async throws -> T {
        try await CassandraStore.withClient(contactPoints: contactPoints, credentials: settings.credentials, logger: Self.logger, body)
    }

    func dropKeyspace() async throws {
        try await withAdminClient { try await CassandraKeyspaceAdmin.drop(keyspace: keyspace, on: $0, logger: Self.logger) }
    }

    func createsTheSchemaIdempotentlyAndDrops() async throws {
        try await withAdminClient { client in
            #expect(try await client.options()["CQL_VERSION"]?.isEmpty == false)
            try await CassandraKeyspaceAdmin.create(keyspace: keyspace, replication: settings.replication, on: client, logger: Self.logger)
            try await CassandraKeyspaceAdmin.create(keyspace: keyspace, replication: settings.replication, on: client, logger: Self.logger)
            #expect(try await CassandraKeyspaceAdmin.exists(keyspace: keyspace, on: client))
            let tables = try await client.query(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", [.text(keyspace.rawValue)], consistency: .one)
            guard case .rows(let rows) = tables else { Issue.record("no rows: \(tables)"); return }
            #expect(Set(rows.rows.compactMap { $0.first?.string }) == Set(CassandraSchema.tables))
            try await CassandraKeyspaceAdmin.drop(keyspace: keyspace, on: client, logger: Self.logger)
            #expect(try await !CassandraKeyspaceAdmin.exists(keyspace: keyspace, on: client))
        }
    }

    func storesReadsDeduplicatesAndSurvivesARestart() async throws {
        let readings: [Reading] = (0..<300).map { (i: Int) -> Reading in
            let at: EpochMillis = Self.t0 + Int64(i) * 1_200_000
            let voltage: Double? = i % 2 == 0 ? 231.2 : nil
            return Reading(sensor: "inv-\(i % 3)", at: at, power: Double(i) + 0.5, energy: Double(i * 100),
                           voltage: voltage, current: nil, temperature: 40)
        }
        let report = GatewayReport(gateway: "gw-0001", readings: readings, receivedAt: Self.t0)
        do {
            let store = try await CassandraStore.openReadingStore(url, settings: settings, logger: Self.logger)
            try await store.ping()
            #expect(try await store.commit([report]) == [ReportOutcome(stored: 300, duplicates: 0)])
            var changed = readings[0]
            changed.power = -1
            let again = try await store.commit([
                report, GatewayReport(gateway: "gw-0001", readings: [changed], receivedAt: Self.t0 + 1),
            ])
            #expect(again == [ReportOutcome(stored: 0, duplicates: 300), ReportOutcome(stored: 0, duplicates: 1)])
            let from: EpochMillis = Self.t0 + 86_400_000, to: EpochMillis = Self.t0 + 2 * 86_400_000
            let window = try await store.readings(gateway: "gw-0001", from: from, to: to)
            let expected = readings.filter { (r: Reading) -> Bool in r.at >= from && r.at < to }
            #expect(window == expected)
            await store.close()
        }
        // "Restart": a new client and store over the same keyspace.
        let reopened = try await CassandraStore.openReadingStore(url, settings: settings, logger: Self.logger)
        #expect(try await reopened.readings(gateway: "gw-0001", from: Self.t0, to: Self.t0 + 10 * 86_400_000) == readings)
        #expect(try await reopened.commit([report]) == [ReportOutcome(stored: 0, duplicates: 300)])
        #expect(try await reopened.commit([GatewayReport(gateway: "gw-0002", readings: [], receivedAt: Self.t0)]) == [ReportOutcome(stored: 0, duplicates: 0)])
        await reopened.close()
        try await dropKeyspace()
    }

    func concurrentResendsStoreOnce() async throws {
        let store = try await CassandraStore.openReadingStore(url, settings: settings, logger: Self.logger)
        let report = GatewayReport(gateway: "gw-race", readings: [Reading(sensor: "s", at: Self.t0, power: 1)], receivedAt: Self.t0)
        let outcomes = try await withThrowingTaskGroup(of: [ReportOutcome].self) { group in
            for _ in 0..<8 { group.addTask { try await store.commit([report]) } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        // Without LWT a race may count the reading as stored more than once; it is stored once.
        #expect(outcomes.allSatisfy { $0.stored + $0.duplicates == 1 })
        #expect(outcomes.contains { $0.stored == 1 })
        #expect(try await store.readings(gateway: "gw-race", from: Self.t0, to: Self.t0 + 1) == report.readings)
        await store.close()
        try await dropKeyspace()
    }
}
