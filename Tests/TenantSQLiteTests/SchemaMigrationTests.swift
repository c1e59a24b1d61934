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
        let seenVersions = Mutex<[Int]>([])
        let waiting = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {  // it blocks on the lock: a thread of its own, not one of the shared pool's
            do {
                let migrator = try SQLiteConnection(path: path)
                // A minute, not the usual 5 s, for the lock this test holds while it migrates:
                // a full parallel run can stall this thread that long.
                try migrator.execute("PRAGMA busy_timeout = 60000")
                try Schema.migrate(migrator, migrations: Schema.migrations) { seen in
                    seenVersions.withLock { $0.append(seen) }
                    waiting.signal()
                }
                outcome.withLock { $0 = "migrated" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
            done.signal()
        }.start()
        // The migrator has read version 0 and is about to wait for the write lock we hold:
        // the other process now applies every migration and commits.
        #expect(waiting.wait(timeout: .now() + 60) == .success, "the migrator never reached the lock")
        for migration in Schema.migrations.sorted(by: { $0.version < $1.version }) {
            try other.execute(migration.sql)
            try other.execute("PRAGMA user_version = \(migration.version)")
        }
        try other.execute("COMMIT")
        done.wait()
        // The race happened (the migrator saw version 0 once, before our commit) and was survived.
        #expect(seenVersions.withLock { $0 } == [0])
        #expect(outcome.withLock { $0 } == "migrated")
        #expect(try other.userVersion == Schema.migrations.map(\.version).max())
    }
}
