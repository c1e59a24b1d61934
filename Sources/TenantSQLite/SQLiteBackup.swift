import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// Online copies of a provider's SQLite file: SQLite's backup API copies one consistent
/// snapshot (a read transaction) while the servers keep writing (WAL lets them), and the
/// copy is checked with `PRAGMA integrity_check` before anyone relies on it.
public enum SQLiteBackup {
    /// What a copy holds.
    public struct Summary: Sendable, Hashable {
        /// Size of the copy in bytes.
        public var bytes: Int
        /// `PRAGMA user_version` of the copy (the schema version).
        public var schemaVersion: Int
        /// The `provider_id` setting of the copy, if any.
        public var provider: String?
    }

    /// A copy that cannot be used, in one line.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Copies the database at `source` into a new single file at `destination` (replaced
    /// if present, rollback journal mode so it needs no -wal beside it), checks it, and
    /// describes it. The source must exist: a missing store is not silently created.
    public static func backup(from source: String, to destination: String) throws -> Summary {
        guard access(source, F_OK) == 0 else { throw Failure("no database at \(source)") }
        let from = try SQLiteConnection(path: source)
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(destination + suffix) }
        do {
            let to = try SQLiteConnection(path: destination)
            try from.copy(into: to)
            try to.execute("PRAGMA journal_mode=DELETE")
        }
        return try verify(destination)
    }

    /// Replaces the database at `destination` with the checked copy at `source`, through
    /// the backup API so that the destination's WAL state stays coherent. The servers must
    /// be stopped. A copy with a newer schema than this program knows is refused.
    public static func restore(from source: String, to destination: String, latestSchema: Int = Schema.migrations.map(\.version).max() ?? 0) throws -> Summary {
        let summary = try verify(source)
        guard summary.schemaVersion <= latestSchema else {
            throw Failure("the backup has schema version \(summary.schemaVersion), newer than this image's \(latestSchema): restore it with a newer image")
        }
        let from = try SQLiteConnection(path: source, readOnly: true)
        let to = try SQLiteConnection(path: destination)
        try from.copy(into: to)
        try to.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return summary
    }

    /// Checks the file at `path` (integrity, size, schema, owner) without changing it.
    public static func verify(_ path: String) throws -> Summary {
        guard access(path, R_OK) == 0 else { throw Failure("cannot read \(path)") }
        let connection: SQLiteConnection
        do { connection = try SQLiteConnection(path: path, readOnly: true) } catch { throw Failure("\(path) is not an SQLite database: \(error)") }
        let problems: [String]
        do {
            problems = try connection.query("PRAGMA integrity_check").compactMap { $0.string(0) }
        } catch {
            throw Failure("\(path) is not an SQLite database: \(error)")
        }
        guard problems == ["ok"] else { throw Failure("integrity check of \(path) failed: \(problems.prefix(3).joined(separator: "; "))") }
        let version = try connection.userVersion
        let hasSettings = try !connection.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").isEmpty
        let provider = try hasSettings ? connection.query("SELECT value FROM settings WHERE key = 'provider_id'").first?.string(0) : nil
        var info = stat()
        let bytes = stat(path, &info) == 0 ? Int(info.st_size) : 0
        return Summary(bytes: bytes, schemaVersion: version, provider: provider)
    }
}

extension SQLiteConnection {
    /// Copies this connection's main database into `destination` in one step, so the copy
    /// is one snapshot; waits (bounded) while another connection holds a lock.
    func copy(into destination: SQLiteConnection) throws(SQLiteError) {
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw SQLiteError(code: sqlite3_errcode(destination.handle), message: destination.lastErrorMessage)
        }
        var rc: Int32
        var waits = 0
        repeat {
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                waits += 1
                sqlite3_sleep(20)
            }
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waits < 500
        let finished = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE else { throw SQLiteError(code: rc, message: "backup step: \(String(cString: sqlite3_errstr(rc)))") }
        guard finished == SQLITE_OK else { throw SQLiteError(code: finished, message: destination.lastErrorMessage) }
    }
}
