/// The provider database's schema, as an ordered list of migrations. Append new
/// migrations; never edit one that has shipped.
public enum Schema {
    /// Every migration, oldest first.
    public static let migrations: [Migration] = AdminSchema.migrations + [
        Migration(version: 1, sql: """
            CREATE TABLE customers (
                id         INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                email      TEXT,
                address    TEXT,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE gateways (
                id          TEXT PRIMARY KEY,
                customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
                site        TEXT,
                key_hash    TEXT,
                first_seen  INTEGER NOT NULL,
                last_seen   INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX gateways_by_customer ON gateways(customer_id);
            -- Clustered by (gateway, at): range reads of one gateway are one index walk,
            -- and the readings of one report land next to each other.
            CREATE TABLE readings (
                gateway     TEXT NOT NULL,
                at          INTEGER NOT NULL,
                sensor      TEXT NOT NULL,
                power       REAL NOT NULL,
                energy      REAL,
                voltage     REAL,
                current     REAL,
                temperature REAL,
                PRIMARY KEY (gateway, at, sensor)
            ) WITHOUT ROWID;
            CREATE TABLE settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
    ]

    /// Runs the migrations newer than the database's `user_version`, each in its own transaction.
    /// tenant-ingest and tenant-admin open the same file and may start at the same moment:
    /// the version is read again under the write lock, so whichever comes second skips the
    /// steps the first one applied instead of failing on them.
    /// `beforeLocking` runs with the version read outside the lock, just before waiting for
    /// the write lock (tests hold the lock there to make the race happen).
    static func migrate(_ connection: SQLiteConnection, migrations: [Migration], beforeLocking: (Int) -> Void = { _ in }) throws {
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let seen = try connection.userVersion
            guard migration.version > seen else { continue }
            beforeLocking(seen)
            try connection.transaction {
                guard try connection.userVersion < migration.version else { return }
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
