import Foundation
import Logging
import MetricsTestKit
@testable import IngestServer
import TenantAuth
import TenantSQLite
import TenantStorage
import TenantTestSupport
import Testing

/// Onboarding, disabling and limits as tenant-ingest enforces them: the real server on
/// loopback over a real SQLite file, with settings changed while it runs.
@Suite struct GatewayPolicyTests {
    /// A quick policy refresh and refusal flush so tests see changes at once.
    static let configuration = IngestConfiguration(host: "127.0.0.1", port: 0, keyPolicyTTL: .milliseconds(50), refusalFlushDelay: .milliseconds(20))

    static func report(_ gateway: String, seq: Int, readings: Int, key: String? = nil, minute: Int = 0) -> String {
        let body = (0..<readings).map { i in reading("s\(i)", at: "2026-11-24T10:\(String(format: "%02d", minute)):00Z") }.joined()
        return "<report gateway=\"\(gateway)\" seq=\"\(seq)\"\(key.map { " key=\"\($0)\"" } ?? "")>\(body)</report>"
    }

    @Test func overTheRateTheServerAnswersRateLimitedAndStoresNothingOfIt() async throws {
        let metrics = TestMetrics()
        let path = try temporaryDirectory().appendingPathComponent("rate.db").path
        try await SQLiteAdminStore(database: SQLiteDatabase(path: path)).setSettings(ProviderLimits(readingsPerSecond: 1, readingsBurst: 20).stored)
        let server = try await RunningServer.start(path: path, configuration: Self.configuration, metrics: metrics)
        let port = server.port
        let lines = try await blocking {
            let client = try LineClient(port: port)
            // 15 of 20 tokens, then 15 more than the 5 left (1 a second refills far too slowly),
            // then a heartbeat (free), then 5 that fit.
            client.send(Self.report("gw-r", seq: 1, readings: 15) + Self.report("gw-r", seq: 2, readings: 15, minute: 1)
                + Self.report("gw-r", seq: 3, readings: 0) + Self.report("gw-r", seq: 4, readings: 5, minute: 2))
            return (0..<4).map { _ in client.line() }
        }
        #expect(lines[0] == "<ack gateway=\"gw-r\" seq=\"1\" stored=\"15\" duplicates=\"0\"/>")
        #expect(lines[1] == "<nack gateway=\"gw-r\" seq=\"2\" code=\"rate-limited\" reason=\"over 1 readings/s (burst 20), retry later\"/>")
        #expect(lines[2] == "<ack gateway=\"gw-r\" seq=\"3\" stored=\"0\" duplicates=\"0\"/>")
        #expect(lines[3] == "<ack gateway=\"gw-r\" seq=\"4\" stored=\"5\" duplicates=\"0\"/>")
        #expect(try await server.count("SELECT count(*) FROM readings") == 20)
        // Recorded for the dashboard, and counted.
        let admin = SQLiteAdminStore(database: server.database)
        try await waitUntil("the rate-limited gateway is recorded") { try await !admin.refusals(kind: .rateLimited, since: 0, limit: 10).isEmpty }
        let limited = try await admin.refusals(kind: .rateLimited, since: 0, limit: 10)
        #expect(limited.map(\.gateway) == ["gw-r"] && limited.first?.attempts == 1)
        try await server.stop()
        #expect(try metrics.expectCounter("tenant_ingest_reports_rate_limited_total").totalValue == 1)
    }

    @Test func settingsChangesReachTheRunningServer() async throws {
        let server = try await RunningServer.start(configuration: Self.configuration)
        let port = server.port
        let admin = SQLiteAdminStore(database: server.database)
        let first = try await blocking {
            let client = try LineClient(port: port)
            client.send(Self.report("gw-d", seq: 1, readings: 1))
            return client.line()
        }
        #expect(first?.hasPrefix("<ack") == true)
        // Staff disable the gateway: within the policy's lifetime its reports are refused,
        // on a new connection and without a restart.
        #expect(try await admin.setDisabled(gateway: "gw-d", true))
        let seq = SeqCounter()
        try await waitUntil("the disabled gateway is refused") {
            let line = try await blocking {
                let client = try LineClient(port: port)
                client.send(Self.report("gw-d", seq: seq.next(), readings: 1, minute: 5))
                return client.line()
            }
            return line?.contains("code=\"unauthorized\" reason=\"gateway disabled\"") == true
        }
        try await waitUntil("the refusal is recorded") { try await admin.refusals(kind: .refused, since: 0, limit: 10).first?.gateway == "gw-d" }
        #expect(try await admin.refusals(kind: .refused, since: 0, limit: 10).first?.reason == "gateway disabled")
        // A rate set while it runs applies too.
        #expect(try await admin.setDisabled(gateway: "gw-d", false))
        try await admin.setSettings(ProviderLimits(readingsPerSecond: 1, readingsBurst: 2).stored)
        // Two reports of two readings in one write: once the rate applies, the second finds the
        // bucket the first emptied, however long the machine took between attempts.
        try await waitUntil("the new rate applies") {
            let lines = try await blocking {
                let client = try LineClient(port: port)
                client.send(Self.report("gw-d", seq: seq.next(), readings: 2, minute: 7) + Self.report("gw-d", seq: seq.next(), readings: 2, minute: 8))
                return [client.line(), client.line()]
            }
            return lines[1]?.contains("code=\"rate-limited\"") == true
        }
        try await server.stop()
    }

    @Test func registeredGatewaysKeysCertificatesAndTheGatewayLimit() async throws {
        let path = try temporaryDirectory().appendingPathComponent("onboard.db").path
        let database = try SQLiteDatabase(path: path)
        let admin = SQLiteAdminStore(database: database)
        let hash = try PasswordHasher.hash("k3y")
        #expect(try await admin.register(GatewayRegistration(id: "gw-key", credential: .key, keyHash: hash), maxGateways: nil, at: 0) == .registered)
        #expect(try await admin.register(GatewayRegistration(id: "gw-cert", credential: .certificate), maxGateways: nil, at: 0) == .registered)
        try await admin.setSettings(["gateway_keys_required": "true"].merging(ProviderLimits(maxGateways: 3).stored) { a, _ in a })
        let server = try await RunningServer.start(path: path, configuration: Self.configuration)
        let port = server.port
        let lines = try await blocking {
            let client = try LineClient(port: port)
            client.send(Self.report("gw-key", seq: 1, readings: 1, key: "k3y") + Self.report("gw-cert", seq: 2, readings: 1, key: "k3y")
                + Self.report("gw-unknown", seq: 3, readings: 1, key: "guess"))
            return (0..<3).map { _ in client.line() }
        }
        #expect(lines[0] == "<ack gateway=\"gw-key\" seq=\"1\" stored=\"1\" duplicates=\"0\"/>")
        #expect(lines[1] == "<nack gateway=\"gw-cert\" seq=\"2\" code=\"unauthorized\" reason=\"client certificate required\"/>")
        #expect(lines[2] == "<nack gateway=\"gw-unknown\" seq=\"3\" code=\"unauthorized\" reason=\"unknown gateway\"/>")
        try await waitUntil("both refusals are recorded") { try await admin.refusals(kind: .refused, since: 0, limit: 10).count == 2 }
        let refused = try await admin.refusals(kind: .refused, since: 0, limit: 10)
        #expect(Set(refused.map(\.gateway)) == ["gw-cert", "gw-unknown"])
        #expect(try await admin.gateway(id: "gw-key")?.hasReported == true)

        // Without keys, first contact registers new gateways up to the maximum (3: two registered + one).
        try await admin.setSettings(["gateway_keys_required": "false"])
        let seq = SeqCounter()
        try await waitUntil("first contact registers gw-new") {
            let line = try await blocking {
                let client = try LineClient(port: port)
                client.send(Self.report("gw-new", seq: seq.next(), readings: 1))
                return client.line()
            }
            return line?.hasPrefix("<ack") == true
        }
        let beyond = try await blocking {
            let client = try LineClient(port: port)
            client.send(Self.report("gw-four", seq: 1, readings: 1))
            return client.line()
        }
        #expect(beyond == "<nack gateway=\"gw-four\" seq=\"1\" code=\"unauthorized\" reason=\"gateway limit reached (3)\"/>")
        #expect(try await server.count("SELECT count(*) FROM gateways") == 3)
        try await server.stop()
    }

    @Test func aRegistrationAppliesToTheGatewaysNextConnectionAtOnce() async throws {
        // The policy is cached for an hour here: only the per-connection lookup can see changes.
        let configuration = IngestConfiguration(host: "127.0.0.1", port: 0, keyPolicyTTL: .seconds(3600), refusalFlushDelay: .milliseconds(20))
        let server = try await RunningServer.start(configuration: configuration)
        let port = server.port
        let admin = SQLiteAdminStore(database: server.database)
        func send(_ report: String) async throws -> String? {
            try await blocking {
                let client = try LineClient(port: port)
                client.send(report)
                return client.line()
            }
        }
        // An open provider: first contact is enough, and the policy is now cached.
        #expect(try await send(Self.report("gw-open", seq: 1, readings: 1))?.hasPrefix("<ack") == true)

        #expect(try await admin.register(GatewayRegistration(id: "gw-cert", credential: .certificate), maxGateways: nil, at: 0) == .registered)
        #expect(try await send(Self.report("gw-cert", seq: 1, readings: 1))
            == "<nack gateway=\"gw-cert\" seq=\"1\" code=\"unauthorized\" reason=\"client certificate required\"/>")
        #expect(try await admin.setDisabled(gateway: "gw-open", true))
        #expect(try await send(Self.report("gw-open", seq: 2, readings: 1, minute: 1))
            == "<nack gateway=\"gw-open\" seq=\"2\" code=\"unauthorized\" reason=\"gateway disabled\"/>")
        #expect(try await server.count("SELECT count(*) FROM readings") == 1)
        try await server.stop()
    }

    @Test func aVerifiedCertificateAuthenticatesInsteadOfAKey() async throws {
        let database = try SQLiteDatabase(path: try temporaryDirectory().appendingPathComponent("cert.db").path)
        let admin = SQLiteAdminStore(database: database)
        #expect(try await admin.register(GatewayRegistration(id: "gw-cert", credential: .certificate), maxGateways: nil, at: 0) == .registered)
        try await admin.setSettings(["gateway_keys_required": "true"])
        let authenticator = GatewayAuthenticator(store: SQLiteGatewayAuthStore(database: database), ttl: .seconds(5), logger: Logger(label: "test"))
        #expect(await authenticator.check(gateway: "gw-cert", key: nil, identity: VerifiedGatewayIdentity(gatewayIDs: ["gw-cert"])) == .allowed)
        #expect(await authenticator.check(gateway: "gw-cert", key: nil, identity: VerifiedGatewayIdentity(gatewayIDs: ["gw-other"])) == .refused("client certificate is for gateway gw-other, not this one"))
        #expect(await authenticator.check(gateway: "gw-cert", key: nil) == .refused("client certificate required"))
        // An unknown gateway with a certificate the provider's CA issued for it is let in.
        #expect(await authenticator.check(gateway: "gw-fresh", key: nil, identity: VerifiedGatewayIdentity(gatewayIDs: ["gw-fresh"])) == .allowed)
        #expect(await authenticator.check(gateway: "gw-fresh", key: nil) == .refused("gateway key required"))
        #expect(try await admin.setDisabled(gateway: "gw-cert", true))
        try await authenticator.refreshPolicy()
        #expect(await authenticator.check(gateway: "gw-cert", key: nil, identity: VerifiedGatewayIdentity(gatewayIDs: ["gw-cert"])) == .refused("gateway disabled"))
    }

    @Test func tokenBucketsRefillAtTheRateAndAllowOneOversizedReport() {
        let limiter = RateLimiter(maxBuckets: 2)
        let second: UInt64 = 1_000_000_000
        #expect(limiter.take("g", cost: 10, rate: 10, burst: 10, now: 0))
        #expect(!limiter.take("g", cost: 1, rate: 10, burst: 10, now: 0))
        #expect(limiter.take("g", cost: 5, rate: 10, burst: 10, now: second / 2))
        #expect(!limiter.take("g", cost: 1, rate: 10, burst: 10, now: second / 2))
        // A report bigger than the bucket passes with a full bucket and leaves a debt.
        #expect(limiter.take("g", cost: 30, rate: 10, burst: 10, now: 2 * second))
        #expect(!limiter.take("g", cost: 1, rate: 10, burst: 10, now: 3 * second))
        #expect(limiter.take("g", cost: 1, rate: 10, burst: 10, now: 5 * second))
        // Other gateways have their own buckets; full ones are dropped when there are too many.
        #expect(limiter.take("h", cost: 10, rate: 10, burst: 10, now: 5 * second))
        #expect(limiter.take("i", cost: 10, rate: 10, burst: 10, now: 100 * second))
        #expect(limiter.take("h", cost: 10, rate: 10, burst: 10, now: 100 * second))
    }
}

