import Foundation
import Logging
import TenantCassandra
import TenantModel
import TenantSQLite
import TenantStorage
import TenantStoreFactory
import Testing

/// `openReadingStore` / `openAdminStore` for `cassandra://` URLs, over loopback against
/// ``FakeStoreNode`` (a fake node, not Cassandra), and their one-line failures.
@Suite struct TenantStoreFactoryCassandraTests {
    static let logger = Logger(label: "test.factory")

    @Test func readingStoreServesIngestWithGatewayKeys() async throws {
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/acme")
        let opened = try await openReadingStore(url: url, durability: .normal, environment: [:], logger: Self.logger)
        #expect(opened.description == "cassandra://127.0.0.1:\(node.server.port)/acme")
        node.tables.withLock { #expect($0.keyspaces == ["acme"]); #expect($0.tables == Set(CassandraSchema.tables)) }

        #expect(try await opened.gatewayAuth.gatewayKey("gw") == .unknownGateway)
        #expect(try await opened.gatewayAuth.gatewayKeysRequired() == false)
        let outcome = try await opened.readings.commit([
            GatewayReport(gateway: "gw", readings: [Reading(sensor: "s", at: 1_000, power: 5)], receivedAt: 2_000)
        ])
        #expect(outcome == [ReportOutcome(stored: 1, duplicates: 0)])
        #expect(try await opened.gatewayAuth.gatewayKey("gw") == .noKey)

        // The admin app, on the same keyspace, issues a key and requires keys.
        let admin = try await openAdminStore(url: url, environment: [:], logger: Self.logger)
        #expect(try await admin.admin.setKeyHash(gateway: "gw", hash: "$y$k"))
        try await admin.admin.setSettings(["gateway_keys_required": "true"])
        #expect(try await opened.gatewayAuth.gatewayKey("gw") == .keyHash("$y$k"))
        #expect(try await opened.gatewayAuth.gatewayKeysRequired())
        #expect(try await admin.readings.readings(gateway: "gw", from: 0, to: 10_000).map(\.power) == [5])
        #expect(try await admin.admin.gateways().map(\.id) == ["gw"])
        await admin.close()
        await opened.close?()
    }

    @Test func sqliteURLsOpenAsBefore() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("factory-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let url = try StoreURL(parsing: "sqlite:\(path)")
        let opened = try await openReadingStore(url: url, durability: .full, environment: [:], logger: Self.logger)
        #expect(opened.description == "sqlite:\(path) (full)")
        #expect(opened.maintenance != nil)
        #expect(opened.close == nil)
        let admin = try await openAdminStore(url: url, environment: [:], logger: Self.logger)
        #expect(admin.admin is SQLiteAdminStore)
        #expect(try await admin.admin.createStaff(name: "ann", passwordHash: "$y$h", at: 1))
    }

    @Test func failuresAreOneLineWithoutSecrets() async throws {
        let dead = try StoreURL(parsing: "cassandra://127.0.0.1:1/acme")
        for open in [
            { _ = try await openReadingStore(url: dead, durability: .normal, environment: [:], logger: Self.logger) },
            { _ = try await openAdminStore(url: dead, environment: [:], logger: Self.logger) },
        ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: StoreOpenError.self) { try await open() }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.hasPrefix("cannot open cassandra://127.0.0.1:1/acme"), "\(text)")
            #expect(!text.contains("\n"))
        }
        let node = try await FakeStoreNode.start()
        defer { Task { await node.stop() } }
        let url = try StoreURL(parsing: "cassandra://127.0.0.1:\(node.server.port)/acme")
        let error = await #expect(throws: StoreOpenError.self) {
            _ = try await openAdminStore(url: url, environment: ["TENANT_CASSANDRA_PASSWORD": "hunter2"], logger: Self.logger)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("TENANT_CASSANDRA_USERNAME"))
        #expect(!text.contains("hunter2"))
    }
}
