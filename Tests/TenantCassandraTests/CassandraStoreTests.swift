import CQLClient
import CQLProtocol
import Logging
import TenantCassandra
import TenantModel
import TenantStorage
import Testing

@Suite struct ReplicationTests {
    @Test func parsesBothStrategies() throws {
        #expect(try Replication(parsing: "simple:3") == .simple(factor: 3))
        #expect(try Replication(parsing: "dc1:3,dc2:2") == .networkTopology(["dc1": 3, "dc2": 2]))
        #expect(try Replication(parsing: "eu-west:3, us_east:0") == .networkTopology(["eu-west": 3, "us_east": 0]))
        #expect(Replication.simple(factor: 3).cql == "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        #expect(Replication.networkTopology(["dc2": 2, "dc1": 3]).cql == "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}")
        #expect(Replication.networkTopology(["dc2": 2, "dc1": 3]).description == "dc1:3,dc2:2")
    }

    @Test(arguments: ["", "simple", "simple:0", "simple:x", "dc1", "dc1:", "dc1:3,dc1:2", "dc'1:3", "dc1:0", ":3", "dc1:-1"])
    func rejects(text: String) {
        #expect(throws: ReplicationError.self) { try Replication(parsing: text) }
    }

    @Test func daysRoundDownInUTC() {
        #expect(CassandraSchema.day(of: 0) == 0)
        #expect(CassandraSchema.day(of: 86_399_999) == 0)
        #expect(CassandraSchema.day(of: 86_400_000) == 1)
        #expect(CassandraSchema.day(of: -1) == -1)
        #expect(CassandraSchema.day(of: -86_400_000) == -1)
        #expect(CassandraSchema.day(of: -86_400_001) == -2)
        #expect(CassandraSchema.day(of: 1_764_065_700_000) == 20_417)
    }

    @Test func settingsFromTheEnvironment() throws {
        let settings = try CassandraStore.settings(from: [
            "TENANT_CASSANDRA_USERNAME": "u", "TENANT_CASSANDRA_PASSWORD": "p", "TENANT_CASSANDRA_REPLICATION": "dc1:3",
        ])
        #expect(settings.credentials == CQLCredentials(username: "u", password: "p"))
        #expect(settings.replication == .networkTopology(["dc1": 3]))
        #expect("\(settings.credentials!)" == "u:***")
        #expect(throws: StorageError.self) { try CassandraStore.settings(from: ["TENANT_CASSANDRA_USERNAME": "u"]) }
        #expect(throws: StorageError.self) { try CassandraStore.settings(from: ["TENANT_CASSANDRA_REPLICATION": "x"]) }
        #expect(try CassandraStore.settings(from: [:]).replication == .simple(factor: 1))
    }
}

/// The store end to end (client, wire, statements) against ``FakeStoreNode``: a fake node
/// with in-memory tables, not Cassandra. It checks the store's logic; the real cluster's
/// behaviour is covered by ``CassandraIntegrationTests`` when a cluster is configured.
@Suite struct CassandraStoreFakeNodeTests {
    static let logger = Logger(label: "test.cassandra")
    static let t0: EpochMillis = 1_764_065_700_000  // 2025-11-25T10:15:00Z

    static func open(_ node: FakeStoreNode, options: CassandraStoreOptions = CassandraStoreOptions()) async throws -> CassandraReadingStore {
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p1")
        var options = options
        options.maxStatementsPerBatch = 3  // several batches per partition, even in small tests
        return try await CassandraStore.openReadingStore(url, options: options, logger: logger)
    }

