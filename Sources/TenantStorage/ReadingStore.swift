/// The write and query model of readings, shaped so that both the embedded
/// SQLite store and a Cassandra keyspace can serve it: writes arrive in batches
/// of whole reports (one partition per gateway), reads are by gateway and time range.
public protocol ReadingStore: Sendable {
    /// Durably stores `reports` in one commit and returns one outcome per report, in order.
    ///
    /// Each report is atomic. Readings that exist already count as duplicates and change
    /// nothing. A gateway seen for the first time is registered as unassigned; every
    /// report moves its gateway's last-seen time forward. When this returns, the data
    /// survives a crash of the process; when it throws, none of `reports` was stored.
    func commit(_ reports: [GatewayReport]) async throws -> [ReportOutcome]

    /// The readings of `gateway` with `from <= at < to`, oldest first, across all sensors.
    func readings(gateway: String, from: EpochMillis, to: EpochMillis) async throws -> [Reading]

    /// Whether the store answers (used by health checks).
    func ping() async throws
}

/// A storage failure, with a message fit for one log line.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
