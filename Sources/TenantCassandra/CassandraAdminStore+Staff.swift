import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: StaffStore {
    private struct StaffRecord: Codable {
        var name: String
        var passwordHash: String
        var createdAt: EpochMillis
        var apiTokenHash: String?
        /// Absent in records written before roles: those accounts are admins.
        var role: String?
        var customerID: Int64?
        /// nil for a role this version does not know: such an account signs no one in.
        var account: StaffAccount? {
            guard let role = StaffRole(name: role ?? "admin", customerID: customerID) else { return nil }
            return StaffAccount(name: name, passwordHash: passwordHash, createdAt: createdAt, hasAPIToken: apiTokenHash != nil, role: role)
        }
    }

    private struct SessionRecord: Codable {
        var idHash: String, staff: String, createdAt: EpochMillis, expiresAt: EpochMillis
        var session: StaffSession { StaffSession(idHash: idHash, staff: staff, createdAt: createdAt, expiresAt: expiresAt) }
    }

    private func staffRecord(_ name: String) async throws -> StaffRecord? {
        try await value("staff", Self.single, name).flatMap { Self.decode(StaffRecord.self, $0) }
    }

    public func staffAccounts() async throws -> [StaffAccount] {
        try await wrap("staff read") {
            try await rows("staff", Self.single).compactMap { Self.decode(StaffRecord.self, $0.value)?.account }.sorted { $0.name < $1.name }
        }
    }

    public func staffAccount(name: String) async throws -> StaffAccount? {
        try await wrap("staff read") { try await staffRecord(name)?.account }
    }

    public func createStaff(name: String, passwordHash: String, role: StaffRole, at: EpochMillis) async throws -> Bool {
        try await wrap("staff write") {
            guard try await staffRecord(name) == nil else { return false }
            let record = StaffRecord(name: name, passwordHash: passwordHash, createdAt: at, role: role.name, customerID: role.customerID)
            try await put("staff", Self.single, name, try Self.encode(record))
            return true
        }
    }

    public func deleteStaff(name: String) async throws -> Bool {
        try await wrap("staff delete") {
            guard let record = try await staffRecord(name) else { return false }
            try await deleteSessionsUnwrapped(staff: name)
            if let token = record.apiTokenHash { try await remove("token", Self.single, token) }
            try await remove("staff", Self.single, name)
            return true
        }
    }

    public func setPassword(name: String, passwordHash: String) async throws -> Bool {
        try await wrap("staff write") {
            guard var record = try await staffRecord(name) else { return false }
            record.passwordHash = passwordHash
            try await put("staff", Self.single, name, try Self.encode(record))
            return true
        }
    }

    public func setAPITokenHash(name: String, hash: String?) async throws -> Bool {
        try await wrap("staff write") {
            guard var record = try await staffRecord(name) else { return false }
            if let old = record.apiTokenHash, old != hash { try await remove("token", Self.single, old) }
            record.apiTokenHash = hash
            // The lookup row first: an account row naming a token the lookup lacks would
            // show "has token" for a token that cannot sign in.
            if let hash { try await put("token", Self.single, hash, name) }
            try await put("staff", Self.single, name, try Self.encode(record))
            return true
        }
    }

    public func staffAccount(apiTokenHash hash: String) async throws -> StaffAccount? {
        try await wrap("staff read") {
            guard let name = try await value("token", Self.single, hash), let record = try await staffRecord(name),
                record.apiTokenHash == hash  // a stale lookup row (token replaced) signs no one in
            else { return nil }
            return record.account
        }
    }

    public func createSession(_ session: StaffSession) async throws {
        try await wrap("session write") {
            // Cassandra expires the row itself; `session(idHash:now:)` also checks the time.
            let ttl = Int32(clamping: max(1, (session.expiresAt - session.createdAt + 999) / 1000))
            let record = SessionRecord(idHash: session.idHash, staff: session.staff, createdAt: session.createdAt, expiresAt: session.expiresAt)
            _ = try await client.execute(
                try await insertStatement(ttl: true),
                [.text("session"), .text(Self.single), .text(session.idHash), .text(try Self.encode(record)), .int(ttl)], consistency: consistency)
        }
    }

    public func session(idHash: String, now: EpochMillis) async throws -> StaffSession? {
        try await wrap("session read") {
            guard let session = try await value("session", Self.single, idHash).flatMap({ Self.decode(SessionRecord.self, $0) }),
                session.expiresAt > now
            else { return nil }
            return session.session
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await wrap("session delete") { try await remove("session", Self.single, idHash) }
    }

    public func deleteSessions(staff: String) async throws {
        try await wrap("session delete") { try await deleteSessionsUnwrapped(staff: staff) }
    }

    /// Reads the session partition (live sessions only: expired rows are gone by TTL).
    private func deleteSessionsUnwrapped(staff: String) async throws {
        for (key, value) in try await rows("session", Self.single) where Self.decode(SessionRecord.self, value)?.staff == staff {
            try await remove("session", Self.single, key)
        }
    }
}
