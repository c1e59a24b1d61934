/// The admin panel's tables, appended to ``Schema/migrations`` (versions 2...9 are the
/// admin area's; version 3 adds the late-reading markers of the hourly rollup, 4 gateway
/// registration, disabling and refusal records, 5 staff roles, 6 per-sensor hourly means, 7
/// alarms and their history). Append new
/// migrations; never edit one that has shipped.
public enum AdminSchema {
    /// The admin area's migrations, oldest first.
    public static let migrations: [Migration] = [
        Migration(version: 2, sql: """
            ALTER TABLE customers ADD COLUMN recipients TEXT NOT NULL DEFAULT '';
            CREATE TABLE staff (
                name           TEXT PRIMARY KEY,
                password_hash  TEXT NOT NULL,
                api_token_hash TEXT UNIQUE,
                created_at     INTEGER NOT NULL
            ) WITHOUT ROWID;
            -- Only a SHA-256 of the session cookie is stored: a copy of the database
            -- does not sign anyone in.
            CREATE TABLE sessions (
                id_hash    TEXT PRIMARY KEY,
                staff      TEXT NOT NULL REFERENCES staff(name) ON DELETE CASCADE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX sessions_by_staff ON sessions(staff);
            CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY,
                dedupe_key      TEXT NOT NULL UNIQUE,
                recipients      TEXT NOT NULL,
                subject         TEXT NOT NULL,
                text_body       TEXT NOT NULL,
                html_body       TEXT NOT NULL,
                created_at      INTEGER NOT NULL,
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                sent_at         INTEGER,
                last_error      TEXT
            );
            CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL;
            -- Hourly aggregates of closed hours, written lazily by the admin app (never by
            -- ingest, whose write path stays one INSERT per reading).
            CREATE TABLE power_hourly (
                gateway    TEXT NOT NULL,
                hour       INTEGER NOT NULL,
                samples    INTEGER NOT NULL,
                power_sum  REAL NOT NULL,
                power_max  REAL NOT NULL,
                power_wh   REAL NOT NULL,
                counter_wh REAL,
                PRIMARY KEY (gateway, hour)
            ) WITHOUT ROWID;
            CREATE TABLE rollup_state (
                gateway TEXT PRIMARY KEY,
                through INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE alert_state (
                gateway TEXT PRIMARY KEY,
                offline INTEGER NOT NULL,
                low_day TEXT
            ) WITHOUT ROWID;
            """),
        // Readings that arrive after their hour was rolled up (a gateway uploading a backlog).
        // Ingest lowers `gateways.changed_from` to the oldest reading it newly stored, in the
        // upsert of `last_seen` it runs anyway; the rollup pass takes the marker and, when it
        // reaches back before `through`, records in `rollup_state.redo_from` the first hour to
        // recompute, so that a crash between taking and recomputing loses nothing.
        Migration(version: 3, sql: """
            ALTER TABLE gateways ADD COLUMN changed_from INTEGER;
            ALTER TABLE rollup_state ADD COLUMN redo_from INTEGER;
            """),
        // Gateway operations: staff register gateways before first contact (first_seen and
        // last_seen stay 0 until it reports), disable them, or expect a client certificate
        // instead of a key. The partial index keeps ingest's policy read to those few rows.
        // Refusals: one row per (kind, gateway) that ingest refused or rate-limited, trimmed
        // by ingest to the newest rows of each kind.
        Migration(version: 4, sql: """
            ALTER TABLE gateways ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE gateways ADD COLUMN credential TEXT;
            CREATE INDEX gateways_needing_checks ON gateways(id) WHERE disabled = 1 OR credential = 'certificate';
            CREATE TABLE gateway_refusals (
                kind         TEXT NOT NULL,
                gateway      TEXT NOT NULL,
                reason       TEXT NOT NULL,
                attempts     INTEGER NOT NULL,
                last_attempt INTEGER NOT NULL,
                PRIMARY KEY (kind, gateway)
            ) WITHOUT ROWID;
            CREATE INDEX gateway_refusals_by_time ON gateway_refusals(kind, last_attempt);
            """),
        // Roles: read-only staff and customer logins. Existing accounts stay admins.
        Migration(version: 5, sql: """
            ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
            ALTER TABLE staff ADD COLUMN customer_id INTEGER;
            CREATE INDEX staff_by_customer ON staff(customer_id) WHERE customer_id IS NOT NULL;
            """),
        // Per-sensor hourly means (JSON object sensor → W) for charts longer than two days.
        // Hours rolled up before stay without them: their raw readings may be gone.
        Migration(version: 6, sql: """
            ALTER TABLE power_hourly ADD COLUMN sensor_means TEXT;
            """),
        // Alarms: severity is stored as its rank (1 critical, 2 warning) so that lists sort
        // by it in the index. The partial unique index is the rule "at most one open or
        // acknowledged alarm per gateway and kind", enforced by the database. customer_id
        // is the customer when the alarm opened, with no foreign key: history outlives a
        // deleted customer or gateway. The list indexes serve the default list (by state),
        // a gateway's and a customer's alarms, each in list order.
        Migration(version: 7, sql: """
            CREATE TABLE alarms (
                id              INTEGER PRIMARY KEY,
                gateway         TEXT NOT NULL,
                customer_id     INTEGER,
                kind            TEXT NOT NULL,
                severity        INTEGER NOT NULL,
                state           TEXT NOT NULL,
                opened_at       INTEGER NOT NULL,
                acknowledged_at INTEGER,
                acknowledged_by TEXT,
                cleared_at      INTEGER,
                detail          TEXT NOT NULL
            );
            CREATE UNIQUE INDEX alarms_one_active ON alarms(gateway, kind) WHERE state <> 'cleared';
            CREATE INDEX alarms_by_state ON alarms(state, severity, opened_at DESC);
            CREATE INDEX alarms_by_gateway ON alarms(gateway, severity, opened_at DESC);
            CREATE INDEX alarms_by_customer ON alarms(customer_id, severity, opened_at DESC);
            CREATE TABLE alarm_history (
                id         INTEGER PRIMARY KEY,
                alarm_id   INTEGER NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
                at         INTEGER NOT NULL,
                state      TEXT NOT NULL,
                staff      TEXT,
                note       TEXT NOT NULL
            );
            CREATE INDEX alarm_history_by_alarm ON alarm_history(alarm_id, id);
            """),
    ]
}
