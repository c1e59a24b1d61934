import CQLClient
import CQLProtocol
import FoundationEssentials
import Logging
import TenantModel
import TenantStorage

/// How a ``CassandraReadingStore`` trades cost against guarantees.
public struct CassandraStoreOptions: Sendable, Hashable {
    /// How the new readings of one report that span several partitions (several sensors or
    /// days) are written.
    public enum ReportBatching: Sendable, Hashable {
        /// One unlogged batch per partition (atomic and isolated within it), sent in parallel.
        /// A failure can leave some partitions of a report written; the gateway's resend then
        /// counts those as duplicates and stores the rest. Cheapest; the default.
        case unloggedPerPartition
        /// One logged batch per report: all partitions or none (the batch log replays it),
        /// at the cost of an extra batch-log write on two nodes.
        case loggedPerReport
    }

    /// Consistency of writes; with `readConsistency` it must overlap (W + R > RF) so that the
    /// duplicate check sees every acknowledged write.
    public var writeConsistency: CQLConsistency = .localQuorum
    /// Consistency of the duplicate check and of reads.
    public var readConsistency: CQLConsistency = .localQuorum
    public var reportBatching: ReportBatching = .unloggedPerPartition
    /// Statements per unlogged batch (keeps batches under the server's size warnings).
    public var maxStatementsPerBatch = 100
    /// Partitions read or written at once by one call.
    public var concurrency = 16
    /// Readings whose hour ends this long before the gateway's newest reading may be in an
    /// hour the admin app has rolled up: a commit holding such readings leaves a marker that
    /// makes the next rollup pass recompute them. Keep it at most the admin store's
    /// `rollupGrace` (both default to 15 minutes).
    public var rollupGrace: EpochMillis = RollupRules.defaultGrace

    /// The defaults: LOCAL_QUORUM both ways, unlogged per-partition batches.
    public init() {}
}

/// ``ReadingStore`` over a provider's Cassandra keyspace (see ``CassandraSchema``).
///
/// Exactly-once storage without lightweight transactions: for each partition a report
/// touches, the store reads which of its timestamps exist (one slice query), then inserts
/// only the missing readings. Inserts are idempotent (same key, same values), so a race
/// between two writers of the same reading stores it once; both may count it as stored.
/// A resend whose values differ from the stored reading changes nothing and counts as a
/// duplicate, except when it races with the first write, where the last write wins.
/// A commit holding readings old enough to be in an hour the admin app may have rolled up
/// writes one marker row after them, for the next rollup pass (see ``LateReadings``).
public struct CassandraReadingStore: ReadingStore {
    /// The client this store sends through (shared, pooled).
    public let client: CQLClient
    /// The provider's keyspace.
    public let keyspace: ProviderID
    /// Consistency and batching choices.
    public let options: CassandraStoreOptions
    /// Each gateway's newest reading time and the marker timestamps (see ``LateReadings``).
    let lateReadings = LateReadingTracker()
    /// The retention settings, cached (see ``Retention``).
    let retention = Retention()

    private var ks: String { CassandraSchema.quoted(keyspace.rawValue) }

    /// A store over an existing keyspace (see ``CassandraStore/openReadingStore(_:settings:createSchema:options:logger:)``).
    public init(client: CQLClient, keyspace: ProviderID, options: CassandraStoreOptions = CassandraStoreOptions()) {
        self.client = client
        self.keyspace = keyspace
        self.options = options
    }

    /// A reading's identity.
    private struct Key: Hashable {
        var gateway: String
        var sensor: String
        var at: EpochMillis
    }

    /// A `readings` partition.
    private struct Partition: Hashable {
        var gateway: String
        var sensor: String
        var day: Int32
    }

    public func commit(_ reports: [GatewayReport]) async throws -> [ReportOutcome] {
        do {
            return try await commitUnwrapped(reports)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("cassandra commit of \(reports.count) report(s) failed: \(error)")
        }
    }