/// Sequence numbers for retried sends from `@Sendable` closures.
final class SeqCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// A ``GatewayAuthStore`` that keeps what ingest records.
final class RecordingAuthStore: GatewayAuthStore, @unchecked Sendable {
    private let lock = NSLock()
    private var written: [[GatewayRefusal]] = []
    /// Writes that fail before one succeeds (a busy store).
    private var failures: Int
    init(failing failures: Int = 0) { self.failures = failures }
    var writes: [[GatewayRefusal]] { lock.withLock { written } }
    func gatewayKeysRequired() async throws -> Bool { false }
    func gatewayKey(_ gateway: String) async throws -> GatewayKeyRecord { .unknownGateway }
    func recordRefusals(_ refusals: [GatewayRefusal]) async throws {
        struct Busy: Error {}
        try lock.withLock {
            if failures > 0 { failures -= 1; throw Busy() }
            written.append(refusals)
        }
    }
}

@Suite struct RefusalRecorderTests {
    @Test func aFloodOfRandomIdsIsOneBoundedWrite() async throws {
        let store = RecordingAuthStore()
        let recorder = RefusalRecorder(store: store, flushDelay: .seconds(3600), maxPending: 100, logger: Logger(label: "test"))
        for i in 0..<10_000 { recorder.record(.refused, gateway: "rnd-\(i)", reason: "unknown gateway", at: Int64(i)) }
        for i in 0..<5 { recorder.record(.refused, gateway: "rnd-0", reason: "wrong gateway key", at: 20_000 + Int64(i)) }
        await recorder.flush()
        #expect(store.writes.count == 1)
        let written = try #require(store.writes.first)
        #expect(written.count == 100)
        let first = try #require(written.first { $0.gateway == "rnd-0" })
        #expect(first.attempts == 6 && first.reason == "wrong gateway key" && first.lastAttempt == 20_004)
        // Nothing pending: a flush writes nothing.
        await recorder.flush()
        #expect(store.writes.count == 1)
    }

