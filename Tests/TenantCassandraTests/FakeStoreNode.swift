import CQLProtocol
import Foundation
import CQLTestSupport
import NIOCore
import Synchronization

/// A fake Cassandra node for the store's tests: a ``FakeCQLServer`` whose script keeps
/// in-memory tables and understands exactly the statements ``CassandraReadingStore`` and
/// ``CassandraKeyspaceAdmin`` send (matched by text), with Cassandra's semantics where
/// the store relies on them: upserts, unset values, write timestamps (last write wins),
/// static-only rows, clustering order and paging. It is not Cassandra and parses no CQL.
final class FakeStoreNode: Sendable {
    struct ReadingRow: Equatable {
        var power: Double?, energy: Double?, voltage: Double?, current: Double?, temperature: Double?
    }
    struct ReadingKey: Hashable { var gateway: String, sensor: String, day: Int32, at: Int64 }
    struct GatewayRow {
        var firstSeen: Int64?, lastSeen: Int64?, lastSeenTimestamp: Int64 = .min, keyHash: String? = nil, index: Set<[String]> = []
        var customerID: Int64? = nil, site: String? = nil
    }
    /// An `admin` partition: `(kind, part)`.
    struct AdminPartition: Hashable { var kind: String, part: String }
    /// A cell of the `admin` table with its write timestamp (µs; the wall clock unless the
    /// statement says `USING TIMESTAMP`), for last-write-wins and timestamped deletions.
    struct AdminCell: Equatable {
        var value: String, ttl: Int32?, timestamp: Int64 = FakeStoreNode.now()
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    struct Tables {
        var keyspaces: Set<String> = []
        var tables: Set<String> = []
        var settings: [String: String] = [:]
        var readings: [ReadingKey: ReadingRow] = [:]
        /// The TTL (seconds) each reading was last written with, when it had one.
        var readingTTLs: [ReadingKey: Int32] = [:]
        var gateways: [String: GatewayRow] = [:]
        /// The `admin` table: partitions of rows ordered by key (kept sorted on read).
        var admin: [AdminPartition: [String: AdminCell]] = [:]
        var prepared: [[UInt8]: String] = [:]
        /// `system.size_estimates` by keyspace: (mean partition size, partitions) per range and table.
        var sizeEstimates: [String: [(mean: Int64, partitions: Int64)]] = [:]
        /// Other nodes of the cluster, as `system.peers` lists them.
        var peers: [[UInt8]] = []
        /// Fail this many reading batches (after `batchesBeforeFailure` succeeded) with a write timeout.
        var failReadingBatches = 0
        var batchesBeforeFailure = 0
        var readingBatches = 0
        var executes = 0
    }

    let tables = Mutex(Tables())
    private(set) nonisolated(unsafe) var server: FakeCQLServer!

    /// Login the node demands with SASL PLAIN (Cassandra's PasswordAuthenticator); nil: none.
    let credentials: (username: String, password: String)?
    /// Logins refused so far.
    let refusedLogins = Mutex(0)

    init(credentials: (username: String, password: String)? = nil) { self.credentials = credentials }

    /// A node on `host`:`port` (loopback, any free port by default), demanding `credentials` if given.
    static func start(host: String = "127.0.0.1", port: Int = 0, credentials: (username: String, password: String)? = nil) async throws -> FakeStoreNode {
        let node = FakeStoreNode(credentials: credentials)
        node.server = try await FakeCQLServer.start(host: host, port: port) { request, _ in node.answer(request) }
        return node
    }

    func stop() async { await server.stop() }

    /// Drops every connection and stops listening: a node going down.
    func kill() async { await server.kill() }

    private static let column = CQLColumnSpec(keyspace: "ks", table: "t", name: "c", type: .blob)
    private static func rows(_ columns: [(String, CQLDataType)], _ rows: [[CQLValue]], pagingState: [UInt8]? = nil) -> FakeCQLServer.Reply {
        .respond(.result(.rows(CQLRows(
            columns: columns.map { CQLColumnSpec(keyspace: "ks", table: "t", name: $0.0, type: $0.1) }, rows: rows,
            pagingState: pagingState))))
    }