    private func commitUnwrapped(_ reports: [GatewayReport]) async throws -> [ReportOutcome] {
        // 1. Drop repeats within this commit: the first occurrence is the candidate.
        var seen = Set<Key>()
        var candidates: [[Reading]] = []
        for report in reports {
            candidates.append(report.readings.filter { reading in
                seen.insert(Key(gateway: report.gateway, sensor: reading.sensor, at: reading.at)).inserted
            })
        }
        // 2. Readings old enough to be in hours the admin app may have rolled up (duplicates
        //    too: a resend after a failed commit must mark what the failed one could not).
        let late = try await lateHours(reports)
        // 3. Which candidates exist already: one slice read per partition.
        var slices: [Partition: (min: EpochMillis, max: EpochMillis)] = [:]
        for (report, readings) in zip(reports, candidates) {
            for reading in readings {
                let partition = Partition(gateway: report.gateway, sensor: reading.sensor, day: CassandraSchema.day(of: reading.at))
                let slice = slices[partition] ?? (reading.at, reading.at)
                slices[partition] = (Swift.min(slice.min, reading.at), Swift.max(slice.max, reading.at))
            }
        }
        let existingSlice = try await client.prepare(
            "SELECT at FROM \(ks).readings WHERE gateway = ? AND sensor = ? AND day = ? AND at >= ? AND at <= ?")
        let existingSets = try await concurrently(Array(slices), limit: options.concurrency) { partition, slice in
            let rows = try await client.executeAll(
                existingSlice,
                [.text(partition.gateway), .text(partition.sensor), .date(partition.day), .timestamp(slice.min), .timestamp(slice.max)],
                consistency: options.readConsistency)
            return Set(rows.rows.compactMap { $0.first?.int64 }.map { Key(gateway: partition.gateway, sensor: partition.sensor, at: $0) })
        }
        let existing = existingSets.reduce(into: Set<Key>()) { $0.formUnion($1) }
        // 4. Outcomes, and the readings to write.
        var outcomes: [ReportOutcome] = []
        var fresh: [[Reading]] = []
        for (report, readings) in zip(reports, candidates) {
            let new = readings.filter { !existing.contains(Key(gateway: report.gateway, sensor: $0.sensor, at: $0.at)) }
            fresh.append(new)
            outcomes.append(ReportOutcome(stored: new.count, duplicates: report.readings.count - new.count))
        }
        // 5. Gateways first: registration, last-seen, and the index rows of the partitions about
        //    to be written. Index rows before readings: an index row without readings is
        //    harmless; readings without an index row would be invisible to reads.
        try await writeGateways(reports, fresh: fresh)
        // 6. The readings.
        try await writeReadings(reports, fresh: fresh)
        // 7. Late markers after the readings: a rollup pass that sees a marker sees its readings.
        try await writeLateMarkers(late)
        return outcomes
    }

    /// Per gateway whose readings in `reports` are late, the first hour to recompute. The
    /// first commit of a gateway in this store instance reads its stored newest reading.
    private func lateHours(_ reports: [GatewayReport]) async throws -> [String: EpochMillis] {
        var spans: [String: (min: EpochMillis, max: EpochMillis)] = [:]
        for report in reports {
            for reading in report.readings {
                let span = spans[report.gateway] ?? (reading.at, reading.at)
                spans[report.gateway] = (Swift.min(span.min, reading.at), Swift.max(span.max, reading.at))
            }
        }
        let unseeded = spans.keys.filter { lateReadings.newest($0) == nil }
        let seeds = try await concurrently(unseeded, limit: options.concurrency) { gateway in
            (gateway, try await newestReading(gateway: gateway))
        }
        return lateReadings.lateHours(
            spans: spans, seeds: Dictionary(seeds.compactMap { gateway, newest in newest.map { (gateway, $0) } }, uniquingKeysWith: Swift.max),
            grace: options.rollupGrace)
    }

    private func writeLateMarkers(_ late: [String: EpochMillis]) async throws {
        guard !late.isEmpty else { return }
        let insert = try await client.prepare("INSERT INTO \(ks).admin (kind, part, key, value) VALUES (?, ?, ?, ?) USING TIMESTAMP ?")
        _ = try await concurrently(Array(late), limit: options.concurrency) { gateway, hour in
            _ = try await client.execute(
                insert,
                [.text(LateReadings.kind), .text(gateway), .text(CassandraAdminStore.numericKey(hour)), .text(""), .bigint(lateReadings.nextStamp())],
                consistency: options.writeConsistency)
        }
    }

