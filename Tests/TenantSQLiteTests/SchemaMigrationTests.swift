import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TenantSQLite

@Suite struct SchemaMigrationTests {
    /// Ingest and the admin app open the same file and may start together: a migration
    /// the other process applied while this one waited for the write lock is skipped.
    @Test func aMigrationAppliedMeanwhileIsSkipped() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("late-migrate-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let other = try SQLiteConnection(path: path)
        try other.execute("BEGIN IMMEDIATE")  // the other process is migrating
        let outcome = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            do {
                try Schema.migrate(try SQLiteConnection(path: path), migrations: Schema.migrations)
                outcome.withLock { $0 = "migrated" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        // By now this one has read version 0 and waits (busy timeout) for the write lock.
        Thread.sleep(forTimeInterval: 0.3)
        for migration in Schema.migrations.sorted(by: { $0.version < $1.version }) {
            try other.execute(migration.sql)
            try other.execute("PRAGMA user_version = \(migration.version)")
        }
        try other.execute("COMMIT")
        done.wait()
        #expect(outcome.withLock { $0 } == "migrated")
        #expect(try other.userVersion == Schema.migrations.map(\.version).max())
    }
}