    @Test func createsTheSchemaIdempotently() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let store = try await Self.open(node)
        let again = try await Self.open(node)
        node.tables.withLock { tables in
            #expect(tables.keyspaces == ["p1"])
            #expect(tables.tables == Set(CassandraSchema.tables))
            #expect(tables.settings["schema_version"] == "1")
        }
        try await store.ping()
        await store.close()
        await again.close()
    }

    @Test func storesOnceAndCountsDuplicatesHonestly() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let store = try await Self.open(node)
        let readings = (0..<5).map { i in
            Reading(sensor: "inv-\(i % 2)", at: Self.t0 + Int64(i) * 60_000, power: Double(i) * 10.5,
                    energy: i == 0 ? 15230 : nil, voltage: 231.2, current: nil, temperature: -3.5)
        }
        let first = try await store.commit([GatewayReport(gateway: "gw-1", readings: readings, receivedAt: Self.t0 + 1)])
        #expect(first == [ReportOutcome(stored: 5, duplicates: 0)])

        // A resend, with a changed value: all duplicates, nothing changes.
        var changed = readings
        changed[0].power = 9999
        let resend = try await store.commit([
            GatewayReport(gateway: "gw-1", readings: changed, receivedAt: Self.t0 + 2),
            // A repeat inside one commit, plus one new reading.
            GatewayReport(gateway: "gw-1", readings: [readings[1], Reading(sensor: "inv-9", at: Self.t0, power: 1)], receivedAt: Self.t0 + 3),
            GatewayReport(gateway: "gw-2", readings: [], receivedAt: Self.t0 + 4),  // heartbeat
        ])
        #expect(resend == [ReportOutcome(stored: 0, duplicates: 5), ReportOutcome(stored: 1, duplicates: 1), ReportOutcome(stored: 0, duplicates: 0)])

        let back = try await store.readings(gateway: "gw-1", from: Self.t0, to: Self.t0 + 5 * 60_000)
        #expect(back == (readings + [Reading(sensor: "inv-9", at: Self.t0, power: 1)]).sorted { ($0.at, $0.sensor) < ($1.at, $1.sensor) })
        #expect(back.first { $0.sensor == "inv-0" && $0.at == Self.t0 }?.power == 0, "the resend's changed value was not written")
        #expect(try await store.readings(gateway: "gw-1", from: Self.t0 + 60_000, to: Self.t0 + 120_000) == [readings[1]])
        #expect(try await store.readings(gateway: "gw-1", from: Self.t0, to: Self.t0) == [])
        #expect(try await store.readings(gateway: "gw-2", from: 0, to: .max) == [])
        #expect(try await store.readings(gateway: "nobody", from: 0, to: .max) == [])
        node.tables.withLock { tables in
            #expect(tables.gateways["gw-1"]?.firstSeen == Self.t0 + 1)
            #expect(tables.gateways["gw-1"]?.lastSeen == Self.t0 + 3)
            #expect(tables.gateways["gw-2"]?.firstSeen == Self.t0 + 4, "a heartbeat registers the gateway")
        }
        await store.close()
    }

    @Test func lastSeenNeverMovesBackAndReadsSpanDays() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let store = try await Self.open(node)
        let day = Int64(86_400_000)
        // 700 readings over three UTC days (pages of the fake are 5000 rows; batches of 3).
        let readings = (0..<700).map { Reading(sensor: "m", at: Self.t0 + Int64($0) * 6 * 60_000, power: Double($0)) }
        _ = try await store.commit([GatewayReport(gateway: "gw", readings: readings, receivedAt: Self.t0 + 10 * day)])
        _ = try await store.commit([GatewayReport(gateway: "gw", readings: [], receivedAt: Self.t0)])  // late, older report
        node.tables.withLock { #expect($0.gateways["gw"]?.lastSeen == Self.t0 + 10 * day) }
        let all = try await store.readings(gateway: "gw", from: Self.t0 - day, to: Self.t0 + 10 * day)
        #expect(all == readings)
        let middle = try await store.readings(gateway: "gw", from: Self.t0 + day, to: Self.t0 + 2 * day)
        #expect(middle == readings.filter { $0.at >= Self.t0 + day && $0.at < Self.t0 + 2 * day })
        await store.close()
    }

    @Test(arguments: [CassandraStoreOptions.ReportBatching.unloggedPerPartition, .loggedPerReport])
    func aFailedCommitConvergesOnResend(batching: CassandraStoreOptions.ReportBatching) async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        var options = CassandraStoreOptions()
        options.reportBatching = batching
        options.concurrency = 1  // deterministic order of batches
        let store = try await Self.open(node, options: options)
        let readings = (0..<6).map { Reading(sensor: "s\($0 % 3)", at: Self.t0 + Int64($0), power: 1) }
        let report = GatewayReport(gateway: "gw", readings: readings, receivedAt: Self.t0)
        node.tables.withLock {
            $0.batchesBeforeFailure = batching == .loggedPerReport ? 0 : 1
            $0.failReadingBatches = 1
        }
        await #expect(throws: StorageError.self) { _ = try await store.commit([report]) }
        let written = node.tables.withLock { $0.readings.count }
        if batching == .loggedPerReport {
            #expect(written == 0, "one batch per report: none of it was written")
        } else {
            #expect(written == 2, "the first partition's batch landed before the failure")
        }
        let outcome = try await store.commit([report])
        #expect(outcome == [ReportOutcome(stored: 6 - written, duplicates: written)])
        #expect(try await store.readings(gateway: "gw", from: Self.t0, to: Self.t0 + 10) == readings.sorted { ($0.at, $0.sensor) < ($1.at, $1.sensor) })
        await store.close()
    }

    @Test func keyspaceAdminCreatesDropsAndRefusesMissing() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let client = CassandraStore.client(contactPoints: [HostPort(host: "127.0.0.1", port: node.server.port)], credentials: nil, logger: Self.logger)
        let id = try ProviderID("select")  // a CQL keyword: quoting makes it work
        await #expect(throws: StorageError.self) { try await CassandraKeyspaceAdmin.migrate(keyspace: id, on: client, logger: Self.logger) }
        try await CassandraKeyspaceAdmin.create(keyspace: id, replication: .networkTopology(["dc1": 3]), on: client, logger: Self.logger)
        try await CassandraKeyspaceAdmin.create(keyspace: id, replication: .networkTopology(["dc1": 3]), on: client, logger: Self.logger)
        #expect(try await CassandraKeyspaceAdmin.exists(keyspace: id, on: client))
        let create = node.server.requests.compactMap { request -> String? in
            if case .query(let text, _) = request, text.hasPrefix("CREATE KEYSPACE") { text } else { nil }
        }
        #expect(create.first == "CREATE KEYSPACE IF NOT EXISTS \"select\" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = true")
        try await CassandraKeyspaceAdmin.drop(keyspace: id, on: client, logger: Self.logger)
        #expect(try await !CassandraKeyspaceAdmin.exists(keyspace: id, on: client))
        try await CassandraKeyspaceAdmin.drop(keyspace: id, on: client, logger: Self.logger)
        await client.close()
    }

    @Test func settingsAndGatewayKeys() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let store = try await Self.open(node)
        let settings = store.settingsStore, auth = store.gatewayAuthStore
        #expect(try await settings.setting("gateway_keys_required") == nil)
        #expect(try await !auth.gatewayKeysRequired())
        try await settings.setSettings(["gateway_keys_required": "true", "site_name": "Sunny"])
        #expect(try await auth.gatewayKeysRequired())
        #expect(try await settings.settings() == ["gateway_keys_required": "true", "site_name": "Sunny", "schema_version": "1"])
        #expect(try await auth.gatewayKey("gw-1") == .unknownGateway)
        _ = try await store.commit([GatewayReport(gateway: "gw-1", readings: [], receivedAt: Self.t0)])
        #expect(try await auth.gatewayKey("gw-1") == .noKey)
        node.tables.withLock { $0.gateways["gw-1"]?.keyHash = "$y$hash" }
        #expect(try await auth.gatewayKey("gw-1") == .keyHash("$y$hash"))
        await store.close()
    }

    @Test func aStoreBuiltWithoutIOCreatesItsSchemaLater() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/p2")
        let store = try CassandraStore.readingStore(for: url, logger: Self.logger)
        #expect(node.server.connectionCount == 0)
        try await store.createSchemaIfMissing(replication: .simple(factor: 1), logger: Self.logger)
        #expect(try await store.commit([GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: Self.t0, power: 1)], receivedAt: Self.t0)])
                == [ReportOutcome(stored: 1, duplicates: 0)])
        #expect(throws: StorageError.self) { try CassandraStore.readingStore(for: try StoreURL(parsing: "sqlite:x.db"), logger: Self.logger) }
        await store.close()
    }

    /// The node restarts: connections drop and the new process knows no prepared statement.
    /// The store reconnects, gets UNPREPARED, re-prepares and carries on.
    @Test func survivesANodeRestart() async throws {
        let first = try await FakeStoreNode.start()
        let port = first.server.port
        let store = try await Self.open(first)
        let report = GatewayReport(gateway: "g", readings: [Reading(sensor: "s", at: Self.t0, power: 1)], receivedAt: Self.t0)
        #expect(try await store.commit([report]) == [ReportOutcome(stored: 1, duplicates: 0)])
        let readings = first.tables.withLock { $0.readings }
        await first.kill()
        let second = try await FakeStoreNode.start(port: port)
        defer { Task { await second.stop() } }
        second.tables.withLock { $0.readings = readings }  // the data survived on disk
        var outcome: [ReportOutcome]?
        let deadline = ContinuousClock.now + .seconds(60)
        while outcome == nil, ContinuousClock.now < deadline {
            outcome = try? await store.commit([report])  // a commit racing the drop may fail: the gateway resends
            if outcome == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(outcome == [ReportOutcome(stored: 0, duplicates: 1)])
        #expect(second.server.requests.contains { if case .prepare = $0 { true } else { false } }, "re-prepared on the new node")
        #expect(second.server.requests.contains { request in
            if case .execute = request { true } else { false }
        })
        await store.close()
    }

    @Test func refusesSQLiteURLsAndUnreachableClusters() async throws {
        await #expect(throws: StorageError.self) {
            _ = try await CassandraStore.openReadingStore(try StoreURL(parsing: "sqlite:/tmp/x.db"), logger: Self.logger)
        }
        await #expect(throws: StorageError.self) {
            _ = try await CassandraStore.openReadingStore(try StoreURL(parsing: "cassandra://127.0.0.1:1/p1"), logger: Self.logger)
        }
    }
}