    private func writeGateways(_ reports: [GatewayReport], fresh: [[Reading]]) async throws {
        var lastSeen: [String: EpochMillis] = [:]
        var indexRows: [String: Set<Partition>] = [:]
        for (report, readings) in zip(reports, fresh) {
            lastSeen[report.gateway] = Swift.max(lastSeen[report.gateway] ?? .min, report.receivedAt)
            for reading in readings {
                indexRows[report.gateway, default: []].insert(
                    Partition(gateway: report.gateway, sensor: reading.sensor, day: CassandraSchema.day(of: reading.at)))
            }
        }
        let firstSeenQuery = try await client.prepare("SELECT first_seen FROM \(ks).gateways WHERE id = ? LIMIT 1")
        // The write timestamp is the receive time, so the latest report wins whatever the order
        // in which concurrent commits land: last_seen only ever moves forward.
        let touch = try await client.prepare("UPDATE \(ks).gateways USING TIMESTAMP ? SET last_seen = ? WHERE id = ?")
        let register = try await client.prepare("UPDATE \(ks).gateways SET first_seen = ? WHERE id = ?")
        let index = try await client.prepare("INSERT INTO \(ks).gateways (id, sensor, day) VALUES (?, ?, ?)")
        let partitionsByGateway = indexRows
        _ = try await concurrently(Array(lastSeen), limit: options.concurrency) { gateway, seen in
            var statements: [(CQLPreparedStatement, [CQLValue])] = [
                (touch, [.bigint(seen &* 1000), .timestamp(seen), .text(gateway)])
            ]
            let known = try await client.execute(firstSeenQuery, [.text(gateway)], consistency: options.readConsistency)
            // 0 is a gateway staff registered before its first contact: this commit is it.
            if case .rows(let rows) = known, let first = rows.rows.first?.first, !first.isNull, first.int64 != 0 {
                // registered already
            } else {
                statements.append((register, [.timestamp(seen), .text(gateway)]))
            }
            for partition in partitionsByGateway[gateway] ?? [] {
                statements.append((index, [.text(gateway), .text(partition.sensor), .date(partition.day)]))
            }
            // One partition (the gateway's): an unlogged batch is atomic and isolated here.
            for chunk in statements.chunked(options.maxStatementsPerBatch) {
                try await client.batch(.unlogged, chunk, consistency: options.writeConsistency)
            }
            return ()
        }
    }

    private func writeReadings(_ reports: [GatewayReport], fresh: [[Reading]]) async throws {
        guard fresh.contains(where: { !$0.isEmpty }) else { return }
        // With a retention set, each reading expires that long after it was measured.
        let keep = try await retention.limits { try await settingsStore.setting($0) }.retentionMillis
        let insert = try await client.prepare(
            """
            INSERT INTO \(ks).readings (gateway, sensor, day, at, power, energy, voltage, current, temperature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)\(keep == nil ? "" : " USING TTL ?")
            """)
        let now = EpochMillis((Date().timeIntervalSince1970 * 1000).rounded(.down))
        func values(_ gateway: String, _ reading: Reading) -> [CQLValue] {
            // Absent optionals are "not set", not null: a null would write a tombstone.
            func optional(_ value: Double?) -> CQLValue { value.map(CQLValue.double) ?? .unset }
            var values: [CQLValue] = [
                .text(gateway), .text(reading.sensor), .date(CassandraSchema.day(of: reading.at)), .timestamp(reading.at),
                .double(reading.power), optional(reading.energy), optional(reading.voltage), optional(reading.current),
                optional(reading.temperature),
            ]
            if let keep { values.append(.int(Retention.ttl(keep: keep, at: reading.at, now: now))) }
            return values
        }
        switch options.reportBatching {
        case .loggedPerReport:
            let batches = zip(reports, fresh).filter { !$0.1.isEmpty }.map { report, readings in
                readings.map { (insert, values(report.gateway, $0)) }
            }
            _ = try await concurrently(batches, limit: options.concurrency) { statements in
                try await client.batch(statements.count == 1 ? .unlogged : .logged, statements, consistency: options.writeConsistency)
            }
        case .unloggedPerPartition:
            var byPartition: [Partition: [(CQLPreparedStatement, [CQLValue])]] = [:]
            for (report, readings) in zip(reports, fresh) {
                for reading in readings {
                    let partition = Partition(gateway: report.gateway, sensor: reading.sensor, day: CassandraSchema.day(of: reading.at))
                    byPartition[partition, default: []].append((insert, values(report.gateway, reading)))
                }
            }
            let batches = byPartition.values.flatMap { $0.chunked(options.maxStatementsPerBatch) }
            _ = try await concurrently(batches, limit: options.concurrency) { statements in
                try await client.batch(.unlogged, statements, consistency: options.writeConsistency)
            }
        }
    }