    private func answer(_ request: CQLRequest) -> FakeCQLServer.Reply {
        if let credentials {
            switch request {
            case .startup: return .respond(.authenticate("org.apache.cassandra.auth.PasswordAuthenticator"))
            case .authResponse(let token):
                if token == [0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8) { return .respond(.authSuccess(nil)) }
                refusedLogins.withLock { $0 += 1 }
                return .respond(.error(.init(code: .authenticationError, message: "Provided username and/or password are incorrect")))
            default: break
            }
        }
        if let reply = FakeCQLServer.handshake(request) { return reply }
        switch request {
        case .query(let text, let parameters): return run(text, parameters.values, parameters)
        case .prepare(let text):
            let id = Array(String(text.hashValue, radix: 16).utf8.prefix(16))
            tables.withLock { $0.prepared[id] = text }
            return .respond(.result(.prepared(CQLPrepared(id: id, bindMarkers: []))))
        case .execute(let id, let parameters):
            guard let text = tables.withLock({ $0.prepared[id] }) else {
                return .respond(.error(.init(code: .unprepared, message: "unknown id", detail: .unprepared(id: id))))
            }
            tables.withLock { $0.executes += 1 }
            return run(text, parameters.values, parameters)
        case .batch(let batch):
            let texts = tables.withLock { tables in batch.statements.map { statement -> String? in
                if case .prepared(let id) = statement.query { return tables.prepared[id] } else { return nil }
            } }
            // Like Cassandra: an id this node does not know is UNPREPARED, naming the id.
            for (text, statement) in zip(texts, batch.statements) where text == nil {
                if case .prepared(let id) = statement.query {
                    return .respond(.error(.init(code: .unprepared, message: "unknown id", detail: .unprepared(id: id))))
                }
            }
            if texts.contains(where: { $0?.contains(".readings (") == true }) {
                let fail = tables.withLock { tables -> Bool in
                    tables.readingBatches += 1
                    guard tables.readingBatches > tables.batchesBeforeFailure, tables.failReadingBatches > 0 else { return false }
                    tables.failReadingBatches -= 1
                    return true
                }
                if fail {
                    return .respond(.error(.init(code: .writeTimeout, message: "injected", detail: .writeTimeout(
                        consistency: .localQuorum, received: 0, blockFor: 2, writeType: "UNLOGGED_BATCH"))))
                }
            }
            for (text, statement) in zip(texts, batch.statements) {
                guard let text else { return .respond(.error(.init(code: .invalid, message: "text in batch"))) }
                if case .respond(.error(let error)) = run(text, statement.values, nil) { return .respond(.error(error)) }
            }
            return .respond(.result(.void))
        default: return .respond(.error(.init(code: .protocolError, message: "unexpected \(request.opcode)")))
        }
    }

    private func text(_ v: CQLValue) -> String { (try? CQLValue.decode(raw(v), as: .varchar).string) ?? nil ?? "" }
    private func long(_ v: CQLValue) -> Int64 { (try? CQLValue.decode(raw(v), as: .bigint).int64) ?? nil ?? 0 }
    private func day(_ v: CQLValue) -> Int32 { if case .date(let d)? = try? CQLValue.decode(raw(v), as: .date) { d } else { 0 } }
    private func double(_ v: CQLValue) -> Double? {
        if v == .unset || v == .null { return nil }
        return (try? CQLValue.decode(raw(v), as: .double))?.double
    }
    private func raw(_ v: CQLValue) -> ByteBuffer? { if case .raw(let bytes) = v { ByteBuffer(bytes: bytes) } else { nil } }