@Suite struct CassandraKeyspaceProvisionerTests {
    @Test func createsChecksAndDropsOverItsOwnClient() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let logger = Logger(label: "test.provisioner")
        let points = [HostPort(host: "127.0.0.1", port: node.server.port)]
        let provisioner = CassandraKeyspaceProvisioner(replication: .simple(factor: 3), settings: .init())
        let id = try ProviderID("acme")
        #expect(try await !provisioner.keyspaceExists(provider: id, contactPoints: points, logger: logger))
        try await provisioner.createKeyspace(provider: id, contactPoints: points, logger: logger)
        try await provisioner.createKeyspace(provider: id, contactPoints: points, logger: logger)
        #expect(try await provisioner.keyspaceExists(provider: id, contactPoints: points, logger: logger))
        #expect(node.server.requests.contains { request in
            if case .query(let text, _) = request { text.contains("'SimpleStrategy', 'replication_factor': 3") } else { false }
        })
        try await provisioner.dropKeyspace(provider: id, contactPoints: points, logger: logger)
        #expect(try await !provisioner.keyspaceExists(provider: id, contactPoints: points, logger: logger))
        #expect(CassandraKeyspaceProvisioner(settings: .init(replication: .simple(factor: 2))).replication == .simple(factor: 2))
    }
}