    /// The `readings` partitions of `gateway` that its index rows name, as (sensor, day).
    func indexedPartitions(gateway: String) async throws -> [(sensor: String, day: Int32)] {
        let partitionsQuery = try await client.prepare("SELECT sensor, day FROM \(ks).gateways WHERE id = ?")
        let index = try await client.executeAll(partitionsQuery, [.text(gateway)], consistency: options.readConsistency)
        return index.rows.compactMap { row in
            guard row.count == 2, let sensor = row[0].string, case .date(let day) = row[1] else {
                return nil  // the static-only row of a gateway without readings
            }
            return (sensor, day)
        }
    }

    public func readings(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [Reading] {
        guard from < to else { return [] }
        do {
            let firstDay = CassandraSchema.day(of: from), lastDay = CassandraSchema.day(of: to - 1)
            let partitions = try await indexedPartitions(gateway: gateway).filter { (firstDay...lastDay).contains($0.day) }
            let select = try await client.prepare(
                """
                SELECT sensor, at, power, energy, voltage, current, temperature FROM \(ks).readings
                WHERE gateway = ? AND sensor = ? AND day = ? AND at >= ? AND at < ?
                """)
            let pages = try await concurrently(partitions, limit: options.concurrency) { sensor, day in
                try await client.executeAll(
                    select, [.text(gateway), .text(sensor), .date(day), .timestamp(from), .timestamp(to)],
                    consistency: options.readConsistency
                ).rows.map { row in
                    Reading(
                        sensor: row[0].string ?? sensor, at: row[1].int64 ?? 0, power: row[2].double ?? 0,
                        energy: row[3].double, voltage: row[4].double, current: row[5].double, temperature: row[6].double)
                }
            }
            return pages.flatMap { $0 }.sorted { ($0.at, $0.sensor) < ($1.at, $1.sensor) }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("cassandra read of gateway \(gateway) failed: \(error)")
        }
    }

    /// The time of the newest stored reading of `gateway`, nil without readings: the index
    /// names the newest day, and one single-row read per sensor of that day (partitions are
    /// clustered newest first) finds it. A day whose readings never made it (index rows are
    /// written first) gives way to the day before.
    func newestReading(gateway: String) async throws -> EpochMillis? {
        let byDay = Dictionary(grouping: try await indexedPartitions(gateway: gateway), by: \.day)
        let newestQuery = try await client.prepare("SELECT at FROM \(ks).readings WHERE gateway = ? AND sensor = ? AND day = ? LIMIT 1")
        for day in byDay.keys.sorted(by: >) {
            let newest = try await concurrently(byDay[day]!.map(\.sensor), limit: options.concurrency) { sensor -> EpochMillis? in
                let result = try await client.execute(newestQuery, [.text(gateway), .text(sensor), .date(day)], consistency: options.readConsistency)
                guard case .rows(let rows) = result else { return nil }
                return rows.rows.first?.first?.int64
            }
            if let time = newest.compactMap({ $0 }).max() { return time }
        }
        return nil
    }

    public func ping() async throws {
        do {
            _ = try await client.query("SELECT release_version FROM system.local", consistency: .one)
        } catch {
            throw StorageError("cassandra does not answer: \(error)")
        }
    }
}

/// Runs `body` for every item with at most `limit` running at once; results in input order.
func concurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Result
) async throws -> [Result] {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        func start() {
            let index = next
            let item = items[index]
            group.addTask { (index, try await body(item)) }
            next += 1
        }
        while next < Swift.min(Swift.max(limit, 1), items.count) { start() }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count { start() }
        }
        return results.map { $0! }
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: Swift.max(size, 1)).map { Array(self[$0..<Swift.min($0 + Swift.max(size, 1), count)]) }
    }
}