    private func run(_ text: String, _ values: [CQLValue], _ parameters: CQLQueryParameters?) -> FakeCQLServer.Reply {
        func change(_ target: String) -> FakeCQLServer.Reply {
            .respond(.result(.schemaChange(CQLSchemaChange(change: "CREATED", target: target, keyspace: "ks", name: target == "TABLE" ? "t" : nil))))
        }
        if text.hasPrefix("CREATE KEYSPACE IF NOT EXISTS") {
            let name = text.split(separator: "\"")[1]
            tables.withLock { _ = $0.keyspaces.insert(String(name)) }
            return change("KEYSPACE")
        }
        if text.hasPrefix("DROP KEYSPACE IF EXISTS") {
            tables.withLock { $0 = Tables(prepared: $0.prepared) }
            return change("KEYSPACE")
        }
        if text.hasPrefix("CREATE TABLE IF NOT EXISTS") {
            let name = text.split(separator: "(")[0].split(separator: ".").last!.trimmingSpaces
            tables.withLock { _ = $0.tables.insert(name) }
            return change("TABLE")
        }
        if text.hasPrefix("SELECT keyspace_name FROM system_schema.keyspaces") {
            let name = values.first.map { self.text($0) } ?? ""
            let exists = tables.withLock { $0.keyspaces.contains(name) }
            return Self.rows([("keyspace_name", .varchar)], exists ? [[.text(name)]] : [])
        }
        if text.hasPrefix("SELECT table_name FROM system_schema.tables") {
            let names = tables.withLock { $0.tables.sorted() }
            return Self.rows([("table_name", .varchar)], names.map { [.text($0)] })
        }
        if text.hasPrefix("SELECT schema_version FROM system.local") { return Self.rows([("schema_version", .uuid)], [[.uuid(Array(repeating: 1, count: 16))]]) }
        if text.hasPrefix("SELECT schema_version FROM system.peers") { return Self.rows([("schema_version", .uuid)], []) }
        if text.hasPrefix("SELECT mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = ?") {
            let estimates = tables.withLock { $0.sizeEstimates[self.text(values[0])] ?? [] }
            return Self.rows([("mean_partition_size", .bigint), ("partitions_count", .bigint)], estimates.map { [.bigint($0.mean), .bigint($0.partitions)] })
        }
        if text.hasPrefix("SELECT peer FROM system.peers") { return Self.rows([("peer", .inet)], tables.withLock { $0.peers }.map { [.blob($0)] }) }
        if text.hasPrefix("SELECT release_version FROM system.local") { return Self.rows([("release_version", .varchar)], [[.text("4.1.7")]]) }
        if text.contains(".admin ") { return runAdmin(text, values, parameters) }
        if text.contains(".gateways SET customer_id = ?, site = ?") {
            let id = self.text(values[2])
            tables.withLock { t in
                t.gateways[id, default: GatewayRow()].customerID = values[0] == .null ? nil : self.long(values[0])
                t.gateways[id, default: GatewayRow()].site = values[1] == .null ? nil : self.text(values[1])
            }
            return .respond(.result(.void))
        }
        if text.contains(".gateways SET customer_id = ? WHERE") {
            tables.withLock { $0.gateways[self.text(values[1]), default: GatewayRow()].customerID = values[0] == .null ? nil : self.long(values[0]) }
            return .respond(.result(.void))
        }
        if text.contains(".gateways SET key_hash = ?") {
            tables.withLock { $0.gateways[self.text(values[1]), default: GatewayRow()].keyHash = values[0] == .null ? nil : self.text(values[0]) }
            return .respond(.result(.void))
        }
        let gatewayColumns: [(String, CQLDataType)] = [
            ("customer_id", .bigint), ("site", .varchar), ("key_hash", .varchar), ("first_seen", .timestamp), ("last_seen", .timestamp),
        ]
        func gatewayValues(_ row: GatewayRow) -> [CQLValue] {
            [row.customerID.map(CQLValue.bigint) ?? .null, row.site.map(CQLValue.text) ?? .null, row.keyHash.map(CQLValue.text) ?? .null,
             row.firstSeen.map(CQLValue.timestamp) ?? .null, row.lastSeen.map(CQLValue.timestamp) ?? .null]
        }
        if text.hasPrefix("SELECT DISTINCT id, customer_id, site, key_hash, first_seen, last_seen FROM") {
            // Partition (token) order, not id order: the store must sort.
            let all = tables.withLock { $0.gateways.map { ($0.key, $0.value) } }
            return page(all.map { [CQLValue.text($0.0)] + gatewayValues($0.1) }, [("id", .varchar)] + gatewayColumns, parameters)
        }
        if text.hasPrefix("SELECT customer_id, site, key_hash, first_seen, last_seen FROM") {
            let row = tables.withLock { $0.gateways[self.text(values[0])] }
            return Self.rows(gatewayColumns, row.map { [gatewayValues($0)] } ?? [])
        }
        if text.contains(".settings (key, value)") {
            tables.withLock { $0.settings[self.text(values[0])] = self.text(values[1]) }
            return .respond(.result(.void))
        }
        if text.hasPrefix("SELECT at FROM") && text.hasSuffix("LIMIT 1") {
            // The newest reading of one partition (clustered newest first).
            let (g, s, d) = (self.text(values[0]), self.text(values[1]), day(values[2]))
            let newest = tables.withLock { t in t.readings.keys.filter { $0.gateway == g && $0.sensor == s && $0.day == d }.map(\.at).max() }
            return Self.rows([("at", .timestamp)], newest.map { [[CQLValue.timestamp($0)]] } ?? [])
        }
        if text.hasPrefix("SELECT at FROM") {
            let (g, s, d, from, to) = (self.text(values[0]), self.text(values[1]), day(values[2]), long(values[3]), long(values[4]))
            let ats = tables.withLock { t in t.readings.keys.filter { $0.gateway == g && $0.sensor == s && $0.day == d && (from...to).contains($0.at) }.map(\.at) }
            return page(ats.sorted(by: >).map { [CQLValue.timestamp($0)] }, [("at", .timestamp)], parameters)
        }
        if text.hasPrefix("SELECT key, value FROM") {
            let all = tables.withLock { $0.settings.sorted { $0.key < $1.key } }
            return page(all.map { [.text($0.key), .text($0.value)] }, [("key", .varchar), ("value", .varchar)], parameters)
        }
        if text.hasPrefix("SELECT value FROM") {
            let value = tables.withLock { $0.settings[self.text(values[0])] }
            return Self.rows([("value", .varchar)], value.map { [[.text($0)]] } ?? [])
        }
        if text.hasPrefix("SELECT first_seen, key_hash FROM") {
            guard let row = tables.withLock({ $0.gateways[self.text(values[0])] }) else {
                return Self.rows([("first_seen", .timestamp), ("key_hash", .varchar)], [])
            }
            return Self.rows([("first_seen", .timestamp), ("key_hash", .varchar)],
                             [[row.firstSeen.map(CQLValue.timestamp) ?? .null, row.keyHash.map(CQLValue.text) ?? .null]])
        }
        if text.hasPrefix("SELECT first_seen FROM") {
            let seen = tables.withLock { $0.gateways[self.text(values[0])]?.firstSeen }
            return Self.rows([("first_seen", .timestamp)], tables.withLock { $0.gateways[self.text(values[0])] } == nil ? [] : [[seen.map(CQLValue.timestamp) ?? .null]])
        }
        if text.contains("USING TIMESTAMP ? SET last_seen") {
            let (stamp, seen, id) = (long(values[0]), long(values[1]), self.text(values[2]))
            tables.withLock { t in
                var row = t.gateways[id] ?? GatewayRow()
                if stamp > row.lastSeenTimestamp { row.lastSeen = values[1] == .null ? nil : seen; row.lastSeenTimestamp = stamp }
                t.gateways[id] = row
            }
            return .respond(.result(.void))
        }
        if text.contains("SET first_seen = ?") {
            tables.withLock { $0.gateways[self.text(values[1]), default: GatewayRow()].firstSeen = values[0] == .null ? nil : self.long(values[0]) }
            return .respond(.result(.void))
        }
        if text.contains(".gateways (id, sensor, day)") {
            tables.withLock { _ = $0.gateways[self.text(values[0]), default: GatewayRow()].index.insert([self.text(values[1]), String(self.day(values[2]))]) }
            return .respond(.result(.void))
        }
        if text.hasPrefix("DELETE FROM") && text.hasSuffix(".gateways WHERE id = ?") {
            tables.withLock { _ = $0.gateways.removeValue(forKey: self.text(values[0])) }
            return .respond(.result(.void))
        }
        if text.hasPrefix("DELETE FROM") && text.hasSuffix(".readings WHERE gateway = ? AND sensor = ? AND day = ?") {
            let (g, s, d) = (self.text(values[0]), self.text(values[1]), day(values[2]))
            tables.withLock { t in t.readings = t.readings.filter { !($0.key.gateway == g && $0.key.sensor == s && $0.key.day == d) } }
            return .respond(.result(.void))
        }
        if text.contains(".readings (gateway, sensor, day, at,") {
            let key = ReadingKey(gateway: self.text(values[0]), sensor: self.text(values[1]), day: day(values[2]), at: long(values[3]))
            let ttl: Int32? = text.hasSuffix("USING TTL ?") ? (try? CQLValue.decode(raw(values[9]), as: .int)).flatMap { if case .int(let v) = $0 { v } else { nil } } : nil
            tables.withLock { t in
                t.readingTTLs[key] = ttl
                var row = t.readings[key] ?? ReadingRow()
                // An upsert: set values replace, unset ones leave the column alone.
                row.power = double(values[4]) ?? row.power
                row.energy = double(values[5]) ?? row.energy
                row.voltage = double(values[6]) ?? row.voltage
                row.current = double(values[7]) ?? row.current
                row.temperature = double(values[8]) ?? row.temperature
                t.readings[key] = row
            }
            return .respond(.result(.void))
        }
        if text.hasPrefix("SELECT sensor, day FROM") {
            let row = tables.withLock { $0.gateways[self.text(values[0])] }
            guard let row else { return Self.rows([("sensor", .varchar), ("day", .date)], []) }
            let index = row.index.sorted { $0.lexicographicallyPrecedes($1) }
            // A partition with only static columns still shows one row, with null clustering columns.
            let result: [[CQLValue]] = index.isEmpty ? [[.null, .null]] : index.map { [.text($0[0]), .date(Int32($0[1])!)] }
            return page(result, [("sensor", .varchar), ("day", .date)], parameters)
        }
        if text.hasPrefix("SELECT sensor, at, power") {
            let (g, s, d, from, to) = (self.text(values[0]), self.text(values[1]), day(values[2]), long(values[3]), long(values[4]))
            let found = tables.withLock { t in t.readings.filter { $0.key.gateway == g && $0.key.sensor == s && $0.key.day == d && $0.key.at >= from && $0.key.at < to } }
            let rows: [[CQLValue]] = found.sorted { $0.key.at > $1.key.at }.map { key, row in
                [.text(key.sensor), .timestamp(key.at), row.power.map(CQLValue.double) ?? .null, row.energy.map(CQLValue.double) ?? .null,
                 row.voltage.map(CQLValue.double) ?? .null, row.current.map(CQLValue.double) ?? .null, row.temperature.map(CQLValue.double) ?? .null]
            }
            return page(rows, [("sensor", .varchar), ("at", .timestamp), ("power", .double), ("energy", .double), ("voltage", .double),
                               ("current", .double), ("temperature", .double)], parameters)
        }
        return .respond(.error(.init(code: .invalid, message: "fake node does not know: \(text)")))
    }

