import AdminTestSupport
import Foundation
import TenantAuth
import TenantModel
import TenantSQLite
import TenantStorage
import Testing

@testable import AdminApp

/// The one-shot jobs behind `tenantctl reset-password`, `backup` and `restore`, on real SQLite files.
@Suite struct StoreMaintenanceTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(name)-\(UUID().uuidString).db").path
    }

    @Test func setPasswordReplacesTheHashAndEndsOnlyThatUsersSessions() async throws {
        let db = try TestDatabase()
        let store = db.store
        #expect(try await store.createStaff(name: "admin", passwordHash: try PasswordHasher.hash("old-password"), at: 1))
        #expect(try await store.createStaff(name: "alice", passwordHash: try PasswordHasher.hash("alice-password"), at: 1))
        try await store.createSession(StaffSession(idHash: "s-admin", staff: "admin", createdAt: 1, expiresAt: .max))
        try await store.createSession(StaffSession(idHash: "s-alice", staff: "alice", createdAt: 1, expiresAt: .max))
        let outcome = try await StoreMaintenance.setPassword(store: store, user: "admin", hash: try PasswordHasher.hash("new-password"))
        #expect(outcome == "updated")
        let account = try #require(try await store.staffAccount(name: "admin"))
        #expect(PasswordHasher.verify("new-password", against: account.passwordHash))
        #expect(!PasswordHasher.verify("old-password", against: account.passwordHash))
        #expect(try await store.session(idHash: "s-admin", now: 2) == nil)
        #expect(try await store.session(idHash: "s-alice", now: 2) != nil)
    }

    @Test func anUnknownUserFailsWithExit3AndTheNamesButAnEmptyStoreGetsTheUser() async throws {
        let db = try TestDatabase()
        let store = db.store
        let created = try await StoreMaintenance.setPassword(store: store, user: "admin", hash: "$y$j9T$salt$hash")
        #expect(created == "created")
        #expect(try await store.staffAccounts().map(\.name) == ["admin"])
        let error = await #expect(throws: StoreMaintenance.Failure.self) {
            try await StoreMaintenance.setPassword(store: store, user: "bob", hash: "$y$j9T$salt$hash")
        }
        #expect(error?.exitCode == 3)
        #expect(error?.description == "no staff user 'bob'; the users are: admin")
        #expect(try await store.staffAccounts().count == 1)
        await #expect(throws: StoreMaintenance.Failure.self) { try await StoreMaintenance.setPassword(store: store, user: "admin", hash: "plain") }
    }

    @Test func backupIsOnlineConsistentAndCarriesTheWAL() async throws {
        let db = try TestDatabase()
        try await claimStore(db.store, for: ProviderID("acme"))
        let written = try await SolarFixture.write(to: db.readings, gateway: "gw-1", from: 0, to: 6 * 3_600_000)
        // A writer keeps committing while the copy is taken; the copy is one snapshot.
        let writer = Task {
            var t: EpochMillis = 7 * 3_600_000
            while !Task.isCancelled {
                try await SolarFixture.write(to: db.readings, gateway: "gw-2", from: t, to: t + 600_000)
                t += 600_000
            }
        }
        let copy = temporaryPath("copy")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let summary = try StoreMaintenance.backup(store: .sqlite(path: db.path), provider: ProviderID("acme"), to: copy)
        writer.cancel()
        _ = try? await writer.value
        #expect(summary.provider == "acme")
        #expect(summary.schemaVersion == (Schema.migrations.map(\.version).max() ?? -1))
        #expect(summary.bytes > 0)
        #expect(!FileManager.default.fileExists(atPath: copy + "-wal"))
        let check = try SQLiteConnection(path: copy, readOnly: true)
        let rows = try check.query("SELECT count(*) FROM readings WHERE gateway = 'gw-1'").first?.int(0)
        #expect(rows == written)
        #expect(try check.query("PRAGMA journal_mode").first?.string(0) == "delete")
    }

    @Test func restoreReplacesTheDataAndRefusesAnotherProvidersCopy() async throws {
        let original = try TestDatabase()
        try await claimStore(original.store, for: ProviderID("acme"))
        _ = try await original.store.createCustomer(CustomerDraft(name: "Kept in the backup"), at: 1)
        let copy = temporaryPath("restore-copy")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        _ = try StoreMaintenance.backup(store: .sqlite(path: original.path), provider: ProviderID("acme"), to: copy)
        _ = try await original.store.createCustomer(CustomerDraft(name: "Made after the backup"), at: 2)

        let target = temporaryPath("restore-target")
        do {
            let fresh = try SQLiteDatabase(path: target)
            _ = try await SQLiteAdminStore(database: fresh).createCustomer(CustomerDraft(name: "Overwritten"), at: 3)
        }
        let summary = try StoreMaintenance.restore(store: .sqlite(path: target), provider: ProviderID("acme"), from: copy)
        #expect(summary.provider == "acme")
        let restored = SQLiteAdminStore(database: try SQLiteDatabase(path: target))
        #expect(try await restored.customers().map(\.name) == ["Kept in the backup"])

        let refused = #expect(throws: StoreMaintenance.Failure.self) {
            try StoreMaintenance.restore(store: .sqlite(path: target), provider: ProviderID("beta"), from: copy)
        }
        #expect(refused?.exitCode == 4)
        #expect(refused?.description == "the backup belongs to provider 'acme', not 'beta'")
    }

    @Test func aDamagedOrForeignFileIsRefusedAndTheStoreIsUntouched() throws {
        let garbage = temporaryPath("garbage")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: garbage))
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        let target = temporaryPath("untouched")
        #expect(throws: StoreMaintenance.Failure.self) {
            try StoreMaintenance.restore(store: .sqlite(path: target), provider: ProviderID("acme"), from: garbage)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(throws: StoreMaintenance.Failure.self) {
            try StoreMaintenance.backup(store: .sqlite(path: target), provider: ProviderID("acme"), to: garbage + ".copy")
        }
        #expect(throws: StoreMaintenance.Failure.self) {
            try StoreMaintenance.backup(store: .cassandra(contactPoints: [HostPort(host: "db", port: 9042)], keyspace: "acme"), provider: ProviderID("acme"), to: garbage)
        }
    }

    @Test func aNewerSchemaIsRefused() async throws {
        let db = try TestDatabase()
        let copy = temporaryPath("newer")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        _ = try StoreMaintenance.backup(store: .sqlite(path: db.path), provider: ProviderID("acme"), to: copy)
        #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.restore(from: copy, to: temporaryPath("x"), latestSchema: 1) }
    }
}
