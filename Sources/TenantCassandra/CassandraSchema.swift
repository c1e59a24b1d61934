import TenantModel

/// The tables of one provider's keyspace. Few on purpose: every table costs memory on every
/// node of the cluster (memtables, metadata), so the per-cluster cost is providers x tables.
///
/// - `readings`: one partition per (gateway, sensor, UTC day), newest first. A day bounds a
///   partition's size (one reading a minute is 1440 rows) and makes range reads a handful of
///   partitions.
/// - `gateways`: one partition per gateway. Its static columns are the gateway itself; its
///   rows (sensor, day) index the `readings` partitions that exist, so that reads by gateway
///   and time know exactly which partitions to visit without a scan.
/// - `settings`: as in the SQLite store.
/// - `admin`: every other record of the admin app (customers, staff, sessions, API tokens,
///   outbox, hourly rollups, alert state) as JSON values in `(kind, part)` partitions, so that
///   the admin app costs one table per provider, not seven (see ``CassandraAdminStore``).
public enum CassandraSchema {
    /// The schema version these statements create (recorded in `settings` as `schema_version`).
    public static let version = 1

    /// `CREATE TABLE IF NOT EXISTS` statements for `keyspace`, in order.
    public static func tableStatements(keyspace: String) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS \(CassandraSchema.quoted(keyspace)).readings (
                gateway text, sensor text, day date, at timestamp,
                power double, energy double, voltage double, current double, temperature double,
                PRIMARY KEY ((gateway, sensor, day), at)
            ) WITH CLUSTERING ORDER BY (at DESC)
              AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 7}
            """,
            """
            CREATE TABLE IF NOT EXISTS \(CassandraSchema.quoted(keyspace)).gateways (
                id text, sensor text, day date,
                customer_id bigint static, site text static, key_hash text static,
                first_seen timestamp static, last_seen timestamp static,
                PRIMARY KEY ((id), sensor, day)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(CassandraSchema.quoted(keyspace)).settings (
                key text PRIMARY KEY, value text
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(CassandraSchema.quoted(keyspace)).admin (
                kind text, part text, key text, value text,
                PRIMARY KEY ((kind, part), key)
            )
            """,
        ]
    }

    /// The keyspace name as a quoted CQL identifier. Provider ids are `[a-z][a-z0-9_]*`, so
    /// quoting changes no meaning; it only lets ids that are CQL keywords (`select`) work.
    public static func quoted(_ keyspace: String) -> String { "\"\(keyspace)\"" }

    /// The tables a provider keyspace holds.
    public static let tables = ["readings", "gateways", "settings", "admin"]

    /// The UTC day (days since 1970-01-01, rounding down) of a time in milliseconds.
    public static func day(of millis: Int64) -> Int32 {
        let day = millis >= 0 ? millis / 86_400_000 : (millis + 1) / 86_400_000 - 1
        return Int32(clamping: day)
    }
}