    @Test func aFailedWriteIsTriedAgainWithWhatCameMeanwhile() async throws {
        // Flushes are called directly: the timer would make this test depend on how busy
        // the test process's thread pool is (a parallel run starved it for over 10 s once).
        let store = RecordingAuthStore(failing: 1)
        let recorder = RefusalRecorder(store: store, flushDelay: .seconds(3600), logger: Logger(label: "test"))
        recorder.record(.refused, gateway: "gw-a", reason: "client certificate required", at: 1)
        await recorder.flush()
        #expect(store.writes.isEmpty, "the first write fails")
        recorder.record(.refused, gateway: "gw-b", reason: "unknown gateway", at: 2)
        await recorder.flush()
        let retried = try #require(store.writes.first)
        #expect(retried.sorted { $0.gateway < $1.gateway }.map(\.gateway) == ["gw-a", "gw-b"])
        #expect(retried.first { $0.gateway == "gw-a" }?.attempts == 1, "nothing lost or counted twice")
        recorder.record(.refused, gateway: "gw-a", reason: "client certificate required", at: 3)
        await recorder.flush()
        #expect(store.writes.count == 2)
        #expect(store.writes.last?.map(\.gateway) == ["gw-a"] && store.writes.last?.first?.lastAttempt == 3)
    }
}
