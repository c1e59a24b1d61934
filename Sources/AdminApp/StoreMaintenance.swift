import FoundationEssentials
import TenantModel
import TenantSQLite
import TenantStorage

/// The one-shot jobs `tenantctl` runs in a short-lived container on a provider's store
/// (`tenant-admin --set-password`, `--backup-to`, `--restore-from`). Each ends with one
/// line for the operator; a failure carries the exit code tenantctl maps back.
public enum StoreMaintenance {
    /// A job that cannot be done, with its exit code (3: no such user, 4: the file belongs
    /// to another provider, 1: anything else).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        public let exitCode: Int32
        init(_ description: String, exitCode: Int32 = 1) {
            self.description = description
            self.exitCode = exitCode
        }
    }

    /// Gives staff user `user` the password whose crypt hash is `hash` and ends that user's
    /// sessions. A store without any staff account gets `user` created (a provider whose
    /// first password was lost before anyone signed in); otherwise an unknown user fails.
    /// Returns `updated` or `created`.
    public static func setPassword(store: any StaffStore, user: String, hash: String, now: Date = Date()) async throws -> String {
        guard hash.hasPrefix("$") else { throw Failure("the password hash is not a crypt hash (expected $y$...)") }
        if try await store.setPassword(name: user, passwordHash: hash) {
            try await store.deleteSessions(staff: user)
            return "updated"
        }
        let accounts = try await store.staffAccounts()
        guard accounts.isEmpty else {
            throw Failure("no staff user '\(user)'; the users are: \(accounts.map(\.name).sorted().joined(separator: ", "))", exitCode: 3)
        }
        guard try await store.createStaff(name: user, passwordHash: hash, at: TimeFormat.millis(now)) else { throw Failure("could not create staff user '\(user)'") }
        return "created"
    }

    /// Copies `provider`'s SQLite store to `path` online and checks the copy.
    public static func backup(store: StoreURL, provider: ProviderID, to path: String) throws -> SQLiteBackup.Summary {
        let database = try sqlitePath(store)
        do { return try SQLiteBackup.backup(from: database, to: path) } catch { throw Failure("backup of \(database) failed: \(error)") }
    }

    /// Replaces `provider`'s SQLite store with the checked copy at `path`; refuses a copy
    /// that another provider's store made. The servers must be stopped.
    public static func restore(store: StoreURL, provider: ProviderID, from path: String) throws -> SQLiteBackup.Summary {
        let database = try sqlitePath(store)
        let summary: SQLiteBackup.Summary
        do { summary = try SQLiteBackup.verify(path) } catch { throw Failure("\(error)") }
        if let owner = summary.provider, owner != provider.rawValue {
            throw Failure("the backup belongs to provider '\(owner)', not '\(provider)'", exitCode: 4)
        }
        do { return try SQLiteBackup.restore(from: path, to: database) } catch { throw Failure("restore into \(database) failed: \(error)") }
    }

    /// One line describing a copy.
    public static func describe(_ summary: SQLiteBackup.Summary) -> String {
        "\(summary.bytes) bytes, schema version \(summary.schemaVersion), integrity ok"
    }

    private static func sqlitePath(_ store: StoreURL) throws -> String {
        guard case .sqlite(let path) = store else {
            throw Failure("backup and restore work on SQLite stores only; back up a Cassandra keyspace with Cassandra's own tools (nodetool snapshot)")
        }
        return path
    }
}