    /// The `admin` table: the statements of `CassandraAdminStore`.
    private func runAdmin(_ text: String, _ values: [CQLValue], _ parameters: CQLQueryParameters?) -> FakeCQLServer.Reply {
        if text.hasPrefix("DELETE FROM") && text.hasSuffix("USING TIMESTAMP ? WHERE kind = ? AND part = ?") {
            // A partition deletion at a timestamp: removes the cells written at or before it.
            let (stamp, partition) = (long(values[0]), AdminPartition(kind: self.text(values[1]), part: self.text(values[2])))
            tables.withLock { t in
                t.admin[partition] = t.admin[partition]?.filter { $0.value.timestamp > stamp }
                if t.admin[partition]?.isEmpty == true { t.admin[partition] = nil }
            }
            return .respond(.result(.void))
        }
        let partition = AdminPartition(kind: self.text(values[0]), part: self.text(values[1]))
        if text.hasPrefix("DELETE FROM") && text.hasSuffix("WHERE kind = ? AND part = ?") {
            tables.withLock { _ = $0.admin.removeValue(forKey: partition) }
            return .respond(.result(.void))
        }
        if text.hasPrefix("INSERT INTO") {
            let ttl: Int32? = text.hasSuffix("USING TTL ?") ? (try? CQLValue.decode(raw(values[4]), as: .int)).flatMap { if case .int(let v) = $0 { v } else { nil } } : nil
            let stamp = text.hasSuffix("USING TIMESTAMP ?") ? long(values[4]) : Self.now()
            tables.withLock { t in
                let key = self.text(values[2])
                // Last write wins by timestamp, as in Cassandra.
                if let existing = t.admin[partition]?[key], existing.timestamp > stamp { return }
                t.admin[partition, default: [:]][key] = AdminCell(value: self.text(values[3]), ttl: ttl, timestamp: stamp)
            }
            return .respond(.result(.void))
        }
        if text.hasPrefix("DELETE FROM") {
            tables.withLock { _ = $0.admin[partition]?.removeValue(forKey: self.text(values[2])) }
            return .respond(.result(.void))
        }
        let cells = tables.withLock { $0.admin[partition] ?? [:] }.sorted { $0.key < $1.key }
        if text.hasPrefix("SELECT value FROM") {
            let key = self.text(values[2])
            return Self.rows([("value", .varchar)], cells.filter { $0.key == key }.map { [.text($0.value.value)] })
        }
        if text.hasPrefix("SELECT key, writetime(value) FROM") {
            return page(cells.map { [.text($0.key), .bigint($0.value.timestamp)] }, [("key", .varchar), ("writetime(value)", .bigint)], parameters)
        }
        if text.hasPrefix("SELECT key FROM") {
            return page(cells.map { [.text($0.key)] }, [("key", .varchar)], parameters)
        }
        if text.hasPrefix("SELECT key, value FROM") {
            var selected = cells
            if text.contains("key >= ? AND key < ?") {
                let (from, to) = (self.text(values[2]), self.text(values[3]))
                selected = cells.filter { $0.key >= from && $0.key < to }
            }
            return page(selected.map { [.text($0.key), .text($0.value.value)] }, [("key", .varchar), ("value", .varchar)], parameters)
        }
        return .respond(.error(.init(code: .invalid, message: "fake node does not know: \(text)")))
    }

    /// Serves `rows` in pages of the requested size; the paging state is the next offset.
    private func page(_ rows: [[CQLValue]], _ columns: [(String, CQLDataType)], _ parameters: CQLQueryParameters?) -> FakeCQLServer.Reply {
        let size = Int(parameters?.pageSize ?? Int32(rows.count))
        let start = parameters?.pagingState.map { Int($0[0]) << 8 | Int($0[1]) } ?? 0
        let end = min(start + max(size, 1), rows.count)
        let state: [UInt8]? = end < rows.count ? [UInt8(end >> 8), UInt8(end & 0xFF)] : nil
        return Self.rows(columns, Array(rows[min(start, rows.count)..<end]), pagingState: state)
    }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed()) }
}
