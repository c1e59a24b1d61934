import TenantStorage

extension SQLiteAdminStore: StaffStore {
    private static let staffColumns = "name, password_hash, created_at, api_token_hash IS NOT NULL, role, customer_id"

    /// nil for a row whose role this version does not know: such an account signs no one in.
    private static func staff(_ row: SQLiteRow) -> StaffAccount? {
        guard let role = StaffRole(name: row.string(4) ?? "", customerID: row.int64(5)) else { return nil }
        return StaffAccount(name: row.string(0) ?? "", passwordHash: row.string(1) ?? "", createdAt: row.int64(2) ?? 0, hasAPIToken: row.int(3) == 1, role: role)
    }

    public func staffAccounts() async throws -> [StaffAccount] {
        try await database.read { db in try db.query("SELECT \(Self.staffColumns) FROM staff ORDER BY name").compactMap(Self.staff) }
    }

    public func staffAccount(name: String) async throws -> StaffAccount? {
        try await database.read { db in
            try db.query("SELECT \(Self.staffColumns) FROM staff WHERE name = ?", [.text(name)]).first.flatMap(Self.staff)
        }
    }

    public func createStaff(name: String, passwordHash: String, role: StaffRole, at: EpochMillis) async throws -> Bool {
        try await database.write { db in
            try db.run(
                "INSERT OR IGNORE INTO staff (name, password_hash, created_at, role, customer_id) VALUES (?, ?, ?, ?, ?)",
                [.text(name), .text(passwordHash), .integer(at), .text(role.name), role.customerID.map(SQLiteValue.integer) ?? .null]) > 0
        }
    }

    public func deleteStaff(name: String) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                try db.run("DELETE FROM sessions WHERE staff = ?", [.text(name)])
                return try db.run("DELETE FROM staff WHERE name = ?", [.text(name)]) > 0
            }
        }
    }

    public func setPassword(name: String, passwordHash: String) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE staff SET password_hash = ? WHERE name = ?", [.text(passwordHash), .text(name)]) > 0
        }
    }

    public func setAPITokenHash(name: String, hash: String?) async throws -> Bool {
        try await database.write { db in
            try db.run("UPDATE staff SET api_token_hash = ? WHERE name = ?", [.text(hash), .text(name)]) > 0
        }
    }

    public func staffAccount(apiTokenHash hash: String) async throws -> StaffAccount? {
        try await database.read { db in
            try db.query("SELECT \(Self.staffColumns) FROM staff WHERE api_token_hash = ?", [.text(hash)]).first.flatMap(Self.staff)
        }
    }

    public func createSession(_ session: StaffSession) async throws {
        try await database.write { db in
            try db.transaction {
                // Expired sessions are swept whenever someone signs in.
                try db.run("DELETE FROM sessions WHERE expires_at <= ?", [.integer(session.createdAt)])
                try db.run(
                    "INSERT INTO sessions (id_hash, staff, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    [.text(session.idHash), .text(session.staff), .integer(session.createdAt), .integer(session.expiresAt)])
            }
        }
    }

    public func session(idHash: String, now: EpochMillis) async throws -> StaffSession? {
        try await database.read { db in
            try db.query(
                "SELECT id_hash, staff, created_at, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?",
                [.text(idHash), .integer(now)]
            ).first.map { row in
                StaffSession(idHash: row.string(0) ?? "", staff: row.string(1) ?? "", createdAt: row.int64(2) ?? 0, expiresAt: row.int64(3) ?? 0)
            }
        }
    }

    public func deleteSession(idHash: String) async throws {
        _ = try await database.write { db in try db.run("DELETE FROM sessions WHERE id_hash = ?", [.text(idHash)]) }
    }

    public func deleteSessions(staff: String) async throws {
        _ = try await database.write { db in try db.run("DELETE FROM sessions WHERE staff = ?", [.text(staff)]) }
    }
}
