import Foundation
import Testing

@testable import TenantSQLite

/// The ingest server's checkpoint loop asks whether anything was written; an idle database
/// must say no, so an idle provider does no SQLite work.
@Suite struct CheckpointTests {
    @Test func onlyAWrittenDatabaseIsCheckpointed() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try SQLiteDatabase(path: path)
        #expect(try await database.checkpointPassivelyIfWritten() == false)
        try await database.write { try $0.execute("CREATE TABLE t (x INTEGER)") }
        #expect(try await database.checkpointPassivelyIfWritten() == true)
        #expect(try await database.checkpointPassivelyIfWritten() == false)
        _ = try await database.read { try $0.execute("SELECT count(*) FROM t") }
        #expect(try await database.checkpointPassivelyIfWritten() == false, "reads are not writes")
        try await database.write { try $0.execute("INSERT INTO t VALUES (1)") }
        try await database.write { try $0.execute("INSERT INTO t VALUES (2)") }
        #expect(try await database.checkpointPassivelyIfWritten() == true)
    }
}
